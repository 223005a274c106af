"""A local delta target's tables written by DuckDB's Parquet writer: the same table deltalake's
writer makes (schema, protocol, rows, statistics), or deltalake's writer where it cannot be."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from deltalake import DeltaTable

from faborite.providers import delta_duckdb_write
from faborite.providers.delta_target import DeltaLakehouseConnection
from faborite.relation import Relation

from .test_delta_target import connect

PLAIN = """SELECT i, i % 2 = 0 AS b, CAST(i % 100 AS TINYINT) AS t8, CAST(i AS SMALLINT) AS t16, CAST(i AS INTEGER) AS t32,
       CAST(i AS FLOAT) AS f32, i / 3 AS f64, CAST(i / 7 AS DECIMAL(12, 3)) AS dec, 'x' || i AS s,
       DATE '2024-01-01' + CAST(i AS INTEGER) AS d, TIMESTAMP '2024-01-01 10:00:00' + to_seconds(i) AS ts,
       TIMESTAMPTZ '2024-01-01 10:00:00+00' + to_seconds(i) AS tstz, CAST('b' || i AS BLOB) AS bin,
       CASE WHEN i % 5 = 0 THEN NULL ELSE i END AS sometimes_null, CAST(i AS HUGEINT) * 1000 AS huge
FROM range(3000) AS r(i)"""


def _build(root: Path, sql: str, *, fast: bool, monkeypatch: pytest.MonkeyPatch) -> DeltaTable:
    if not fast:
        monkeypatch.setattr(DeltaLakehouseConnection, "_write_locally", lambda self, relation, body: None)
    con = connect(root)
    table = Relation(schema_name="s", name="t")
    con.execute(con.dialect.create_schema("s"))
    rows = con.execute(con.dialect.create_table_as(table, sql))
    con.close()
    monkeypatch.undo()
    assert rows is not None
    return DeltaTable(str(root / "lakehouse/s/t"))


def _schema(table: DeltaTable) -> list:
    return json.loads(table.schema().to_json())["fields"]


def test_plain_types_make_the_table_deltalakes_writer_makes(tmp_path: Path, monkeypatch) -> None:
    fast = _build(tmp_path / "fast", PLAIN, fast=True, monkeypatch=monkeypatch)
    slow = _build(tmp_path / "slow", PLAIN, fast=False, monkeypatch=monkeypatch)
    assert list((tmp_path / "fast/lakehouse/s/t").glob("_faborite_write-*")) == [], "the scratch folder is gone"
    by_duckdb = re.compile(r"part-[0-9a-f]{32}-\d+\.parquet")  # COPY's FILENAME_PATTERN
    fast_files, slow_files = ([Path(u).name for u in t.file_uris()] for t in (fast, slow))
    assert fast_files and all(by_duckdb.fullmatch(name) for name in fast_files)
    assert slow_files and not any(by_duckdb.fullmatch(name) for name in slow_files)
    assert _schema(fast) == _schema(slow)
    assert all(field["nullable"] for field in _schema(fast)), "NULL-free rows do not make a column NOT NULL"
    assert fast.protocol() == slow.protocol()
    assert fast.to_pyarrow_table().sort_by("i").equals(slow.to_pyarrow_table().sort_by("i"))
    stats = [json.loads(a["add"]["stats"]) for a in _log(tmp_path / "fast/lakehouse/s/t") if "add" in a]
    assert sum(s["numRecords"] for s in stats) == 3000
    assert stats[0]["nullCount"]["sometimes_null"] == 600 and stats[0]["maxValues"]["i"] == 2999


def _log(table: Path) -> list[dict]:
    return [json.loads(line) for line in (table / "_delta_log" / f"{0:020d}.json").read_text().splitlines()]


def test_the_rows_written_are_counted_without_reading_them_back(tmp_path: Path) -> None:
    con = connect(tmp_path)
    con.execute(con.dialect.create_schema("s"))
    assert con.execute(con.dialect.create_table_as(Relation(schema_name="s", name="t"), PLAIN)) == 3000
    assert con.execute(con.dialect.create_table_as(Relation(schema_name="s", name="e"), PLAIN + " LIMIT 0")) == 0
    assert con.fetch_scalar('SELECT count(*) FROM "s"."e"') == 0
    con.close()


def test_what_the_writer_knows_is_what_reading_the_files_back_says(tmp_path: Path) -> None:
    """Columns and rows of a table just written come from what the write knew (no Delta log opened,
    nothing described): they must be exactly what a fresh session reads from the lakehouse."""
    con = connect(tmp_path)
    table = Relation(schema_name="s", name="t")
    con.execute(con.dialect.create_schema("s"))
    con.execute(con.dialect.create_table_as(table, PLAIN))
    worker = con.cursor()  # a build thread's session shares what was written
    assert (table.schema_name, table.name) in worker._written
    known, known_rows = worker.columns(table), worker.fetch_arrow('SELECT * FROM "s"."t" ORDER BY i')
    fresh = connect(tmp_path)
    assert fresh._written == {}
    assert known == fresh.columns(table)
    assert known_rows.equals(fresh.fetch_arrow('SELECT * FROM "s"."t" ORDER BY i'))
    con.execute(con.dialect.drop_table(table))
    assert (table.schema_name, table.name) not in worker._written, "a dropped table is forgotten everywhere"
    for session in (worker, fresh, con):
        session.close()


@pytest.mark.parametrize("sql", ["SELECT CAST(1 AS UINTEGER) AS u", "SELECT [1, 2] AS l", "SELECT INTERVAL 1 DAY AS iv",
                                 'SELECT 1 AS "a b"', "SELECT CAST(1 AS UHUGEINT) AS h"])
def test_other_types_go_through_deltalakes_writer(tmp_path: Path, sql: str) -> None:
    con = connect(tmp_path)
    con.execute(con.dialect.create_schema("s"))
    try:
        con.execute(con.dialect.create_table_as(Relation(schema_name="s", name="t"), sql))
    except Exception as exc:  # noqa: BLE001 - deltalake's writer may refuse the type, as before
        assert "_faborite_write" not in str(exc)
    else:
        commit = _log(tmp_path / "lakehouse/s/t")[0]["commitInfo"]
        assert commit["operation"] == "CREATE TABLE" or commit["operation"] == "WRITE", commit
    finally:
        con.close()


def test_a_failure_part_way_leaves_no_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("deltalake.transaction.create_table_with_add_actions", fail)
    con = connect(tmp_path)
    con.execute(con.dialect.create_schema("s"))
    with pytest.raises(Exception, match="disk full"):
        con.execute(con.dialect.create_table_as(Relation(schema_name="s", name="t"), PLAIN))
    folder = tmp_path / "lakehouse/s/t"
    assert not (folder / "_delta_log").exists() and not list(folder.glob("_faborite_write-*"))
    assert Relation(schema_name="s", name="t") not in con.list_relations(["s"])
    monkeypatch.undo()
    con.execute(con.dialect.create_table_as(Relation(schema_name="s", name="t"), PLAIN))  # built again
    assert con.fetch_scalar('SELECT count(*) FROM "s"."t"') == 3000
    con.close()


def test_arrow_schema_refuses_what_it_cannot_promise() -> None:
    assert delta_duckdb_write.arrow_schema(["a", "a"], ["INTEGER", "INTEGER"]) is None
    assert delta_duckdb_write.arrow_schema(["a"], ["TIMESTAMP_NS"]) is None
    assert delta_duckdb_write.arrow_schema(["a"], ["STRUCT(x INTEGER)"]) is None
    assert delta_duckdb_write.arrow_schema(["a;b"], ["INTEGER"]) is None
    schema = delta_duckdb_write.arrow_schema(["a", "b"], ["DECIMAL(38,10)", "TIMESTAMP WITH TIME ZONE"])
    assert str(schema.field("a").type) == "decimal128(38, 10)" and schema.field("b").type.tz == "UTC"
