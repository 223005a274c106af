"""Row-versioned incremental storage on DuckDB: versions share one table, rollback stays exact.

The property tests (tests/properties/test_incremental_properties.py) check
exactness over random steps; these pin down the storage itself: an update
writes the new rows into the same store, a rollback followed by new rows
starts a new store and leaves the old one readable, gc deletes rows no kept
version sees.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from faborite.api import Workspace
from tests.apply.helpers import published
from tests.apply.test_incremental import project  # noqa: F401  (the fixture: a merge model over a seed)
from tests.cli.conftest import run_in_process

def _step(root: Path, rows: str) -> dict:
    """Write the seed, apply, return what is published."""
    (root / "seeds/src.csv").write_text("id,v,seq\n" + rows)
    ws = Workspace(root=root)
    ws.apply(ws.plan())
    return published(root)["main.inc"]


def _recorded(root: Path) -> dict:
    return Workspace(root=root).state().nodes["model.inc"].extra["incremental"]


def _store_rows(root: Path, store: str) -> list[tuple]:
    con = duckdb.connect(str(root / ".faborite/dev.duckdb"), read_only=True)
    try:
        return sorted(con.sql(f"select id, v, _faborite_from, _faborite_to from {store}").fetchall(), key=repr)
    finally:
        con.close()


def test_updates_share_one_store_and_each_version_stays_readable(project: Path) -> None:
    first = _step(project, "1,a,1\n2,b,2\n")
    store = _recorded(project)["store"]
    second = _step(project, "1,A,3\n2,b,2\n3,c,4\n")
    assert second == [(1, "A", 3), (2, "b", 2), (3, "c", 4)]
    assert _recorded(project) == {"strategy": "merge", "store": store, "generation": 2}
    # Row 1's old value is kept, marked replaced by generation 2: version 1 still reads it.
    assert _store_rows(project, store) == [(1, "A", 2, None), (1, "a", 1, 2), (2, "b", 1, None), (3, "c", 2, None)]
    ws = Workspace(root=project)
    ws.rollback(ws.plan_rollback())
    assert published(project)["main.inc"] == first


def test_new_rows_after_a_rollback_start_a_new_store_and_keep_the_old_one(project: Path) -> None:
    first = _step(project, "1,a,1\n2,b,2\n")
    store = _recorded(project)["store"]
    second = _step(project, "1,A,3\n2,b,2\n")
    ws = Workspace(root=project)
    ws.rollback(ws.plan_rollback(1))
    assert published(project)["main.inc"] == first
    third = _step(project, "1,a,1\n2,B,5\n")
    assert third == [(1, "a", 1), (2, "B", 5)]
    recorded = _recorded(project)
    # Generation 2 of the first store was published (serial 2 can be rolled back to): it is
    # kept as it was, and the new version starts a store of its own from version 1's rows.
    assert recorded["store"] != store and recorded["generation"] == 2
    assert _store_rows(project, store) == [(1, "A", 2, None), (1, "a", 1, 2), (2, "b", 1, None)]
    ws = Workspace(root=project)
    ws.rollback(ws.plan_rollback(2))
    assert published(project)["main.inc"] == second
    ws = Workspace(root=project)
    ws.rollback(ws.plan_rollback(4))
    assert published(project)["main.inc"] == third


def test_gc_deletes_rows_no_kept_version_sees(project: Path, capsys) -> None:
    _step(project, "1,a,1\n2,b,2\n")
    store = _recorded(project)["store"]
    _step(project, "1,A,3\n2,b,2\n")
    last = _step(project, "1,A,3\n2,B,4\n")
    dry = run_in_process(capsys, "--no-color", "--project-dir", str(project), "gc", "--keep", "1", "--dry-run")
    assert dry.code == 0 and f"{store}: 2 row(s) no kept version sees" in dry.out
    ws = Workspace(root=project)
    plan = ws.gc(keep=1)
    assert [(c.store.key, c.oldest_kept, c.rows) for c in plan.compact] == [(store, 3, 2)]
    # Only generation 3's rows are left; its view (the published version) is unchanged.
    assert _store_rows(project, store) == [(1, "A", 2, None), (2, "B", 3, None)]
    assert published(project)["main.inc"] == last
    assert Workspace(root=project).plan().has_changes is False
