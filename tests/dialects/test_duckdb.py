"""The DuckDB dialect: the SQL it writes, checked as text and run against DuckDB."""

from __future__ import annotations

import datetime as dt
import decimal
import json

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from faborite.dialects import Dialect, available_dialects, get_dialect
from faborite.dialects.duckdb import DuckDBDialect
from faborite.errors import ConfigError, ProviderError
from faborite.relation import Relation

D = DuckDBDialect()
TRICKY = Relation(schema_name='my "odd" schema', name="it's a table")


@pytest.fixture
def con():
    con = duckdb.connect()
    yield con
    con.close()


def validate(sql: str | list[str], expected: str | list[str], con=None) -> None:
    """Assert the SQL text, and when given a connection, that DuckDB runs it."""
    assert sql == expected
    if con is not None:
        for statement in sql if isinstance(sql, list) else [sql]:
            con.execute(statement)
            con.complete()


class OtherEngine(Dialect, register=False):
    """A dialect for another sqlglot engine, kept out of the registry."""

    name = "test_mysql"
    sqlglot_dialect = "mysql"


# -- names and DDL ----------------------------------------------------------


def test_quoting():
    assert D.quote_identifier("plain") == '"plain"'
    assert D.quote_identifier('a "b" c') == '"a ""b"" c"'
    assert D.quote_relation(TRICKY) == '"my ""odd"" schema"."it\'s a table"'
    for bad in ("", "a\x00b"):
        with pytest.raises(ProviderError):
            D.quote_identifier(bad)


def test_ddl_for_tricky_names(con):
    q = '"my ""odd"" schema"."it\'s a table"'
    validate(D.create_schema(TRICKY.schema_name), 'CREATE SCHEMA IF NOT EXISTS "my ""odd"" schema"', con)
    validate(D.create_schema(TRICKY.schema_name), 'CREATE SCHEMA IF NOT EXISTS "my ""odd"" schema"', con)
    validate(D.create_table_as(TRICKY, "SELECT 1 AS a;\n"), f"CREATE TABLE {q} AS\nSELECT 1 AS a", con)
    view = Relation(schema_name=TRICKY.schema_name, name="v w")
    qv = '"my ""odd"" schema"."v w"'
    validate(D.create_view(view, f"SELECT a FROM {q}"), f"CREATE VIEW {qv} AS\nSELECT a FROM {q}", con)
    validate(
        D.create_or_replace_view(view, f"SELECT a + 1 AS a FROM {q} -- trailing comment"),
        [f"CREATE OR REPLACE VIEW {qv} AS\nSELECT a + 1 AS a FROM {q} -- trailing comment"],
        con,
    )
    assert con.execute(f"SELECT a FROM {qv}").fetchall() == [(2,)]
    validate(D.drop_view(view), f"DROP VIEW IF EXISTS {qv}", con)
    validate(D.drop_view(view), f"DROP VIEW IF EXISTS {qv}", con)
    validate(D.drop_table(TRICKY), f"DROP TABLE IF EXISTS {q}", con)
    validate(D.drop_table(TRICKY), f"DROP TABLE IF EXISTS {q}", con)


def test_create_or_replace_view_falls_back_to_drop_and_create(con):
    class NoReplace(DuckDBDialect, register=False):
        supports_create_or_replace_view = False

    rel = Relation(schema_name="main", name="v")
    statements = NoReplace().create_or_replace_view(rel, "SELECT 1 AS a")
    validate(statements, ['DROP VIEW IF EXISTS "main"."v"', 'CREATE VIEW "main"."v" AS\nSELECT 1 AS a'], con)
    validate(statements, statements, con)  # runs again: the drop clears the way


