"""Rollback republishes earlier versions without rewriting any table; gc drops unused ones."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from faborite.errors import StateError
from faborite.providers.duckdb import DuckDBConnection
from tests.apply.helpers import apply, edit, physical_relations, published, workspace


def test_rollback_returns_previous_data_exactly(demo: Path) -> None:
    apply(demo)
    first = published(demo)
    edit(demo / "models/staging/stg_orders.sql", "where cast(ordered_at as date)", "where status = 'completed' and cast(ordered_at as date)")
    (demo / "models/marts/extra.sql").write_text("select 1 as x\n")
    apply(demo)
    assert published(demo) != first
    ws = workspace(demo)
    new = ws.rollback(ws.plan_rollback())
    assert published(demo) == first
    assert new.serial == 3 and new.event.rolled_back_to == 1
    assert "main.extra" not in published(demo)
    # Rolling forward again: the current files' versions still exist, so nothing is rebuilt.
    events = []
    ws = workspace(demo)
    ws.apply(ws.plan(), on_event=events.append)
    assert not [e for e in events if e.kind == "node_start" and "stg_orders" not in (e.node or "")
                and e.node != "model.extra" and "view" not in e.message]
    assert {e.node for e in events if e.kind == "node_reused"} >= {"model.orders", "model.customers"}


def _big_seed_project(root: Path, rows: int) -> None:
    (root / "seeds").mkdir(parents=True)
    (root / "models").mkdir()
    (root / "faborite.yml").write_text("name: big\nmodels:\n  +materialized: table\n")
    lines = ["id,v"] + [f"{i},{i % 97}" for i in range(rows)]
    (root / "seeds/numbers.csv").write_text("\n".join(lines) + "\n")
    (root / "models/totals.sql").write_text("select v, count(*) as n from {{ ref('numbers') }} group by v\n")
    (root / "models/copy.sql").write_text("select * from {{ ref('numbers') }}\n")


@pytest.mark.parametrize("rows", [1_000, 300_000])
def test_rollback_rewrites_no_table(tmp_path: Path, monkeypatch, rows: int) -> None:
    root = tmp_path / "big"
    _big_seed_project(root, rows)
    apply(root)
    edit(root / "models/totals.sql", "count(*) as n", "count(*) as n, sum(id) as s")
    edit(root / "models/copy.sql", "select *", "select id, v, id * 2 as twice")
    apply(root)
    physical = physical_relations(root)
    statements: list[str] = []
    original = DuckDBConnection.execute

    def recording(self, sql: str) -> None:
        statements.append(sql)
        original(self, sql)

    monkeypatch.setattr(DuckDBConnection, "execute", recording)
    ws = workspace(root)
    ws.rollback(ws.plan_rollback())
    assert physical_relations(root) == physical
    writes = [s for s in statements if "CREATE TABLE" in s.upper() or "INSERT" in s.upper()]
    assert writes == []
    # Only view pointers moved: one statement per changed node (plus schema guards).
    assert sum("VIEW" in s for s in statements) == 2
    con = duckdb.connect(str(root / ".faborite/dev.duckdb"), read_only=True)
    assert con.sql("select count(*) from main.copy").fetchall()[0][0] == rows
    assert [c[0] for c in con.sql("describe main.copy").fetchall()] == ["id", "v"]
    con.close()


def test_rollback_to_specific_serial_and_errors(demo: Path) -> None:
    with pytest.raises(StateError, match="no state yet"):
        workspace(demo).plan_rollback()
    apply(demo)
    with pytest.raises(StateError, match="first state"):
        workspace(demo).plan_rollback()
    edit(demo / "models/marts/orders.sql", "c.name", "c.name, o.status")
    apply(demo)
    edit(demo / "models/marts/orders.sql", "c.name, o.status", "c.name, o.status, o.ordered_at")
    apply(demo)
    ws = workspace(demo)
    rplan = ws.plan_rollback(1)
    assert rplan.goal.serial == 1 and rplan.moved == ("model.orders",)
    ws.rollback(rplan)
    assert [c.name for c in workspace(demo).state().nodes["model.orders"].columns] == ["id", "amount", "name"]
    with pytest.raises(StateError, match="not earlier"):
        workspace(demo).plan_rollback(9)


def test_gc_drops_unused_versions_and_blocks_rollback_to_them(demo: Path) -> None:
    apply(demo)
    edit(demo / "models/marts/orders.sql", "c.name", "c.name, o.status")
    apply(demo)
    before = physical_relations(demo)
    ws = workspace(demo)
    gplan = ws.plan_gc(keep=1)
    dropped = {r.key for r in gplan.drop}
    assert len(dropped) == 1 and next(iter(dropped)).startswith("faborite__main.orders__")
    ws.gc(keep=1)
    assert physical_relations(demo) == before - dropped
    assert not workspace(demo).plan().has_changes
    with pytest.raises(StateError, match="no longer exist"):
        ws = workspace(demo)
        ws.rollback(ws.plan_rollback(1))
    assert published(demo)["main.orders"][0][3] is not None
