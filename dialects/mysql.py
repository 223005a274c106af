"""MySQL and MariaDB: backticks, each DDL statement commits, publish in one ``RENAME TABLE``.

What differs from the generic SQL of the base:

- A schema is a database (``CREATE DATABASE``), created ``utf8mb4`` with the
  binary collation, so text compares byte for byte as in DuckDB.
- Strings treat a backslash as an escape (the servers' default ``sql_mode``,
  which sqlglot's ``mysql`` output assumes): :meth:`MySQLDialect.literal`
  doubles it.
- DDL is not transactional, but one ``RENAME TABLE a TO b, c TO d`` is atomic
  (every name swaps under one metadata lock, or none does) and renames views.
  :meth:`MySQLDialect.publish_steps` prepares each new view under a temporary
  name, swaps every view in that one statement, then drops the old ones.
- The server stores a view's query re-printed, ``*`` expanded and every column
  qualified (``select `d`.`t`.`a` AS `a` from `d`.`t```):
  :meth:`MySQLDialect.pointer_reads` recognises that form.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from faborite.dialects.base import Dialect
from faborite.dialects.printed_views import dotted, select_from, split_items
from faborite.relation import Relation

@dataclass
class PublishSteps:
    """Publish on MySQL in three parts: only ``swap`` changes what readers see."""

    #: Leftovers of an interrupted publish dropped, schemas created, new views under temporary names.
    prepare: list[str] = field(default_factory=list)
    #: The one ``RENAME TABLE`` (None when there is nothing to swap).
    swap: str | None = None
    #: The replaced and deleted views, now under temporary names, dropped.
    cleanup: list[str] = field(default_factory=list)

    def statements(self) -> list[str]:
        return [*self.prepare, *([self.swap] if self.swap else []), *self.cleanup]


class MySQLDialect(Dialect):
    """MySQL 8 / MariaDB 10.6+ SQL."""

    name = "mysql"
    sqlglot_dialect = "mysql"
    transactional_ddl = False
    #: ``CREATE OR REPLACE VIEW`` may change a view's columns here (unlike PostgreSQL).
    supports_create_or_replace_view = True
    single_statement_publish = True
    supports_merge = False  # INSERT ... ON DUPLICATE KEY UPDATE needs a unique index; none is made
    #: MySQL has no default database; the target's ``database:`` names it (as BigQuery's dataset).
    default_schema = "analytics"
    file_formats = frozenset()
    quote_start = "`"
    quote_end = "`"
    #: MariaDB's functions, from its help tables (see the file's header).
    functions_file = "mysql_functions.txt"
    #: Type names as sqlglot writes them for MySQL, and the servers' own spellings.
    types = frozenset({
        "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "INTEGER", "BIGINT", "SIGNED", "UNSIGNED", "DECIMAL", "DEC",
        "NUMERIC", "FIXED", "FLOAT", "DOUBLE", "DOUBLE PRECISION", "REAL", "BIT", "BOOL", "BOOLEAN", "SERIAL",
        "CHAR", "VARCHAR", "NCHAR", "NVARCHAR", "BINARY", "VARBINARY", "TINYTEXT", "TEXT", "MEDIUMTEXT",
        "LONGTEXT", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB", "ENUM", "SET", "JSON", "DATE", "TIME",
        "DATETIME", "TIMESTAMP", "YEAR", "GEOMETRY", "POINT", "LINESTRING", "POLYGON", "MULTIPOINT",
        "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION", "INET4", "INET6", "UUID",
    })

    def refused_construct(self, node: Any) -> str | None:
        """DuckDB syntax sqlglot writes for MySQL unchanged (``* EXCLUDE``, ASOF joins, lambdas)."""
        from faborite.dialects.support import duckdb_only_construct

        return duckdb_only_construct(node)

    def cast(self, sql: str, type_name: str) -> str:
        """MySQL's ``CAST`` takes its own target names, not column types: ``CAST(x AS BIGINT)`` or
        ``AS TEXT`` is a syntax error, ``AS SIGNED`` / ``AS CHAR`` is what it means (sqlglot maps them)."""
        from sqlglot import exp

        d = self.sqlglot_dialect
        return exp.cast(exp.maybe_parse(sql, dialect=d), exp.DataType.build(type_name, dialect=d)).sql(dialect=d)

    # -- DDL ----------------------------------------------------------------

    def create_schema(self, schema_name: str) -> str:
        """A database, unless it exists: utf8mb4, binary collation (DuckDB compares strings by bytes)."""
        return (f"CREATE DATABASE IF NOT EXISTS {self.quote_identifier(schema_name)} "
                "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")

    def publish_statements(self, pointers: Mapping[Relation, Relation], drops: Iterable[Relation] = (),
                           existing: Collection[Relation] | None = None) -> list[str]:
        """Every statement of :meth:`publish_steps`, in order (``existing``: see there)."""
        return self.publish_steps(pointers, drops, existing).statements()

    def publish_steps(self, pointers: Mapping[Relation, Relation], drops: Iterable[Relation] = (),
                      existing: Collection[Relation] | None = None) -> PublishSteps:
        """Publish as one ``RENAME TABLE``: each new view is created as ``<tmp new>``, then
        ``RENAME TABLE v TO <tmp old>, <tmp new> TO v, ...`` swaps them all at once (a name
        published for the first time is only renamed in; a dropped one only renamed away), then
        the ``<tmp old>`` views are dropped.

        A view that does not exist cannot be renamed away, so the caller says which of the
        names exist (``existing``; the mysql connection reads them in one query). None: every
        view named exists; if one does not, the rename fails whole and nothing changes.
        """
        drops = [d for d in drops if d not in pointers]
        present = (lambda rel: True) if existing is None else set(existing).__contains__
        steps = PublishSteps()
        ordered = sorted(pointers.items(), key=lambda item: item[0].key)
        temporary = [_temporary(v, "new") for v, _ in ordered] + [_temporary(v, "old") for v, _ in ordered]
        temporary += [_temporary(d, "old") for d in drops]
        if temporary:
            steps.prepare.append(self._drop_views(temporary))
        steps.prepare += [self.create_schema(s) for s in sorted({v.schema_name for v in pointers})]
        renames: list[str] = []
        for virtual, physical in ordered:
            new = _temporary(virtual, "new")
            steps.prepare.append(self.create_view(new, f"SELECT * FROM {self.quote_relation(physical)}"))
            if present(virtual):
                renames.append(f"{self.quote_relation(virtual)} TO {self.quote_relation(_temporary(virtual, 'old'))}")
            renames.append(f"{self.quote_relation(new)} TO {self.quote_relation(virtual)}")
        renames += [f"{self.quote_relation(d)} TO {self.quote_relation(_temporary(d, 'old'))}"
                    for d in sorted(drops, key=lambda r: r.key) if present(d)]
        if renames:
            steps.swap = "RENAME TABLE " + ",\n  ".join(renames)
        old = [_temporary(v, "old") for v, _ in ordered if present(v)]
        old += [_temporary(d, "old") for d in drops if present(d)]
        if old:
            steps.cleanup.append(self._drop_views(old))
        return steps

    def _drop_views(self, relations: list[Relation]) -> str:
        return "DROP VIEW IF EXISTS " + ", ".join(self.quote_relation(r) for r in relations)

    # -- values ---------------------------------------------------------------

    def literal(self, value: Any) -> str:
        """The base's literals with backslashes doubled; an aware timestamp as its UTC time
        (connections run with ``time_zone = '+00:00'``; MySQL has no zoned literal)."""
        if isinstance(value, str):
            return super().literal(value.replace("\\", "\\\\"))
        if isinstance(value, dt.datetime) and value.utcoffset() is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return super().literal(value)

    # -- reading back -------------------------------------------------------

    def pointer_reads(self, definition: str) -> Relation | None:
        """The relation a virtual-layer view reads, as written (``SELECT * FROM `d`.`t```) or as
        the server stores it (``select `d`.`t`.`a` AS `a`,... from `d`.`t```); None for anything
        else: a filter, join, limit, alias, computed or renamed column, or an unqualified table."""
        written = super().pointer_reads(definition)
        if written is not None:
            return written
        printed = select_from(definition, "`")
        if printed is None:
            return None
        columns, tail = printed
        table = dotted(tail, bare_words=False)
        if table is None or len(table) != 2:
            return None
        if not all(_is_own_column(item, table) for item in split_items(columns)):
            return None
        return Relation(schema_name=table[0], name=table[1])


def _temporary(virtual: Relation, role: str) -> Relation:
    """The name a view has during publish, beside it (MySQL renames a view only within its
    database): fixed per view, so the next publish drops a crash's leftover; at most 64 characters."""
    digest = hashlib.sha1(virtual.key.encode()).hexdigest()[:16]
    return Relation(schema_name=virtual.schema_name, name=f"_faborite_{role}_{digest}")



def _is_own_column(item: list[tuple[str, str]], table: list[str]) -> bool:
    """Whether a select item is ```d`.`t`.`c` AS `c``: a column of the FROM table, under its own
    name (a column of a view is printed ```t`.`c``, without the database)."""
    if len(item) < 3 or item[-2] != ("word", "as") or item[-1][0] != "name":
        return False
    column = dotted(item[:-2], bare_words=False)
    return column in ([*table, item[-1][1]], [table[-1], item[-1][1]])
