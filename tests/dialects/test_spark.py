"""Spark SQL: backtick names kept in lower case by the catalog, backslash escapes, Parquet CTAS."""

from __future__ import annotations

import datetime as dt

import pytest

from faborite.dialects import get_dialect
from faborite.dialects.spark import SparkDialect
from faborite.relation import Relation
from tests.dialects import suite

D = SparkDialect()
X = Relation(schema_name="faborite__main", name="x__abc")


@pytest.mark.parametrize("name", suite.HOSTILE_NAMES + ("back\\slash",))
def test_hostile_columns_and_strings_round_trip(name):
    suite.check_column_round_trips(D, name)
    suite.check_string_literal_round_trips(D, name)


@pytest.mark.parametrize("name", ["x__abc", "a`b", "odd name.v1"])
def test_relation_names_round_trip_in_lower_case(name):
    suite.check_identifier_round_trips(D, "faborite__main", name)


def test_shared_checks():
    suite.check_refuses_empty_names(D)
    suite.check_merge_and_insert_validate_columns(D)


def test_flags_and_registration():
    assert get_dialect("spark") is SparkDialect
    assert (D.sqlglot_dialect, D.default_schema, D.file_formats) == ("spark", "default", frozenset())
    assert not D.transactional_ddl and not D.supports_merge and D.supports_create_or_replace_view


def test_tables_are_parquet_and_views_replace():
    assert D.create_table_as(X, "SELECT 1 AS a;") == (
        "CREATE TABLE `faborite__main`.`x__abc` USING parquet AS\nSELECT 1 AS a")
    assert D.swap_view(Relation(schema_name="main", name="x"), X) == [
        "CREATE OR REPLACE VIEW `main`.`x` AS\nSELECT * FROM `faborite__main`.`x__abc`"]


def test_publish_is_not_atomic():
    from faborite.plan.atomicity import publish_strategy

    strategy = publish_strategy(D)
    assert (strategy.method, strategy.atomic) == ("per_statement", False)
    assert strategy.detail.startswith("not atomic")


@pytest.mark.parametrize("definition, reads", [
    ("SELECT * FROM `faborite__main`.`x__abc`", X),  # as faborite writes it and Spark keeps it
    ("SELECT * FROM `Faborite__Main`.`X__ABC`", X),  # the catalog's names are lower case
    ("SELECT * FROM faborite__main.x__abc", X),
])
def test_pointer_reads_a_plain_pointer(definition, reads):
    assert D.pointer_reads(definition) == reads


@pytest.mark.parametrize("definition", [
    "SELECT * FROM `faborite__main`.`x__abc` WHERE a > 0",
    "SELECT *\nFROM `faborite__main`.`x__abc`\nLIMIT 1",
    "SELECT a FROM `faborite__main`.`x__abc`",
    "SELECT * FROM x__abc",  # unqualified: the schema is unknown
    "",
])
def test_pointer_reads_nothing_else(definition):
    assert D.pointer_reads(definition) is None


@pytest.mark.parametrize(("value", "expected"), [
    (True, "TRUE"),
    ("a\\b'c", "'a\\\\b\\'c'"),
    (dt.date(2024, 2, 29), "DATE '2024-02-29'"),
    (dt.datetime(2024, 2, 29, 13, 5, 1), "TIMESTAMP_NTZ '2024-02-29 13:05:01'"),
    (dt.datetime(2024, 2, 29, tzinfo=dt.timezone.utc), "TIMESTAMP '2024-02-29 00:00:00+00:00'"),
])
def test_literals(value, expected):
    suite.check_literal(D, value, expected)


def test_compile_time_check_knows_spark_functions_and_types():
    assert D.unsupported("SELECT date_trunc('month', d), CAST(x AS BIGINT), transform(a, v -> v + 1) FROM t",
                         read="spark") == []
    found = {u.construct for u in D.unsupported("SELECT no_such_fn(x), CAST(y AS HUGEINT) FROM t", read="duckdb")}
    assert "function NO_SUCH_FN()" in found and any(c.startswith("type ") for c in found)
    assert D.unsupported("SELECT * EXCLUDE (y) FROM t", read="duckdb") != []


def test_transpiles_from_duckdb():
    assert D.transpile('SELECT "a b" FROM t', read="duckdb") == "SELECT `a b` FROM t"
