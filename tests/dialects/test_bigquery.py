"""BigQuery: backtick names with backslash escapes, dataset and table name rules, typed literals."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from faborite.dialects import get_dialect
from faborite.dialects.bigquery import BigQueryDialect, backslash_escape, backslash_unescape
from faborite.errors import ProviderError
from faborite.relation import Relation
from tests.dialects import suite

D = BigQueryDialect()
#: BigQuery table names take letters, marks, digits, connectors, dashes and spaces only.
TABLE_NAMES = ("sp ace", "naïve 数据", "a-b_c", "ÅÄÖ")


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_table_names_round_trip(name):
    suite.check_identifier_round_trips(D, "my_dataset", name)


@pytest.mark.parametrize("name", [n for n in suite.HOSTILE_NAMES if "." not in n] + ["back\\slash", "new\nline", "tab\t\x01"])
def test_hostile_columns_and_strings_round_trip(name):
    suite.check_column_round_trips(D, name)
    suite.check_string_literal_round_trips(D, name)
    assert backslash_unescape(backslash_escape(name, "`")) == name


def test_shared_checks():
    suite.check_refuses_empty_names(D)
    suite.check_merge_and_insert_validate_columns(D)


def test_quoting_escapes_with_backslashes():
    assert D.quote_identifier("a`b\\c") == "`a\\`b\\\\c`"
    assert D.quote_identifier("new\nline\x01") == "`new\\nline\\x01`"


@pytest.mark.parametrize(("schema", "name"), [("my-dataset", "t"), ("a.b", "t"), ("ds", "a.b"), ("ds", "a`b"), ("ds", "it's")])
def test_names_bigquery_rejects_are_refused_before_apply(schema, name):
    with pytest.raises(ProviderError, match="invalid BigQuery"):
        D.quote_relation(Relation(schema_name=schema, name=name))


def test_a_dot_cannot_be_quoted():
    with pytest.raises(ProviderError, match="cannot contain a dot"):
        D.quote_identifier("a.b")


def test_create_schema_creates_a_dataset():
    assert D.create_schema("analytics") == "CREATE SCHEMA IF NOT EXISTS `analytics`"
    with pytest.raises(ProviderError, match="dataset"):
        D.create_schema("bad name")


def test_pointer_reads_whole_paths_in_one_pair_of_backticks():
    # The project is the catalog of a three-part name.
    assert D.pointer_reads("SELECT * FROM `my-project.faborite__main.t__1`") == Relation(
        schema_name="faborite__main", name="t__1", catalog="my-project"
    )
    assert D.pointer_reads("SELECT * FROM `ds`.`sp ace`") == Relation(schema_name="ds", name="sp ace")
    assert D.pointer_reads("SELECT * FROM `ds`.`a\\`b`") == Relation(schema_name="ds", name="a`b")
    assert D.pointer_reads("SELECT * FROM `ds.t") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "TRUE"),
        ("it's", "'it\\'s'"),
        (decimal.Decimal("12.340"), "NUMERIC '12.340'"),
        (decimal.Decimal("1E+3"), "NUMERIC '1000'"),
        (decimal.Decimal("0.0000000001"), "BIGNUMERIC '0.0000000001'"),
        (decimal.Decimal("1" * 30), "BIGNUMERIC '" + "1" * 30 + "'"),
        (dt.date(2024, 2, 29), "DATE '2024-02-29'"),
        (dt.datetime(2024, 2, 29, 13, 5, 1), "DATETIME '2024-02-29 13:05:01'"),
        (dt.datetime(2024, 2, 29, tzinfo=dt.timezone.utc), "TIMESTAMP '2024-02-29 00:00:00+00:00'"),
    ],
)
def test_literals(value, expected):
    suite.check_literal(D, value, expected)


def test_flags_and_registration():
    assert get_dialect("bigquery") is BigQueryDialect
    assert not D.transactional_ddl
    assert D.supports_merge and D.supports_create_or_replace_view
