"""examples/ci: every pipeline file is valid YAML, and every ``faborite`` command in it is
one the CLI accepts (options and arguments parse), so the examples cannot rot silently."""

from __future__ import annotations

import re
import shlex
import warnings
from pathlib import Path

import click
import pytest
import yaml

from faborite.cli import cli

CI = Path(__file__).resolve().parents[1] / "examples" / "ci"
PIPELINES = sorted(p for p in CI.rglob("*") if p.suffix in (".yml", ".yaml"))


def _strings(node) -> list[str]:
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    return [node] if isinstance(node, str) else []


def _commands(path: Path) -> list[str]:
    """Every ``faborite ...`` command line in the file's scripts, continuation lines joined."""
    found = []
    for text in _strings(yaml.safe_load(path.read_text(encoding="utf-8"))):
        text = text.replace("\\\n", " ")
        found += [m.group(1) for m in re.finditer(r"(?:^|\n)\s*(faborite\s[^\n|;&>]*)", text)]
    return found


def _parse(line: str) -> None:
    """Parse ``line`` with the real CLI, down to the leaf command, without running it."""
    # CI variables ("$TARGET", "$(TARGET)") become plain words.
    args = shlex.split(re.sub(r"\$\(?\{?(\w+)\}?\)?", r"\1", line))[1:]
    context = cli.make_context("faborite", args, resilient_parsing=False)
    command: click.Command = cli
    while isinstance(command, click.Group):
        with warnings.catch_warnings():  # click 8.2 deprecates protected_args; 9.0 puts them in args
            warnings.simplefilter("ignore", DeprecationWarning)
            remaining = [*context.protected_args, *context.args]
        name, command, rest = command.resolve_command(context, remaining)
        context = command.make_context(name, rest, parent=context, resilient_parsing=False)


def test_a_wrong_command_is_caught() -> None:
    _parse('faborite state pull -t "$TARGET" -o state.json')
    for wrong in ("faborite plan --nope", "faborite state pul", "faborite apply a b"):
        with pytest.raises(click.ClickException):
            _parse(wrong)


def test_there_are_pipelines_for_github_and_azure_devops() -> None:
    assert {p.relative_to(CI).parts[0] for p in PIPELINES} >= {"github-actions", "azure-devops"}


@pytest.mark.parametrize("path", PIPELINES, ids=lambda p: str(p.relative_to(CI)))
def test_pipeline_parses_and_its_faborite_commands_exist(path: Path) -> None:
    commands = _commands(path)
    text = " ".join(commands)
    for step in ("state pull", "plan -t", "--state state.json", "-out plan.bin", "--detailed-exitcode",
                 "--markdown", "apply -t"):
        assert step in text, f"{path.name} lacks `faborite {step}`"
    for line in commands:
        try:
            _parse(line)
        except click.ClickException as exc:
            pytest.fail(f"{path.name}: `{line}`: {exc.format_message()}")
