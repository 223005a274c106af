"""The MySQL dialect: flags, publish in one RENAME TABLE, literals, and views as the server stores them.

The stored forms below are what MariaDB 10.11's information_schema.VIEWS.VIEW_DEFINITION
returns (checked against a server in tests/providers/test_mysql.py through the conformance suite).
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlglot

from faborite.dialects import get_dialect
from faborite.dialects.mysql import MySQLDialect
from faborite.plan.atomicity import publish_strategy
from faborite.relation import Relation
from tests.dialects import suite

D = MySQLDialect()
X = Relation(schema_name="faborite__main", name="x__abc")
ODD = Relation(schema_name='conf "abc" s', name="t`v1")


def test_registered_with_its_capabilities():
    assert get_dialect("mysql") is MySQLDialect
    assert (D.sqlglot_dialect, D.quote_start, D.quote_end) == ("mysql", "`", "`")
    assert not D.transactional_ddl and D.single_statement_publish and D.supports_create_or_replace_view
    strategy = publish_strategy(D)
    assert (strategy.method, strategy.atomic) == ("single_statement", True)


@pytest.mark.parametrize("name", [n for n in suite.HOSTILE_NAMES])
def test_hostile_names_round_trip(name):
    suite.check_identifier_round_trips(D, "s", name)
    suite.check_column_round_trips(D, name)
    suite.check_string_literal_round_trips(D, name)


def test_names_and_columns():
    suite.check_refuses_empty_names(D)
    suite.check_merge_and_insert_validate_columns(D)


@pytest.mark.parametrize("value, expected", [
    ("back\\slash", "'back\\\\slash'"),
    ("it's", "'it''s'"),
    (dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2))), "TIMESTAMP '2024-01-01 10:00:00'"),
    (dt.date(2024, 2, 29), "DATE '2024-02-29'"),
    (True, "TRUE"),
])
def test_literals(value, expected):
    suite.check_literal(D, value, expected)


def test_a_schema_is_a_utf8mb4_database_with_binary_collation():
    assert D.create_schema("s") == "CREATE DATABASE IF NOT EXISTS `s` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"


@pytest.mark.parametrize("column_type, cast_to", [
    ("BIGINT", "SIGNED"), ("TEXT", "CHAR"), ("VARCHAR(10)", "CHAR(10)"), ("DECIMAL(10, 2)", "DECIMAL(10, 2)"),
    ("DOUBLE", "DOUBLE"), ("DATETIME", "DATETIME"),
])
def test_cast_names_what_mysql_casts_to_not_a_column_type(column_type, cast_to):
    """Typed seeds cast with this: ``CAST(x AS BIGINT)`` and ``AS TEXT`` are syntax errors in MySQL."""
    assert D.cast("`c`", column_type) == f"CAST(`c` AS {cast_to})"


def test_publish_is_one_rename_between_preparing_and_tidying():
    a, b, gone = Relation(schema_name="main", name="a"), Relation(schema_name="main", name="b"), \
        Relation(schema_name="main", name="gone")
    steps = D.publish_steps({a: X, b: X}, drops=[gone], existing={a, gone})
    statements = steps.statements()
    assert statements[statements.index(steps.swap) + 1:] == steps.cleanup
    assert steps.prepare[0].startswith("DROP VIEW IF EXISTS `main`.`_faborite_new_")  # a crash's leftovers
    assert [s.split(" AS")[0] for s in steps.prepare[2:]] == [
        f"CREATE VIEW `main`.`_faborite_new_{suffix}`" for suffix in _suffixes(steps.prepare[2:])]
    renames = steps.swap.removeprefix("RENAME TABLE ").split(",\n  ")
    assert renames[0].startswith("`main`.`a` TO `main`.`_faborite_old_")  # a existed: renamed away first
    assert renames[1].endswith(" TO `main`.`a`")
    assert renames[2].endswith(" TO `main`.`b`")  # b is new: only renamed in
    assert renames[3].startswith("`main`.`gone` TO `main`.`_faborite_old_")
    assert len(renames) == 4
    assert steps.cleanup == [f"DROP VIEW IF EXISTS {renames[0].split(' TO ')[1]}, {renames[3].split(' TO ')[1]}"]
    for statement in statements:
        sqlglot.parse_one(statement, read="mysql")
    # Temporary names are short (MySQL allows 64 characters) and fixed per view.
    long = Relation(schema_name="main", name="x" * 64)
    assert D.publish_steps({long: X}, existing=set()).statements() == D.publish_steps({long: X}, existing=set()).statements()
    assert all(len(name) <= 64 for name in _suffixes(D.publish_steps({long: X}).prepare))


def _suffixes(statements):
    return [s.split("_faborite_new_")[1].split("`")[0] for s in statements if "_faborite_new_" in s]


def test_nothing_to_swap_is_no_rename():
    gone = Relation(schema_name="main", name="gone")
    assert D.publish_steps({}, drops=[gone], existing=set()).swap is None


@pytest.mark.parametrize("definition, reads", [
    ("SELECT * FROM `faborite__main`.`x__abc`", X),  # as faborite writes it
    ("select `faborite__main`.`x__abc`.`id` AS `id`,`faborite__main`.`x__abc`.`name` AS `name` "
     "from `faborite__main`.`x__abc`", X),  # as the server stores a view over a table
    ("select `x__abc`.`id` AS `id` from `faborite__main`.`x__abc`", X),  # over a view: no database
    ("select `conf \"abc\" s`.`t``v1`.`a b` AS `a b` from `conf \"abc\" s`.`t``v1`", ODD),
    ("select `faborite__main`.`x__abc`.`from` AS `from` from `faborite__main`.`x__abc`", X),
])
def test_pointer_reads_a_plain_pointer(definition, reads):
    assert D.pointer_reads(definition) == reads


@pytest.mark.parametrize("definition", [
    "select `faborite__main`.`x__abc`.`id` AS `id` from `faborite__main`.`x__abc` where `faborite__main`.`x__abc`.`id` > 0",
    "select `faborite__main`.`x__abc`.`id` AS `n` from `faborite__main`.`x__abc`",  # renamed
    "select `faborite__main`.`x__abc`.`a` AS `b`,`faborite__main`.`x__abc`.`b` AS `a` from `faborite__main`.`x__abc`",
    "select `faborite__main`.`x__abc`.`id` + 1 AS `id` from `faborite__main`.`x__abc`",
    "select `t`.`id` AS `id` from `faborite__main`.`x__abc` `t`",  # an alias
    "select `t`.`a` AS `a` from (`s`.`t` join `s`.`u` on(`t`.`a` = `u`.`a`))",
    "select `y`.`id` AS `id` from `faborite__main`.`x__abc`",  # a column of another relation
    "select `x__abc`.`id` AS `id` from `x__abc`",  # unqualified: the database is unknown
    "select `faborite__main`.`x__abc`.`id` AS `id` from `faborite__main`.`x__abc` limit 1",
    "select 1 AS `one`",
    "",
])
def test_pointer_reads_nothing_else(definition):
    assert D.pointer_reads(definition) is None


def test_transpiles_from_duckdb_and_refuses_what_mysql_lacks():
    assert D.transpile("SELECT 'a\\b' AS s, x ILIKE 'y%' AS m FROM t", read="duckdb") == \
        "SELECT 'a\\\\b' AS s, LOWER(x) LIKE LOWER('y%') AS m FROM t"
    found = [u.construct for u in D.unsupported("SELECT arg_max(a, b), CAST(c AS HUGEINT), * EXCLUDE (d) FROM t",
                                                read="duckdb")]
    assert any("ARG_MAX" in c.upper() for c in found), found
    assert any("INT128" in c for c in found), found
    assert "SELECT * EXCLUDE/REPLACE" in found
    assert D.unsupported("SELECT round(x / 100.0, 2), coalesce(sum(y), 0), rank() OVER (ORDER BY z) FROM t",
                         read="duckdb") == []