def test_count_rows_sql(con):
    sql = D.count_rows_sql("SELECT * FROM range(7) -- seven rows;\n")
    assert sql == 'SELECT COUNT(*) FROM (\nSELECT * FROM range(7) -- seven rows\n) AS "_faborite_count"'
    assert con.execute(sql).fetchall() == [(7,)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "NULL"),
        (True, "TRUE"),
        (False, "FALSE"),
        (42, "42"),
        (-1.5, "-1.5"),
        (decimal.Decimal("12.340"), "12.340"),
        ("it's", "'it''s'"),
        ("", "''"),
        (dt.date(2024, 2, 29), "DATE '2024-02-29'"),
        (dt.datetime(2024, 2, 29, 13, 5, 1), "TIMESTAMP '2024-02-29 13:05:01'"),
        (
            dt.datetime(2024, 2, 29, 13, 5, 1, tzinfo=dt.timezone.utc),
            "TIMESTAMP WITH TIME ZONE '2024-02-29 13:05:01+00:00'",
        ),
    ],
)
def test_literal_round_trips(con, value, expected):
    assert D.literal(value) == expected
    assert con.execute(f"SELECT {expected}").fetchall() == [(value,)]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), object(), b"bytes", "a\x00b"])
def test_literal_refuses(value):
    with pytest.raises(ProviderError):
        D.literal(value)


# -- transpile ----------------------------------------------------------------


def test_transpile_from_duckdb_is_identity():
    sql = "SELECT [1, 2] AS l, {'a': 1} AS s FROM t QUALIFY ROW_NUMBER() OVER () = 1"
    assert D.transpile(sql, read="duckdb") is sql


def test_transpile_from_another_dialect(con):
    sql = D.transpile("SELECT CAST(x AS TEXT) AS y FROM (SELECT 1 AS x) AS t", read="postgres")
    assert sql == "SELECT CAST(x AS TEXT) AS y FROM (SELECT 1 AS x) AS t"
    assert con.execute(sql).fetchall() == [("1",)]
    assert D.transpile("SELECT `a b` FROM t", read="mysql") == 'SELECT "a b" FROM t'


@pytest.mark.parametrize(
    ("sql", "construct"),
    [
        ("SELECT [1, 2, 3] AS l", "Arrays are not supported by MySQL"),
        ("SELECT * FROM t PIVOT (SUM(x) FOR y IN ('a', 'b'))", "PIVOT unsupported"),
    ],
)
def test_transpile_of_an_unsupported_construct_names_it(sql, construct):
    with pytest.raises(ProviderError, match=construct) as info:
        OtherEngine().transpile(sql, read="duckdb")
    assert "from duckdb to mysql" in info.value.message


def test_transpile_of_bad_sql_or_dialect():
    with pytest.raises(ProviderError, match="cannot parse SQL as postgres at line 1") as info:
        D.transpile("SELECT (", read="postgres")
    assert "\x1b" not in str(info.value)  # no terminal colour codes from sqlglot
    with pytest.raises(ProviderError, match="nosuch"):
        D.transpile("SELECT 1", read="nosuch")


# -- read_files -----------------------------------------------------------------


def test_read_files_sql():
    assert D.read_files("parquet", ["a.parquet", "it's.parquet"], {"hive_partitioning": True}) == (
        "read_parquet(['a.parquet', 'it''s.parquet'], hive_partitioning = TRUE)"
    )
    assert D.read_files("csv", ["x.csv"], {"delim": ";", "columns": {"a": "INTEGER"}}) == (
        "read_csv(['x.csv'], delim = ';', columns = {'a': 'INTEGER'})"
    )
    assert D.read_files("json", ["x.json"], {}) == "read_json(['x.json'])"


def test_read_files_refuses_bad_input():
    with pytest.raises(ProviderError, match="xlsx"):
        D.read_files("xlsx", ["a.xlsx"], {})  # type: ignore[arg-type]
    with pytest.raises(ProviderError, match="no files"):
        D.read_files("csv", [], {})
    with pytest.raises(ProviderError, match="option name"):
        D.read_files("csv", ["a.csv"], {"delim = ',') ; DROP TABLE x; --": ","})


