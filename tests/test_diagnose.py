"""``faborite debug``: each target's provider, config, connection and state, through the real CLI.

A fresh project's check and the database another process holds run as child processes; the
other cases call the same entry point in this process (tests/conftest.py's run_cli_in_process).
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from faborite.diagnose import masked
from tests.conftest import run_cli, run_cli_in_process


def _targets(root: Path, extra: str) -> None:
    config = root / "faborite.yml"
    config.write_text(config.read_text().replace("targets:\n", "targets:\n" + extra, 1))


def test_a_fresh_project_passes_without_creating_the_database(demo: Path) -> None:
    result = run_cli("debug", cwd=demo)
    assert result.code == 0, result.output
    assert "not created yet" in result.stdout and "no state yet, unlocked" in result.stdout
    assert "All checks passed." in result.stdout
    assert not (demo / ".faborite/dev.duckdb").exists()


def test_after_apply_it_names_the_engine_serial_and_lock(demo: Path) -> None:
    assert run_cli_in_process("apply", "--auto-approve", cwd=demo).code == 0
    [report] = json.loads(run_cli_in_process("debug", "--json", cwd=demo).stdout)
    checks = {c["name"]: c for c in report["checks"]}
    assert report["ok"] and checks["connection"]["detail"].startswith(f"ok: DuckDB {duckdb.__version__}")
    assert "serial 1, unlocked" in checks["state"]["detail"]


def test_failures_exit_1_naming_what_failed(demo: Path) -> None:
    _targets(demo, "  bad_type:\n    type: duckdbb\n  bad_key:\n    type: duckdb\n    pth: x.duckdb\n")
    result = run_cli_in_process("debug", cwd=demo)
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    assert "FAIL provider" in result.stdout and "did you mean 'duckdb'?" in result.stdout
    assert "FAIL config" in result.stdout and "pth" in result.stdout
    assert "2 target(s) failed: bad_type, bad_key" in result.stdout
    only = run_cli_in_process("debug", "--target", "dev", cwd=demo)  # one target: the others are not checked
    assert only.code == 0 and "bad_type" not in only.stdout


def test_a_database_another_process_holds_is_a_failed_connection(demo: Path) -> None:
    assert run_cli("apply", "--auto-approve", cwd=demo).code == 0
    with duckdb.connect(str(demo / ".faborite/dev.duckdb")):  # holds DuckDB's write lock
        result = run_cli("debug", cwd=demo)
    assert result.code == 1 and "FAIL connection" in result.stdout, result.output


def test_credentials_are_masked_at_any_depth() -> None:
    config = {"type": "x", "password": "hunter2", "settings": {"s3_secret_access_key": "abc", "threads": 2},
              "token": ""}
    assert masked(config) == {"type": "x", "password": "***", "settings": {"s3_secret_access_key": "***", "threads": 2},
                              "token": ""}


def test_a_state_moved_by_migrate_fails_naming_where_it_went(demo: Path) -> None:
    from faborite.state import LocalStateBackend
    from faborite.state.migrate import migrate

    assert run_cli_in_process("apply", "--auto-approve", cwd=demo).code == 0
    migrate(LocalStateBackend(demo / ".faborite/state/dev"), LocalStateBackend(demo / "elsewhere"),
            moved_to="{type: postgres, url_env: STATE_URL}")
    result = run_cli_in_process("debug", cwd=demo)
    assert result.code == 1
    assert "read-only: moved to {type: postgres, url_env: STATE_URL}" in result.stdout
