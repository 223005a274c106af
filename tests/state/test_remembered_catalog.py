"""The drift check's catalog rows, remembered while the database's files keep their stamp: a plan
with refresh then finds exactly the drift a plan that opened the database finds."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest

from faborite import catalog_stamp
from faborite.api import Workspace
from tests.config.projects import proj  # noqa: F401 - fixture

DB = ".faborite/dev.duckdb"


@pytest.fixture
def applied(proj: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: F811
    """The template project, applied once; catalog files count as settled at once."""
    monkeypatch.setattr(catalog_stamp, "RACY_SECONDS", 0.0)
    ws = Workspace(root=proj)
    ws.apply(ws.plan(refresh=False))
    time.sleep(0.02)  # past the apply's last timestamp tick
    return proj


def _remembered_files(root: Path) -> list[Path]:
    return sorted((root / ".faborite/cache").glob("catalog-rows-*.json"))


def _refuse_to_connect(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self, *args, **kwargs):
        raise AssertionError("the plan opened the database")

    monkeypatch.setattr(Workspace, "connect", refuse)


def _drifts(root: Path) -> list[tuple]:
    return sorted((d.node_id, d.kind) for d in Workspace(root=root).plan(refresh=True).drift)


def test_a_second_plan_reads_the_remembered_rows_and_finds_the_same(applied: Path, monkeypatch) -> None:
    first = Workspace(root=applied).plan(refresh=True)
    assert not first.has_changes and not first.drift
    assert len(_remembered_files(applied)) == 1
    _refuse_to_connect(monkeypatch)
    second = Workspace(root=applied).plan(refresh=True)
    assert not second.has_changes and not second.drift


@pytest.mark.parametrize("sql", ["DROP VIEW main.stg_orders", "CREATE OR REPLACE VIEW main.orders AS SELECT 1 AS a"])
def test_a_change_behind_faboritess_back_is_seen(applied: Path, sql: str) -> None:
    assert _drifts(applied) == []  # remembers the rows
    time.sleep(0.02)
    con = duckdb.connect(str(applied / DB))
    con.execute(sql)
    con.close()
    drifts = _drifts(applied)
    assert drifts, "the remembered rows hid a change to the catalog"
    assert drifts == _drifts(applied), "the rows remembered after the change say the same"


def test_a_deleted_database_is_seen(applied: Path) -> None:
    assert _drifts(applied) == []
    (applied / DB).unlink()
    assert _drifts(applied), "every published relation is gone"


def test_rows_read_just_after_a_write_are_not_remembered(applied: Path, monkeypatch) -> None:
    monkeypatch.setattr(catalog_stamp, "RACY_SECONDS", 3600.0)
    Workspace(root=applied).plan(refresh=True)
    assert _remembered_files(applied) == []


def test_a_damaged_or_shared_file_is_a_miss(applied: Path, monkeypatch) -> None:
    Workspace(root=applied).plan(refresh=True)
    (remembered,) = _remembered_files(applied)
    remembered.write_text("{not json")
    assert _drifts(applied) == []  # queried, and remembered again
    (remembered,) = _remembered_files(applied)
    remembered.chmod(0o666)
    _refuse_to_connect(monkeypatch)
    with pytest.raises(AssertionError, match="opened the database"):
        Workspace(root=applied).plan(refresh=True)


def test_only_the_latest_files_are_kept(tmp_path: Path, monkeypatch) -> None:
    from faborite.state import remembered_catalog
    from faborite.state.observed import CatalogView

    monkeypatch.setattr(remembered_catalog, "KEPT", 2)
    monkeypatch.setattr(catalog_stamp, "RACY_SECONDS", 0.0)
    db = tmp_path / "x.db"
    db.write_bytes(b"1")
    stamp = catalog_stamp.stamp_files([str(db)])
    view = CatalogView(relations=frozenset({"s.t"}), pointers={}, digest="d", stamp=stamp)
    paths = [remembered_catalog.remembered_at(tmp_path, [str(db)], [f"s{i}"]) for i in range(3)]
    for i, path in enumerate(paths):
        remembered_catalog.remember(path, [f"s{i}"], view)
        time.sleep(0.01)
    assert [p.exists() for p in paths] == [False, True, True]
    assert remembered_catalog.recall(paths[2], [str(db)], ["s2"]) == view