def test_read_files_runs_in_duckdb(tmp_path, con):
    pq.write_table(pa.table({"id": [1, 2], "name": ["a", "b"]}), tmp_path / "it's.parquet")
    for part in ("2024", "2025"):
        (tmp_path / "hive" / f"year={part}").mkdir(parents=True)
        pq.write_table(pa.table({"id": [int(part)]}), tmp_path / "hive" / f"year={part}" / "data.parquet")
    (tmp_path / "data.csv").write_text("id;name\n1;x\n2;y\n3;z\n")
    (tmp_path / "data.json").write_text("\n".join(json.dumps({"id": i}) for i in range(4)) + "\n")

    parquet = D.read_files("parquet", [str(tmp_path / "it's.parquet")], {})
    assert con.execute(f"SELECT id, name FROM {parquet} ORDER BY id").fetchall() == [(1, "a"), (2, "b")]

    hive = D.read_files("parquet", [str(tmp_path / "hive" / "*" / "*.parquet")], {"hive_partitioning": True})
    assert con.execute(f"SELECT id, year FROM {hive} ORDER BY id").fetchall() == [(2024, 2024), (2025, 2025)]

    csv = D.read_files("csv", [str(tmp_path / "data.csv")], {"delim": ";", "header": True})
    assert con.execute(f"SELECT COUNT(*), MAX(name) FROM {csv}").fetchall() == [(3, "z")]

    js = D.read_files("json", [str(tmp_path / "data.json")], {"format": "newline_delimited"})
    assert con.execute(f"SELECT SUM(id) FROM {js}").fetchall() == [(6,)]


def test_the_generic_dialect_reads_no_files():
    with pytest.raises(ProviderError, match="this target cannot read files directly"):
        Dialect().read_files("parquet", ["a.parquet"], {})


# -- registry -------------------------------------------------------------------


def test_flags():
    assert D.transactional_ddl and D.supports_create_or_replace_view and D.supports_merge
    assert D.default_schema == "main"
    assert D.file_formats == {"parquet", "csv", "json"}


def test_get_dialect():
    assert get_dialect("duckdb") is DuckDBDialect
    assert "duckdb" in available_dialects()
    assert "test_mysql" not in available_dialects()  # register=False kept it out
    with pytest.raises(ConfigError, match="unknown dialect 'duckdbb'") as info:
        get_dialect("duckdbb")
    assert info.value.hint == "did you mean 'duckdb'?"
    with pytest.raises(ConfigError) as info:
        get_dialect("zzzzzz")
    assert "duckdb" in info.value.hint


def test_subclasses_register_themselves(monkeypatch):
    monkeypatch.setattr(Dialect, "registry", dict(Dialect.registry))

    class MotherDuck(DuckDBDialect):
        name = "test_motherduck"

    class Intermediate(DuckDBDialect):  # no name of its own: must not replace duckdb
        supports_merge = False

    assert get_dialect("test_motherduck") is MotherDuck
    assert get_dialect("duckdb") is DuckDBDialect


# -- swap, insert, merge (the base's generic SQL, run by DuckDB) ------------------


def test_swap_insert_and_merge_run_in_duckdb(con):
    table = Relation(schema_name=TRICKY.schema_name, name="t")
    view = Relation(schema_name=TRICKY.schema_name, name="v")
    con.execute(D.create_schema(table.schema_name))
    con.execute(D.create_table_as(table, "SELECT 1 AS id, 'a' AS \"it's\""))
    swap = f"CREATE OR REPLACE VIEW {D.quote_relation(view)} AS\nSELECT * FROM {D.quote_relation(table)}"
    validate(D.swap_view(view, table), [swap], con)
    assert D.pointer_reads(D.swap_view(view, table)[0]) == table

    # The column list follows the query's order, not the table's.
    con.execute(D.insert_into(table, "SELECT 'b' AS x, 2 AS y", ["it's", "id"]))
    merge = D.merge(table, "SELECT 2 AS id, 'B' AS \"it's\" UNION ALL SELECT 3, 'c'", ["id"], ["id", "it's"])
    con.execute(merge)
    assert con.execute(f"SELECT * FROM {D.quote_relation(view)} ORDER BY id").fetchall() == [(1, "a"), (2, "B"), (3, "c")]
