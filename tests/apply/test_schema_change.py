"""``on_schema_change`` on DuckDB, with both ways of storing versions (row store, copy-on-write).

The model selects ``*`` from a seed whose columns change between applies: its
SQL is unchanged, so the run stays incremental and the policy decides the new
version's columns. Earlier versions keep theirs: rollback is exact.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from faborite.api import Workspace
from faborite.errors import ApplyError, FaboriteError
from tests.apply.helpers import published
from tests.properties import harness

FILTER = "{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}"


def _model(policy: str | None) -> str:
    option = f", on_schema_change='{policy}'" if policy else ""
    return (f"{{{{ config(materialized='incremental', unique_key='id'{option}) }}}}\n"
            f"select * from {{{{ ref('src') }}}}\n{FILTER}\n")


@pytest.fixture(params=["row store", "copy-on-write"])
def storage(request, monkeypatch) -> str:
    if request.param == "copy-on-write":
        from faborite.dialects.duckdb import DuckDBDialect

        # The path targets without transactional DDL take (MySQL, Spark, Delta), run on DuckDB.
        monkeypatch.setattr(DuckDBDialect, "row_versioned_incremental", False)
    return request.param


def _project(root: Path, policy: str | None, target_block: str | None = None) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "seeds").mkdir()
    (root / "faborite.yml").write_text("name: p\n" + (f"target: dev\ntargets:\n{target_block}" if target_block else ""))
    (root / "models/inc.sql").write_text(_model(policy))
    (root / "seeds/src.csv").write_text("id,v,amount\n1,a,10\n2,b,20\n")
    return root


def _apply(root: Path, csv: str):
    (root / "seeds/src.csv").write_text(csv)
    ws = Workspace(root=root)
    plan = ws.plan()
    ws.apply(plan, allow_destructive=True)
    return next(c for c in plan.changes if c.name == "inc")


def _columns(root: Path) -> list[tuple[str, str]]:
    con = duckdb.connect(str(root / ".faborite/dev.duckdb"), read_only=True)
    try:
        return [(n, t) for n, t in con.sql("select column_name, data_type from information_schema.columns "
                                           "where table_schema = 'main' and table_name = 'inc' "
                                           "order by ordinal_position").fetchall()]
    finally:
        con.close()


def _rollback_is_exact(root: Path, before: list[tuple], columns: list[tuple[str, str]]) -> None:
    ws = Workspace(root=root)
    ws.rollback(ws.plan_rollback())
    assert published(root)["main.inc"] == before
    assert _columns(root) == columns


def test_append_new_columns_adds_them_and_keeps_the_dropped_ones(tmp_path: Path, storage: str) -> None:
    root = _project(tmp_path / "p", "append_new_columns")
    _apply(root, "id,v,amount\n1,a,10\n2,b,20\n")
    before, columns = published(root)["main.inc"], _columns(root)
    change = _apply(root, "id,amount,w\n1,10,x\n2,20,y\n3,30,z\n")
    assert change.incremental_from
    assert "on_schema_change: append_new_columns" in change.reasons[0].detail
    assert [n for n, _ in _columns(root)] == ["id", "v", "amount", "w"]
    assert published(root)["main.inc"] == [(1, "a", 10, None), (2, "b", 20, None), (3, None, 30, "z")]
    stored = Workspace(root=root).state().nodes["model.inc"].extra["incremental"]
    assert ("store" in stored) == (storage == "row store")
    _rollback_is_exact(root, before, columns)


def test_sync_all_columns_follows_the_query_and_casts_retyped_columns(tmp_path: Path, storage: str) -> None:
    root = _project(tmp_path / "p", "sync_all_columns")
    _apply(root, "id,v,amount\n1,a,10\n2,b,20\n")
    before, columns = published(root)["main.inc"], _columns(root)
    _apply(root, "id,amount,w\n1,10.0,x\n2,20.0,y\n3,30.5,z\n")
    assert _columns(root) == [("id", "BIGINT"), ("amount", "DOUBLE"), ("w", "VARCHAR")]
    assert published(root)["main.inc"] == [(1, 10.0, None), (2, 20.0, None), (3, 30.5, "z")]
    _rollback_is_exact(root, before, columns)
    # Forward again from the rolled-back version, with one more row.
    _apply(root, "id,amount,w\n1,10.0,x\n2,20.0,y\n3,30.5,z\n4,1.5,q\n")
    assert published(root)["main.inc"] == [(1, 10.0, None), (2, 20.0, None), (3, 30.5, "z"), (4, 1.5, "q")]


def test_fail_stops_the_apply_naming_the_columns(tmp_path: Path, storage: str) -> None:
    root = _project(tmp_path / "p", "fail")
    _apply(root, "id,v,amount\n1,a,10\n2,b,20\n")
    before = published(root)
    with pytest.raises(ApplyError) as caught:
        _apply(root, "id,v,amount,w\n1,a,10,x\n3,c,30,z\n")
    assert "new: w" in caught.value.message and "on_schema_change is fail" in caught.value.message
    assert published(root) == before  # nothing published


def test_ignore_leaves_new_columns_out_and_refuses_missing_ones(tmp_path: Path, storage: str) -> None:
    root = _project(tmp_path / "p", None)
    _apply(root, "id,v,amount\n1,a,10\n2,b,20\n")
    _apply(root, "id,v,amount,w\n1,a,10,x\n2,b,20,y\n3,c,30,z\n")
    assert [n for n, _ in _columns(root)] == ["id", "v", "amount"]
    assert published(root)["main.inc"] == [(1, "a", 10), (2, "b", 20), (3, "c", 30)]
    with pytest.raises(ApplyError) as caught:
        _apply(root, "id,amount\n1,10\n2,20\n3,30\n4,40\n")
    assert "lack column(s) v" in caught.value.message and "append_new_columns" in (caught.value.hint or "")


@pytest.mark.parametrize(("config", "expected"), [
    ("materialized='table', on_schema_change='fail'", "needs materialized: incremental"),
    ("materialized='incremental', on_schema_change='drop_everything'", "on_schema_change"),
])
def test_on_schema_change_is_validated(tmp_path: Path, config: str, expected: str) -> None:
    root = _project(tmp_path / "p", None)
    (root / "models/inc.sql").write_text(f"{{{{ config({config}) }}}}\nselect * from {{{{ ref('src') }}}}\n")
    with pytest.raises(FaboriteError) as caught:
        Workspace(root=root).plan()
    assert expected in caught.value.message and "inc.sql" in (caught.value.file or "")


@pytest.mark.slow
@pytest.mark.service
def test_new_and_retyped_columns_on_postgres(postgres, tmp_path: Path) -> None:  # noqa: F811
    """The row store on PostgreSQL: a retyped column starts a new store (cast), a new column is an
    ALTER TABLE on the store; earlier versions read as they were."""
    dbname = postgres.create_database()
    target = harness.PostgresTarget(postgres, dbname)
    try:
        root = _project(tmp_path / "p", "sync_all_columns", target.block)
        _apply(root, "id,v,amount\n1,a,10\n2,b,20\n")
        first = target.published(root)
        _apply(root, "id,amount,w\n1,10.0,x\n2,20.0,y\n3,30.5,z\n")
        second = target.published(root)["main.inc"]
        assert [n for n, _ in second.columns] == ["id", "amount", "w"]
        assert second.rows == ((1, 10.0, None), (2, 20.0, None), (3, 30.5, "z"))
        (root / "models/inc.sql").write_text(_model("append_new_columns"))  # shapes the next runs only
        assert not [c for c in Workspace(root=root).plan().changes if c.rebuild]
        _apply(root, "id,amount,w,x\n1,10.0,x,1\n2,20.0,y,2\n3,30.5,z,3\n4,1.5,q,4\n")
        third = target.published(root)["main.inc"]
        assert [n for n, _ in third.columns] == ["id", "amount", "w", "x"]
        assert third.rows[-1] == (4, 1.5, "q", 4) and third.rows[0] == (1, 10.0, None, None)
        ws = Workspace(root=root)
        ws.rollback(ws.plan_rollback(1))
        assert target.published(root) == first
    finally:
        postgres.drop_database(dbname)
