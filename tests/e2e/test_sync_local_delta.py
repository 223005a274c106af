"""Syncs end to end through the CLI, from a local Delta folder into DuckDB and Parquet.

The first case runs every command as a child process; the others call the same entry point in
this process (tests/conftest.py's run_cli_in_process): they check what the commands print, return
and publish.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from tests.conftest import run_cli, run_cli_in_process


def _orders(start: int, n: int) -> pa.Table:
    return pa.table({
        "order_id": list(range(start, start + n)),
        "region": [["north", "south", "east", "tiny"][i % 4] if i % 50 else "tiny" for i in range(start, start + n)],
        "amount": [float(i % 97) for i in range(start, start + n)],
        "updated_at": pa.array([1_700_000_000_000_000 + i * 1_000_000 for i in range(start, start + n)],
                               type=pa.timestamp("us")),
        "ssn": [f"000-00-{i:04d}" for i in range(start, start + n)],
    })


@pytest.fixture
def lake_project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "lake").mkdir(parents=True)
    write_deltalake(str(root / "lake/orders"), _orders(0, 1000))
    write_deltalake(str(root / "lake/customers"), pa.table({"id": [1, 2], "name": ["a", "b"]}))
    (root / "faborite.yml").write_text("name: lake\nmodels:\n  +materialized: table\n")
    (root / "sources").mkdir()
    (root / "sources/lake.yml").write_text("sources:\n  - name: lake\n    type: delta\n    path: lake\n")
    (root / "syncs").mkdir()
    (root / "syncs/sample.yml").write_text(
        "syncs:\n"
        "  - name: sample\n"
        "    from: lake\n"
        "    tables: [orders]\n"
        "    sample: {strategy: stratified, by: region, rows: 100, seed: 42}\n"
        "    columns: {exclude: [ssn]}\n"
        "  - name: files\n"
        "    from: lake\n"
        "    tables: ['*']\n"
        "    exclude: [orders]\n"
        "    to: {format: parquet, path: out, compression: zstd}\n")
    (root / "models").mkdir()
    (root / "models/by_region.sql").write_text(
        "select region, count(*) as n from {{ ref('orders') }} group by region\n")
    return root


def _rows(root: Path, sql: str) -> list:
    """Rows read in this process (the syncs, plans and applies under test run as children)."""
    result = run_cli_in_process("query", sql, "--json", cwd=root)
    assert result.code == 0, result.output
    return json.loads(result.stdout)


def test_sync_plan_apply_refresh_and_rollback(lake_project: Path) -> None:
    root = lake_project
    listing = run_cli("sources", "list", "lake", cwd=root)
    assert listing.code == 0 and "orders" in listing.stdout and "customers" in listing.stdout, listing.output

    plan = run_cli("plan", cwd=root)
    assert plan.code == 0, plan.output
    assert "+ sync orders" in plan.stdout and "+ sync customers" in plan.stdout
    assert "copy lake.orders (v0" in plan.stdout and "stratified sample of 100 rows" in plan.stdout

    result = run_cli("apply", "--auto-approve", cwd=root)
    assert result.code == 0, result.output
    regions = {r["region"]: r["n"] for r in _rows(root, "select * from by_region")}
    assert set(regions) == {"north", "south", "east", "tiny"} and sum(regions.values()) == 100
    assert "ssn" not in _rows(root, "select * from orders limit 1")[0]
    parquet = duckdb.sql(f"select count(*) from read_parquet('{root}/out/customers/*.parquet')").fetchall()
    assert parquet == [(2,)]
    assert run_cli("plan", "--detailed-exitcode", cwd=root).code == 0

    # A new Delta commit: the plan names the version change; models downstream rebuild.
    write_deltalake(str(root / "lake/orders"), _orders(1000, 500), mode="append")
    plan = run_cli("plan", "--detailed-exitcode", cwd=root)
    assert plan.code == 2 and "source changed: v0 -> v1" in plan.stdout, plan.output
    assert "replace" in plan.stdout and "by_region" in plan.stdout
    assert run_cli("apply", "--auto-approve", cwd=root).code == 0
    first = _rows(root, "select * from orders order by order_id")
    # Same seed, same data: a from-scratch sync samples the same rows.
    assert run_cli("plan", "--detailed-exitcode", cwd=root).code == 0

    write_deltalake(str(root / "lake/customers"), pa.table({"id": [3], "name": ["c"]}), mode="append")
    assert run_cli("sync", "files", "--auto-approve", cwd=root).code == 0
    assert duckdb.sql(f"select count(*) from read_parquet('{root}/out/customers/*.parquet')").fetchall() == [(3,)]
    rollback = run_cli("rollback", "--auto-approve", cwd=root)
    assert rollback.code == 0, rollback.output
    assert duckdb.sql(f"select count(*) from read_parquet('{root}/out/customers/*.parquet')").fetchall() == [(2,)]
    assert _rows(root, "select * from orders order by order_id") == first


def test_sync_in_an_environment_leaves_the_default_one_alone(lake_project: Path) -> None:
    root = lake_project
    assert run_cli_in_process("apply", "--auto-approve", cwd=root).code == 0
    write_deltalake(str(root / "lake/customers"), pa.table({"id": [3], "name": ["c"]}), mode="append")
    synced = run_cli_in_process("sync", "files", "--env", "dev", "--auto-approve", cwd=root)
    assert synced.code == 0, synced.output
    count = "select count(*) from read_parquet('{}/out/{}/*.parquet')"
    assert duckdb.sql(count.format(root, "customers__dev")).fetchall() == [(3,)]
    assert duckdb.sql(count.format(root, "customers")).fetchall() == [(2,)]  # prod keeps its copy
    serials = {env: json.loads(run_cli_in_process("state", "list", "--json", *flags, cwd=root).stdout)["serial"]
               for env, flags in (("prod", ()), ("dev", ("--env", "dev")))}
    assert serials == {"prod": 1, "dev": 1}


def test_incremental_sync_copies_rows_past_the_cursor(lake_project: Path) -> None:
    root = lake_project
    (root / "syncs/sample.yml").write_text(
        "syncs:\n  - name: inc\n    from: lake\n    tables: [orders]\n"
        "    incremental: {cursor: updated_at, key: order_id}\n")
    (root / "models/by_region.sql").unlink()
    assert run_cli_in_process("apply", "--auto-approve", cwd=root).code == 0
    state = json.loads(run_cli_in_process("state", "list", "--json", cwd=root).stdout)
    cursor = state["nodes"]["sync.inc.orders"]["extra"]["cursor"]
    assert cursor is not None
    # Update one existing row and add new ones: merged by key.
    dt = DeltaTable(str(root / "lake/orders"))
    dt.update(predicate="order_id = 999", updates={"amount": "12345.0", "updated_at": "updated_at + INTERVAL '1 day'"})
    write_deltalake(str(root / "lake/orders"), _orders(1000, 10), mode="append")
    result = run_cli_in_process("apply", "--auto-approve", cwd=root)
    assert result.code == 0, result.output
    rows = _rows(root, "select count(*) as n, max(amount) as top from orders")
    assert rows == [{"n": 1010, "top": 12345.0}]
    state = json.loads(run_cli_in_process("state", "list", "--json", cwd=root).stdout)
    assert state["nodes"]["sync.inc.orders"]["extra"]["rows_copied"] == 11


def test_gc_drops_unused_file_versions(lake_project: Path) -> None:
    root = lake_project
    assert run_cli_in_process("apply", "--auto-approve", cwd=root).code == 0
    write_deltalake(str(root / "lake/customers"), pa.table({"id": [3], "name": ["c"]}), mode="append")
    assert run_cli_in_process("apply", "--auto-approve", cwd=root).code == 0
    versions = sorted(p.name for p in (root / "out/.faborite/customers").iterdir())
    assert len(versions) == 2
    result = run_cli_in_process("gc", "--keep", "1", "--auto-approve", cwd=root)
    assert result.code == 0 and "1 version folder" in result.stdout, result.output
    assert len(list((root / "out/.faborite/customers").iterdir())) == 1
    assert duckdb.sql(f"select count(*) from read_parquet('{root}/out/customers/*.parquet')").fetchall() == [(3,)]


def test_no_refresh_without_a_cached_read_is_an_error(lake_project: Path) -> None:
    result = run_cli_in_process("plan", "--no-refresh", cwd=lake_project)
    assert result.code == 1 and "not been read yet" in result.stderr, result.output
