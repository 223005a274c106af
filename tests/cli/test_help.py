"""Each command lists the options it takes, and docs/commands/*.md show that help verbatim."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from faborite.cli import cli

DOCS = Path(__file__).resolve().parents[2] / "docs" / "commands"
PROJECT_OPTIONS = ("--target", "--project-dir", "--vars")


def _commands(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
    return found


COMMANDS = _commands()


def _help(*path: str) -> str:
    # Terminal width 78 is what click uses on an 80-column terminal.
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="faborite", terminal_width=78)
    assert result.exit_code == 0, result.output
    return result.output


NO_PROJECT = [("init",), ("schema",), ("import", "dbt")]


@pytest.mark.parametrize("command", NO_PROJECT, ids=" ".join)
def test_commands_without_a_project_do_not_list_project_options(command: tuple[str, ...]) -> None:
    text = _help(*command)
    for option in PROJECT_OPTIONS:
        assert option not in text
    assert "--no-color" in text and "--debug" in text


@pytest.mark.parametrize("command", NO_PROJECT, ids=" ".join)
def test_commands_without_a_project_refuse_project_options_after_the_command(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*command, "--target", "dev"], prog_name="faborite")
    assert result.exit_code != 0 and "No such option" in result.output


GROUPS = {("state",), ("sources",), ("env",), ("import",)}


@pytest.mark.parametrize("path", [c for c in COMMANDS if c not in (set(NO_PROJECT) | GROUPS)], ids=" ".join)
def test_project_commands_list_every_shared_option(path: tuple[str, ...]) -> None:
    text = _help(*path)
    for option in (*PROJECT_OPTIONS, "--no-color", "--debug"):
        assert option in text, f"faborite {' '.join(path)} --help lacks {option}"


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_docs_show_the_current_help(path: tuple[str, ...]) -> None:
    page = (DOCS / f"{path[0]}.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```\n(Usage: faborite .*?)^```$", page, flags=re.S | re.M)
    wanted = f"Usage: faborite {' '.join(path)} "
    shown = [b for b in blocks if b.startswith(wanted)]
    assert shown, f"docs/commands/{path[0]}.md has no usage block for faborite {' '.join(path)}"
    assert shown[0] == _help(*path)
