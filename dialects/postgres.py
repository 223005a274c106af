"""PostgreSQL: transactional DDL, MERGE (15+), no file reading.

Two things differ from the generic SQL of the base:

- ``CREATE OR REPLACE VIEW`` cannot drop, rename or retype a column, and a new
  version of a node may do all three; so ``supports_create_or_replace_view``
  stays False and publish drops and re-creates each view inside its one
  transaction (DDL is transactional here, so readers never see a gap).
- PostgreSQL does not keep a view's SQL: ``pg_get_viewdef`` prints the parsed
  query back, ``*`` expanded and names qualified (``SELECT x.id, x.name FROM
  s.x;``). :meth:`PostgresDialect.pointer_reads` recognises that printed form.
"""

from __future__ import annotations

from faborite.dialects.base import Dialect
from faborite.dialects.printed_views import dotted, select_from, split_items
from faborite.relation import Relation

class PostgresDialect(Dialect):
    """PostgreSQL SQL; generic DDL plus recognising views as PostgreSQL prints them."""

    name = "postgres"
    sqlglot_dialect = "postgres"
    transactional_ddl = True
    row_versioned_incremental = True
    supports_create_or_replace_view = False
    supports_merge = True  # PostgreSQL 15 and later
    default_schema = "public"
    file_formats = frozenset()
    #: pg_catalog's functions (PostgreSQL 15): a model calling anything else is refused at compile.
    functions_file = "postgres_functions.txt"
    #: Type names as sqlglot spells them for PostgreSQL, and PostgreSQL's own aliases.
    types = frozenset({
        "SMALLINT", "INT", "INTEGER", "BIGINT", "INT2", "INT4", "INT8", "REAL", "FLOAT", "FLOAT4", "FLOAT8",
        "DOUBLE PRECISION", "NUMERIC", "DECIMAL", "BOOLEAN", "BOOL", "TEXT", "VARCHAR", "CHAR", "CHARACTER",
        "CHARACTER VARYING", "BPCHAR", "DATE", "TIME", "TIMETZ", "TIMESTAMP", "TIMESTAMPTZ",
        "TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITHOUT TIME ZONE", "TIME WITH TIME ZONE", "INTERVAL", "BYTEA",
        "JSON", "JSONB", "UUID", "MONEY", "INET", "CIDR", "MACADDR", "XML", "BIT", "VARBIT", "BIT VARYING",
        "SERIAL", "BIGSERIAL", "SMALLSERIAL", "OID", "NAME", "POINT", "LINE", "BOX", "CIRCLE", "POLYGON", "PATH",
        "TSVECTOR", "TSQUERY", "INT4RANGE", "INT8RANGE", "NUMRANGE", "TSRANGE", "TSTZRANGE", "DATERANGE",
    })

    def replace_view_in_place(self, rel: Relation, select_sql: str) -> list[str]:
        """``CREATE OR REPLACE VIEW``: publish cannot use it (a new version may drop a column), but a
        physical view's columns are fixed by its version, and dropping it first would fail when a
        failed apply left views built on it ("other objects depend on it")."""
        body = select_sql.strip().rstrip(";").rstrip()
        return [f"CREATE OR REPLACE VIEW {self.quote_relation(rel)} AS\n{body}"]

    def refused_construct(self, node) -> str | None:
        """DuckDB syntax sqlglot writes for PostgreSQL unchanged (``* EXCLUDE``, ASOF joins, lambdas)."""
        from faborite.dialects.support import duckdb_only_construct

        return duckdb_only_construct(node)

    def pointer_reads(self, definition: str) -> Relation | None:
        """The relation a virtual-layer view reads, as written (``SELECT * FROM "s"."t"``) or as
        ``pg_get_viewdef`` prints it (`` SELECT t.a, t.b FROM s.t;``); None for anything else:
        a filter, a join, an alias, a computed or renamed column, or an unqualified table."""
        written = super().pointer_reads(definition)
        if written is not None:
            return written
        printed = select_from(definition, '"')
        if printed is None:
            return None
        columns, tail = printed
        if tail and tail[-1] == ("punct", ";"):
            tail = tail[:-1]
        table = dotted(tail)
        if table is None or len(table) < 2:  # unqualified: which schema is unknown here
            return None
        relation = Relation(schema_name=table[-2], name=table[-1])
        # Every output column must be a plain column of that table: `t.a` or `a`, no AS.
        if columns and not all(_is_column_of(item, relation.name) for item in split_items(columns)):
            return None
        return relation


def _is_column_of(item: list[tuple[str, str]], table: str) -> bool:
    """Whether a select item is ``column`` or ``table.column`` (qualified by the table itself)."""
    parts = dotted(item)
    if parts is None or len(parts) > 2:
        return False
    return len(parts) == 1 or parts[0] == table
