"""Checks every dialect must pass, called from each engine's test module with its own cases.

sqlglot's parser for the same engine is the independent reader: what a dialect quotes or
writes as a literal must parse back, in that engine's grammar, to the value it was given.
"""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from faborite.dialects import Dialect
from faborite.errors import ProviderError
from faborite.relation import Relation


def check_identifier_round_trips(dialect: Dialect, schema: str, name: str) -> None:
    """``name`` quoted in a relation parses back (sqlglot and ``pointer_reads``) unchanged."""
    rel = Relation(schema_name=schema, name=name)
    quoted = dialect.quote_relation(rel)
    table = sqlglot.parse_one(f"SELECT * FROM {quoted}", read=dialect.sqlglot_dialect).find(exp.Table)
    assert (table.db, table.name) == (schema, name)
    view = dialect.swap_view(Relation(schema_name=schema, name="v"), rel)[-1]
    assert dialect.pointer_reads(view) == rel


def check_column_round_trips(dialect: Dialect, name: str) -> None:
    """A column name, however hostile, survives quoting."""
    column = sqlglot.parse_one(f"SELECT {dialect.quote_identifier(name)}", read=dialect.sqlglot_dialect)
    assert column.expressions[0].name == name


def check_refuses_empty_names(dialect: Dialect) -> None:
    for bad in ("", "a\x00b"):
        with pytest.raises(ProviderError):
            dialect.quote_identifier(bad)
        with pytest.raises(ProviderError):
            dialect.quote_relation(Relation(schema_name="s", name=bad))


def check_string_literal_round_trips(dialect: Dialect, value: str) -> None:
    """A string literal reads back as the same string in the engine's grammar."""
    literal = sqlglot.parse_one(f"SELECT {dialect.literal(value)}", read=dialect.sqlglot_dialect).expressions[0]
    assert literal.name == value


def check_literal(dialect: Dialect, value: object, expected: str) -> None:
    """``value`` is written as ``expected``, which the engine's grammar parses."""
    assert dialect.literal(value) == expected
    sqlglot.parse_one(f"SELECT {expected}", read=dialect.sqlglot_dialect)


def check_merge_and_insert_validate_columns(dialect: Dialect) -> None:
    rel = Relation(schema_name="s", name="t")
    with pytest.raises(ProviderError, match="no columns"):
        dialect.insert_into(rel, "SELECT 1", [])
    with pytest.raises(ProviderError, match="more than once"):
        dialect.insert_into(rel, "SELECT 1, 2", ["a", "a"])
    with pytest.raises(ProviderError, match="'k'.*not among"):
        dialect.merge(rel, "SELECT 1 AS a", ["k"], ["a"])
    # A key-only merge has nothing to update and must still parse in the engine's grammar.
    sql = dialect.merge(rel, "SELECT 1 AS a", "a", ["a"])
    assert "WHEN MATCHED" not in sql
    sqlglot.parse_one(sql, read=dialect.sqlglot_dialect)


#: Names that break naive quoting: every engine's delimiters, dots, spaces, unicode.
HOSTILE_NAMES = ('it\'s "a" [b] `c`', "a.b", "sp ace", "naïve 数据 😀", "]", '"', "`", "x]]y", 'x""y')
