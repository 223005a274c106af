"""SQL Server and Fabric Warehouse: bracket quoting, guarded schema creation, SELECT INTO vs CTAS."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
import sqlglot

from faborite.dialects import get_dialect
from faborite.dialects.tsql import FabricDialect, TSQLDialect
from faborite.relation import Relation
from tests.dialects import suite

DIALECTS = [TSQLDialect(), FabricDialect()]
REL = Relation(schema_name="s", name="t")


@pytest.mark.parametrize("dialect", DIALECTS, ids=str)
@pytest.mark.parametrize("name", suite.HOSTILE_NAMES)
def test_hostile_names_round_trip(dialect, name):
    suite.check_identifier_round_trips(dialect, "my]schema", name)
    suite.check_column_round_trips(dialect, name)
    suite.check_string_literal_round_trips(dialect, name)


@pytest.mark.parametrize("dialect", DIALECTS, ids=str)
def test_shared_checks(dialect):
    suite.check_refuses_empty_names(dialect)
    suite.check_merge_and_insert_validate_columns(dialect)


def test_quoting():
    d = TSQLDialect()
    assert d.quote_identifier("a]b") == "[a]]b]"
    assert d.quote_relation(Relation(schema_name="a.b", name="c")) == "[a.b].[c]"


def test_pointer_reads_brackets_and_bare_names():
    d = TSQLDialect()
    # As sys.sql_modules stores it: the whole CREATE statement.
    assert d.pointer_reads("CREATE VIEW [dbo].[v] AS\nSELECT * FROM [x]]y].[a.b];") == Relation(
        schema_name="x]y", name="a.b"
    )
    assert d.pointer_reads("SELECT * FROM dbo.t") == Relation(schema_name="dbo", name="t")
    assert d.pointer_reads("SELECT * FROM [dbo].[t] WHERE 1 = 1") is None
    assert d.pointer_reads("SELECT * FROM [dbo].[t") is None


def test_create_schema_is_guarded_and_escaped_twice():
    sql = TSQLDialect().create_schema("it's]")
    assert sql == "IF SCHEMA_ID(N'it''s]') IS NULL EXEC(N'CREATE SCHEMA [it''s]]]')"
    sqlglot.parse_one(sql, read="tsql")


def test_sql_server_has_select_into_and_fabric_ctas():
    query = "WITH c AS (SELECT 1 AS a) SELECT a FROM c;"
    assert TSQLDialect().create_table_as(REL, query) == (
        "WITH c AS (SELECT 1 AS a) SELECT * INTO [s].[t] FROM (SELECT a AS a FROM c) AS temp"
    )
    assert FabricDialect().create_table_as(REL, query) == "CREATE TABLE [s].[t] AS\nWITH c AS (SELECT 1 AS a) SELECT a FROM c"


def test_views_and_merge():
    d = TSQLDialect()
    assert d.create_or_replace_view(REL, "SELECT 1 AS a") == ["CREATE OR ALTER VIEW [s].[t] AS\nSELECT 1 AS a"]
    assert d.merge(REL, "SELECT 1 AS id", "id", ["id"]).endswith(";")  # SQL Server requires it


@pytest.mark.parametrize(
    ("value", "tsql", "fabric"),
    [
        (True, "1", "1"),
        (None, "NULL", "NULL"),
        (-1.5, "-1.5E0", "-1.5E0"),
        (1e-05, "1e-05", "1e-05"),
        (decimal.Decimal("12.340"), "12.340", "12.340"),
        ("naïve", "N'naïve'", "N'naïve'"),
        (dt.date(2024, 2, 29), "CAST('2024-02-29' AS DATE)", "CAST('2024-02-29' AS DATE)"),
        (
            dt.datetime(2024, 2, 29, 13, 5, 1),
            "CAST('2024-02-29 13:05:01' AS DATETIME2)",
            "CAST('2024-02-29 13:05:01' AS DATETIME2(6))",
        ),
        (
            dt.datetime(2024, 2, 29, tzinfo=dt.timezone.utc),
            "CAST('2024-02-29 00:00:00+00:00' AS DATETIMEOFFSET)",
            "CAST('2024-02-29 00:00:00+00:00' AS DATETIMEOFFSET)",
        ),
    ],
)
def test_literals(value, tsql, fabric):
    suite.check_literal(TSQLDialect(), value, tsql)
    suite.check_literal(FabricDialect(), value, fabric)


def test_flags_and_registration():
    for name, cls in (("tsql", TSQLDialect), ("fabric", FabricDialect)):
        assert get_dialect(name) is cls
        assert cls.transactional_ddl and cls.supports_merge and cls.supports_create_or_replace_view
        assert cls.default_schema == "dbo"
