"""``--no-color`` (before or after the command) and ``NO_COLOR`` mean no escape codes at all, even on a terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import run_tty, write

ESC = "\x1b"


def test_a_terminal_gets_styles_by_default(demo: Path) -> None:
    # The control: without --no-color this terminal does get escape codes, so the tests below mean something.
    result = run_tty("plan", cwd=demo)
    assert result.code == 0, result.out
    assert ESC in result.out


@pytest.mark.parametrize("args, env", [
    (["--no-color", "plan"], {}),
    (["plan", "--no-color"], {}),
    (["plan"], {"NO_COLOR": "1"}),
], ids=["before the command", "after the command", "NO_COLOR"])
def test_no_color_prints_no_escape_codes(demo: Path, args: list[str], env: dict[str, str]) -> None:
    result = run_tty(*args, cwd=demo, env=env)
    assert result.code == 0, result.out
    assert "Plan: 8 to create" in result.out
    assert ESC not in result.out, repr(result.out)


def test_an_empty_no_color_variable_is_ignored(demo: Path) -> None:
    # no-color.org: only a non-empty NO_COLOR turns colour off.
    result = run_tty("plan", cwd=demo, env={"NO_COLOR": ""})
    assert result.code == 0 and ESC in result.out


@pytest.mark.parametrize("args", [["state", "history", "--no-color"], ["validate", "--no-color"],
                                  ["init", "fresh", "--no-color"]])
def test_no_color_after_other_commands(demo: Path, args: list[str]) -> None:
    result = run_tty(*args, cwd=demo)
    assert result.code == 0, result.out
    assert ESC not in result.out, repr(result.out)


def test_errors_have_no_escape_codes_with_no_color_after_the_command(demo: Path) -> None:
    result = run_tty("plan", "--target", "nope", "--no-color", cwd=demo)
    assert result.code == 1
    assert "error: faborite.yml:" in result.out and "unknown target 'nope'" in result.out
    assert ESC not in result.out, repr(result.out)


def test_debug_after_the_command_shows_the_traceback(demo: Path) -> None:
    write(demo, "models/x.sql", "select 1 as x,\n    {{ nope }} as y\n")
    result = run_tty("validate", "--debug", "--no-color", cwd=demo)
    assert result.code == 1
    assert "Traceback (most recent call last)" in result.out
    assert "'nope' is undefined" in result.out
