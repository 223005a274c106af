"""``faborite plan`` answered from a remembered no-change plan prints what the full plan printed.

The shortcut itself and every way it is invalidated are tested through the API in
tests/test_no_change_memo.py; here, what a user sees, and which flags never take it.
The first case runs child processes; the others call the same entry point in this process
(tests/conftest.py's run_cli_in_process).
"""

from __future__ import annotations

import json
from pathlib import Path

import faborite.no_change_memo as memo
from tests.conftest import run_cli, run_cli_in_process


def _memo(root: Path, refresh: bool) -> Path:
    return memo.memo_path(root / ".faborite/cache", refresh=refresh)


def test_recalled_plan_prints_what_the_full_plan_printed(demo: Path) -> None:
    assert run_cli("apply", "--auto-approve", cwd=demo).code == 0
    for flags, refresh in ((["--refresh=false"], False), ([], True)):
        full = run_cli("plan", "--detailed-exitcode", *flags, cwd=demo)
        assert _memo(demo, refresh).is_file(), "the full plan found nothing: remembered"
        recalled = run_cli("plan", "--detailed-exitcode", *flags, cwd=demo)
        assert (recalled.code, recalled.stdout, recalled.stderr) == (full.code, full.stdout, full.stderr) == (
            0, full.stdout, full.stderr)
        assert "No changes." in recalled.stdout


def test_recalled_plan_is_not_a_full_plan(demo: Path, monkeypatch) -> None:
    """The memo is really used: a forged one (another state identity) is a miss, the real one a hit."""
    assert run_cli_in_process("apply", "--auto-approve", cwd=demo).code == 0
    run_cli_in_process("plan", "--refresh=false", cwd=demo)
    path = _memo(demo, False)
    data = json.loads(path.read_text())
    data["state_identity"][1] = "serial-999999.json"
    path.write_text(json.dumps(data))
    again = run_cli_in_process("plan", "--refresh=false", cwd=demo)
    assert again.code == 0 and json.loads(path.read_text())["state_identity"][1] != "serial-999999.json", (
        "the miss planned in full and remembered the real state")


def test_json_markdown_out_and_selections_always_plan_in_full(demo: Path, tmp_path: Path) -> None:
    assert run_cli_in_process("apply", "--auto-approve", cwd=demo).code == 0
    run_cli_in_process("plan", "--refresh=false", cwd=demo)
    assert _memo(demo, False).is_file()
    as_json = run_cli_in_process("plan", "--refresh=false", "--json", cwd=demo)
    assert as_json.code == 0 and json.loads(as_json.stdout)["resource_changes"] is not None
    assert "No changes" in run_cli_in_process("plan", "--refresh=false", "--markdown", cwd=demo).stdout
    out = tmp_path / "saved.plan"
    assert run_cli_in_process("plan", "--refresh=false", "--out", str(out), cwd=demo).code == 0 and out.is_file()
    selected = run_cli_in_process("plan", "--refresh=false", "-s", "stg_orders", cwd=demo)
    assert "No changes in the selected nodes." in selected.stdout
