"""The PostgreSQL dialect: its flags, the publish statements, and views as PostgreSQL prints them.

The printed forms below are what ``pg_get_viewdef`` returns (checked against a
server in tests/providers/test_postgres.py through the conformance suite).
"""

from __future__ import annotations

import pytest

from faborite.dialects import get_dialect
from faborite.dialects.postgres import PostgresDialect
from faborite.errors import ProviderError
from faborite.relation import Relation

D = PostgresDialect()
X = Relation(schema_name="faborite__main", name="x__abc")
ODD = Relation(schema_name='conf "abc" s', name="t v1")


def test_registered_with_its_capabilities():
    assert get_dialect("postgres") is PostgresDialect
    assert (D.sqlglot_dialect, D.default_schema, D.file_formats) == ("postgres", "public", frozenset())
    assert D.transactional_ddl and D.supports_merge and not D.supports_create_or_replace_view


def test_publish_drops_and_creates_the_view():
    view = Relation(schema_name="main", name="x")
    assert D.create_or_replace_view(view, 'SELECT * FROM "faborite__main"."x__abc"') == [
        'DROP VIEW IF EXISTS "main"."x"',
        'CREATE VIEW "main"."x" AS\nSELECT * FROM "faborite__main"."x__abc"',
    ]


def test_no_file_reading():
    with pytest.raises(ProviderError, match="cannot read files"):
        D.read_files("parquet", ["a.parquet"], {})


@pytest.mark.parametrize("definition, reads", [
    ('SELECT * FROM "faborite__main"."x__abc"', X),  # as faborite writes it
    (" SELECT x__abc.id,\n    x__abc.name\n   FROM faborite__main.x__abc;", X),  # as PostgreSQL prints it
    (' SELECT "t v1".a,\n    "t v1"."B c"\n   FROM "conf ""abc"" s"."t v1";', ODD),
    (' SELECT "t v1"."from"\n   FROM "conf ""abc"" s"."t v1";', ODD),  # a keyword as a column name
    (" SELECT\n   FROM faborite__main.x__abc;", X),  # a table without columns
])
def test_pointer_reads_a_plain_pointer(definition, reads):
    assert D.pointer_reads(definition) == reads


@pytest.mark.parametrize("definition", [
    " SELECT x__abc.id,\n    x__abc.name\n   FROM faborite__main.x__abc\n  WHERE (x__abc.id > 0);",
    " SELECT x__abc.id,\n    x__abc.name AS n\n   FROM faborite__main.x__abc;",
    " SELECT (x__abc.id + 1) AS id\n   FROM faborite__main.x__abc;",
    " SELECT a.id\n   FROM (faborite__main.x__abc a\n     JOIN s.y b ON (true));",
    " SELECT t.id\n   FROM faborite__main.x__abc t;",  # an alias
    " SELECT y.id\n   FROM faborite__main.x__abc;",  # a column of another relation
    " SELECT x__abc.id\n   FROM x__abc;",  # unqualified: the schema is unknown
    " SELECT x__abc.id\n   FROM faborite__main.x__abc\n LIMIT 1;",
    " SELECT 1 AS one;",
    "",
])
def test_pointer_reads_nothing_else(definition):
    assert D.pointer_reads(definition) is None


def test_transpiles_from_duckdb():
    assert D.transpile("SELECT list_value(1, 2) AS l", read="duckdb") == "SELECT ARRAY[1, 2] AS l"
