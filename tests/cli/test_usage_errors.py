"""Usage errors exit 1 (Terraform style), so ``--detailed-exitcode``'s 2 always means "changes"."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import run_in_process, run_subprocess

CASES = {
    "unknown option": (["plan", "--detailed-exitcode", "--nope"], "No such option '--nope'"),
    "unknown command": (["plam"], "No such command 'plam'"),
    "missing argument": (["query"], "Missing argument 'SQL'"),
    "bad value": (["gc", "--keep", "0"], "Invalid value for '--keep'"),
    "bad --vars before the command": (["--vars", "[1]", "plan"], "expected a YAML mapping"),
    "bad --vars after the command": (["plan", "--vars", "[1]"], "expected a YAML mapping"),
    "extra argument": (["validate", "extra"], "Got unexpected extra argument (extra)"),
    "bad schema kind": (["schema", "nope"], "Invalid value for '[KIND]'"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_usage_error_exits_1_with_the_usage_message(capsys, tmp_path, monkeypatch, case):
    monkeypatch.chdir(tmp_path)
    args, message = CASES[case]
    result = run_in_process(capsys, *args)
    assert result.code == 1, result.output
    assert message in result.err, result.err
    assert "Usage: faborite" in result.err
    assert "Traceback" not in result.output


def test_option_without_its_value_exits_1(capsys, tmp_path, monkeypatch):
    # click raises this one while parsing, without a context, so it prints no usage line.
    monkeypatch.chdir(tmp_path)
    result = run_in_process(capsys, "plan", "-out")
    assert result.code == 1
    assert result.err == "Error: Option '-out' requires an argument.\n"


def test_detailed_exitcode_with_an_unknown_option_end_to_end(demo: Path) -> None:
    result = run_subprocess("plan", "--detailed-exitcode", "--nope", cwd=demo)
    assert result.code == 1
    assert "Usage: faborite plan [OPTIONS]" in result.err
    assert "Try 'faborite plan --help' for help." in result.err
    assert "No such option '--nope'" in result.err
    assert result.out == ""


def test_detailed_exitcode_still_says_2_for_changes(capsys, demo: Path) -> None:
    result = run_in_process(capsys, "--no-color", "--project-dir", str(demo), "plan", "--detailed-exitcode")
    assert result.code == 2 and "Plan: 8 to create" in result.out


def test_help_still_exits_0(capsys) -> None:
    result = run_in_process(capsys, "plan", "--help")
    assert result.code == 0 and "Usage: faborite plan" in result.out
