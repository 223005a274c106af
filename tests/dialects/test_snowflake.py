"""Snowflake: double-quote names, upper-case folding of bare names, backslashes in strings."""

from __future__ import annotations

import datetime as dt

import pytest

from faborite.dialects import get_dialect
from faborite.dialects.snowflake import SnowflakeDialect
from faborite.relation import Relation
from tests.dialects import suite

D = SnowflakeDialect()


@pytest.mark.parametrize("name", suite.HOSTILE_NAMES + ("back\\slash",))
def test_hostile_names_round_trip(name):
    suite.check_identifier_round_trips(D, 'my "schema"', name)
    suite.check_column_round_trips(D, name)
    suite.check_string_literal_round_trips(D, name)


def test_shared_checks():
    suite.check_refuses_empty_names(D)
    suite.check_merge_and_insert_validate_columns(D)


def test_quoting():
    assert D.quote_identifier('a"b') == '"a""b"'
    assert D.quote_relation(Relation(schema_name="PUBLIC", name="t.x")) == '"PUBLIC"."t.x"'


def test_pointer_reads_folds_bare_names_to_upper_case():
    # GET_DDL returns the statement as written.
    assert D.pointer_reads('create or replace view V as SELECT * FROM "faborite__main"."t__1"') == Relation(
        schema_name="faborite__main", name="t__1"
    )
    assert D.pointer_reads("SELECT * FROM analytics.orders") == Relation(schema_name="ANALYTICS", name="ORDERS")
    assert D.pointer_reads('SELECT * FROM analytics."orders"') == Relation(schema_name="ANALYTICS", name="orders")


def test_columns_are_quoted_as_snowflake_folds_them():
    assert D.quote_column("id") == '"ID"'
    assert D.quote_column("Id") == '"ID"'
    assert D.quote_column("order count") == '"order count"'  # only reachable quoted
    assert D.insert_into(Relation(schema_name="s", name="t"), "SELECT 1 AS id", ["id"]) == (
        'INSERT INTO "s"."t" ("ID")\nSELECT 1 AS id'
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "TRUE"),
        ("a\\b'c", "'a\\\\b''c'"),
        (dt.date(2024, 2, 29), "DATE '2024-02-29'"),
        (dt.datetime(2024, 2, 29, 13, 5, 1), "CAST('2024-02-29 13:05:01' AS TIMESTAMP_NTZ)"),
        (dt.datetime(2024, 2, 29, tzinfo=dt.timezone.utc), "CAST('2024-02-29 00:00:00+00:00' AS TIMESTAMP_TZ)"),
    ],
)
def test_literals(value, expected):
    suite.check_literal(D, value, expected)


def test_flags_and_registration():
    assert get_dialect("snowflake") is SnowflakeDialect
    assert not D.transactional_ddl  # each DDL statement commits
    assert D.supports_merge and D.supports_create_or_replace_view
    assert D.default_schema == "PUBLIC"
    assert D.create_or_replace_view(Relation(schema_name="s", name="v"), "SELECT 1") == [
        'CREATE OR REPLACE VIEW "s"."v" AS\nSELECT 1'
    ]
