"""Sync failures: one bad table does not stop the others; a kill mid-sync loses nothing."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from tests.conftest import run_cli


def _project(root: Path, sample: str = "{strategy: recent, column: updated_at, rows: 5}") -> Path:
    (root / "lake").mkdir(parents=True)
    ts = pa.array([1_700_000_000_000_000 + i for i in range(20)], type=pa.timestamp("us"))
    write_deltalake(str(root / "lake/events"), pa.table({"id": list(range(20)), "updated_at": ts}))
    write_deltalake(str(root / "lake/plain"), pa.table({"id": list(range(20)), "note": ["x"] * 20}))
    (root / "faborite.yml").write_text("name: fails\n")
    (root / "sources").mkdir()
    (root / "sources/lake.yml").write_text("sources:\n  - name: lake\n    type: delta\n    path: lake\n")
    (root / "syncs").mkdir()
    (root / "syncs/s.yml").write_text(f"syncs:\n  - name: s\n    from: lake\n    tables: ['*']\n    sample: {sample}\n")
    return root


def test_a_failing_table_does_not_stop_the_others(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    result = run_cli("sync", "--auto-approve", cwd=root)
    assert result.code == 1
    assert "sync.s.plain" in result.stderr and "updated_at" in result.stderr, result.output
    assert "1 table(s) failed; everything else was published" in result.stderr
    rows = json.loads(run_cli("query", "select count(*) as n from events", "--json", cwd=root).stdout)
    assert rows == [{"n": 5}]
    state = json.loads(run_cli("state", "list", "--json", cwd=root).stdout)
    assert set(state["nodes"]) == {"sync.s.events"}
    # The plan still wants the failed table.
    plan = run_cli("plan", "--detailed-exitcode", cwd=root)
    assert plan.code == 2 and "+ sync plain" in plan.stdout


def test_fail_fast_publishes_nothing(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    result = run_cli("sync", "--auto-approve", "--fail-fast", cwd=root)
    assert result.code == 1 and "nothing was published" in result.stderr, result.output
    assert run_cli("state", "history", "--json", cwd=root).stdout.strip() == "[]"


@pytest.mark.slow
def test_kill_during_sync_keeps_published_output_and_cursor(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "lake").mkdir(parents=True)
    n = 3_000_000
    ids = pa.array(range(n), type=pa.int64())
    write_deltalake(str(root / "lake/big"), pa.table({"id": ids, "v": pa.array([1.5] * n),
                                                     "updated_at": pa.array(range(n), type=pa.int64())}))
    (root / "faborite.yml").write_text("name: kill\n")
    (root / "sources").mkdir()
    (root / "sources/lake.yml").write_text("sources:\n  - name: lake\n    type: delta\n    path: lake\n")
    (root / "syncs").mkdir()
    (root / "syncs/s.yml").write_text("syncs:\n  - name: s\n    from: lake\n    tables: [big]\n"
                                      "    incremental: {cursor: updated_at, key: id}\n"
                                      "    to: {format: parquet, path: out}\n")
    assert run_cli("sync", "--auto-approve", cwd=root).code == 0
    before = json.loads(run_cli("state", "list", "--json", cwd=root).stdout)
    cursor = before["nodes"]["sync.s.big"]["extra"]["cursor"]
    # New rows, then a sync killed while it copies them.
    more = pa.table({"id": pa.array(range(n, 2 * n), type=pa.int64()), "v": pa.array([2.5] * n),
                     "updated_at": pa.array(range(n, 2 * n), type=pa.int64())})
    write_deltalake(str(root / "lake/big"), more, mode="append")
    proc = subprocess.Popen([sys.executable, "-m", "faborite", "sync", "--auto-approve"], cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Kill it only once it is writing: its temporary output folder exists and it is still running.
    # The 60 s is a safety net for a stuck run, not a timing check.
    writing = False
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if list((root / "out/.faborite/big").glob("*.tmp-*")):
            writing = True
            break
        time.sleep(0.02)
    proc.kill()  # SIGKILL; does nothing if the run already ended
    proc.wait()
    assert writing, f"the sync never started writing (exit code {proc.returncode}): nothing was killed mid-write"
    assert proc.returncode == -signal.SIGKILL, proc.returncode
    after = json.loads(run_cli("state", "list", "--json", cwd=root).stdout)
    assert after["serial"] == before["serial"]
    assert after["nodes"]["sync.s.big"]["extra"]["cursor"] == cursor
    import duckdb

    count = duckdb.sql(f"select count(*) from read_parquet('{root}/out/big/*.parquet')").fetchall()[0][0]
    assert count == n
    # The next run takes over the dead process's lock and converges.
    result = run_cli("sync", "--auto-approve", cwd=root)
    assert result.code == 0, result.output
    count = duckdb.sql(f"select count(*) from read_parquet('{root}/out/big/*.parquet')").fetchall()[0][0]
    assert count == 2 * n
    assert run_cli("plan", "--detailed-exitcode", cwd=root).code == 0
