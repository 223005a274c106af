"""A Delta lakehouse (``type: delta`` target): DuckDB SQL, no transactional DDL.

Queries run on an embedded DuckDB, so the SQL is DuckDB's. Its DDL is written
by the base class and read back by :meth:`DeltaDialect.parse_ddl`: the
connection (``providers/delta_target.py``) carries out ``CREATE TABLE ... AS``,
views and drops on the lakehouse itself, so the dialect both writes and
recognises exactly these statements. Publish is one Delta commit per table
(the connection's ``publish``), never atomic across tables: the plan says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from faborite.dialects.duckdb import DuckDBDialect
from faborite.relation import Relation

DdlKind = Literal["create_schema", "create_table_as", "create_view", "replace_view", "drop_table", "drop_view"]

#: (kind, pattern): what :meth:`DeltaDialect.parse_ddl` recognises; ``name`` is the quoted
#: relation (or schema), ``body`` the query. Exactly the base class's DDL shapes.
_DDL: tuple[tuple[DdlKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.DOTALL))
    for kind, pattern in (
        ("create_schema", r"\ACREATE SCHEMA IF NOT EXISTS (?P<name>.+?)\s*\Z"),
        ("create_table_as", r"\ACREATE TABLE (?P<name>\S.*?) AS\n(?P<body>.*)\Z"),
        ("replace_view", r"\ACREATE OR REPLACE VIEW (?P<name>\S.*?) AS\n(?P<body>.*)\Z"),
        ("create_view", r"\ACREATE VIEW (?P<name>\S.*?) AS\n(?P<body>.*)\Z"),
        ("drop_table", r"\ADROP TABLE IF EXISTS (?P<name>.+?)\s*\Z"),
        ("drop_view", r"\ADROP VIEW IF EXISTS (?P<name>.+?)\s*\Z"),
    )
)


@dataclass(frozen=True)
class Ddl:
    """A DDL statement the lakehouse carries out itself."""

    kind: DdlKind
    #: The relation (for ``create_schema``: a relation whose ``schema_name`` is the schema).
    relation: Relation
    #: The query of a CREATE TABLE AS / CREATE VIEW; "" otherwise.
    body: str = ""


class DeltaDialect(DuckDBDialect):
    """DuckDB's SQL; the lakehouse has no transactional DDL and no MERGE into its tables."""

    name = "delta"
    sqlglot_dialect = "duckdb"
    transactional_ddl = False
    #: Tables are written whole (a new Delta table per version): no shared store of row versions.
    row_versioned_incremental = False
    supports_merge = False
    default_schema = "main"
    # Files sources are read by the embedded DuckDB, as on a duckdb target.
    file_formats = DuckDBDialect.file_formats

    def parse_ddl(self, sql: str) -> Ddl | None:
        """The DDL :meth:`create_schema`, :meth:`create_table_as`, :meth:`create_view`,
        :meth:`create_or_replace_view`, :meth:`drop_table` or :meth:`drop_view` wrote; None
        for anything else (a query, or a statement the lakehouse does not carry out)."""
        text = sql.strip()
        for kind, pattern in _DDL:
            match = pattern.match(text)
            if match is None:
                continue
            parts = self._split_identifiers(match.group("name"))
            if kind == "create_schema":
                if parts is None or len(parts) != 1:
                    return None
                return Ddl(kind, Relation(schema_name=parts[0], name="_"))
            if parts is None or len(parts) != 2:
                return None
            body = match.group("body") if "body" in pattern.groupindex else ""
            return Ddl(kind, Relation(schema_name=parts[0], name=parts[1]), body.strip())
        return None
