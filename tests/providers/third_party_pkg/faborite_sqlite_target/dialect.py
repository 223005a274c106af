"""The SQLite dialect of a third-party faborite target, registered through ``faborite.dialects``.

SQLite has no schemas (an ATTACHed database is not one: a view may not read
another database, and faborite's virtual views read physical tables in another
schema). So a relation ``schema.name`` is the single table ``"schema.name"`` in
the one database file; a dot or backslash inside either part is escaped with a
backslash, so every pair of names maps to its own table and back.

faborite prints the physical names of a model's SQL with sqlglot, as a two-part
``"schema"."name"``; :class:`FaboriteSQLite` is SQLite's sqlglot dialect with
that one difference, so the names it prints are this dialect's names too.
"""

from __future__ import annotations

import re

from sqlglot import exp
from sqlglot.dialects.sqlite import SQLite

from faborite.dialects.base import Dialect
from faborite.errors import ProviderError
from faborite.relation import Relation

#: The sqlglot dialect name (sqlglot registers dialect classes by lower-cased class name).
SQLGLOT_NAME = "faboritesqlite"

#: A stored view that only points at one relation: ``[CREATE VIEW "v" AS] SELECT * FROM "s.t"``.
_POINTER = re.compile(r'\s*(?:CREATE\s+VIEW\s+"(?:[^"]|"")*"\s+AS\s+)?SELECT\s+\*\s+FROM\s+"((?:[^"]|"")*)"\s*;?\s*',
                      re.IGNORECASE | re.DOTALL)


def table_name(rel: Relation) -> str:
    """The one SQLite table name of ``rel``: ``schema.name``, inner dots and backslashes escaped."""
    return f"{_escape(rel.schema_name)}.{_escape(rel.name)}"


def relation_of(table: str) -> Relation | None:
    """The relation a table name made by :func:`table_name` stands for; None for any other name."""
    parts, current, escaped = [], [], False
    for char in table:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ".":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    if escaped or len(parts) != 2 or not all(parts):
        return None
    return Relation(schema_name=parts[0], name=parts[1])


def _escape(part: str) -> str:
    return part.replace("\\", "\\\\").replace(".", "\\.")


class FaboriteSQLite(SQLite):
    """sqlglot's SQLite, printing a ``schema.table`` reference as the one table that stands for it."""

    class Generator(SQLite.Generator):
        def table_parts(self, expression: exp.Table) -> str:
            db, this = expression.args.get("db"), expression.args.get("this")
            if expression.args.get("catalog") is None and isinstance(db, exp.Identifier) \
                    and isinstance(this, exp.Identifier):
                name = table_name(Relation(schema_name=db.name, name=this.name))
                return self.sql(exp.to_identifier(name, quoted=True))
            return super().table_parts(expression)


class SQLiteDialect(Dialect):
    """SQLite: transactional DDL; no schemas, CREATE OR REPLACE VIEW, MERGE or file reading."""

    name = "sqlite"
    sqlglot_dialect = SQLGLOT_NAME
    transactional_ddl = True
    supports_create_or_replace_view = False
    supports_merge = False
    default_schema = "main"
    file_formats = frozenset()

    def quote_relation(self, rel: Relation) -> str:
        """``"schema.name"``: the one table standing for ``rel`` (see the module docstring)."""
        return self.quote_identifier(table_name(rel))

    def create_schema(self, schema_name: str) -> str:
        """Schemas are name prefixes here, so there is nothing to create: a statement that does nothing."""
        if not schema_name or "\x00" in schema_name:
            raise ProviderError(f"invalid schema name {schema_name!r}")
        return f"SELECT {self.literal(schema_name)} AS schema_name WHERE 0"

    def pointer_reads(self, definition: str) -> Relation | None:
        """The relation a stored ``CREATE VIEW v AS SELECT * FROM "s.t"`` reads; None for any other view."""
        match = _POINTER.fullmatch(definition)
        if match is None:
            return None
        return relation_of(match.group(1).replace('""', '"'))
