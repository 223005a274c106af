"""Spark SQL: backtick quoting, Parquet tables, no transactions, no MERGE on Parquet.

What differs from the generic SQL of the base:

- ``CREATE TABLE ... USING parquet AS``: a physical table is a Parquet table of
  the session catalog (Hive metastore), written by one CTAS job.
- DDL is not transactional (``transactional_ddl = False``): publish re-points
  one view per statement, and the plan says publish is not atomic.
- The session catalog stores schema and table names in lower case and only
  with letters, digits and ``_``; :meth:`SparkDialect.pointer_reads` folds the
  name a view reads to lower case, as the catalog lists it.
- Spark keeps a view's SQL as written (``SELECT * FROM `s`.`t```), so the
  base's reading of a pointer view works once the backticks are known.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from faborite.dialects.base import Dialect, _body
from faborite.relation import Relation


class SparkDialect(Dialect):
    """Spark SQL (3.5 and 4.x) against the session catalog."""

    name = "spark"
    sqlglot_dialect = "spark"
    transactional_ddl = False
    supports_create_or_replace_view = True
    #: MERGE INTO needs a v2 table format (Delta, Iceberg); Parquet tables have none.
    supports_merge = False
    #: A COUNT(*) is one more Spark job per table; the provider reads the write's own count instead.
    count_rows_by_scan = False
    default_schema = "default"
    file_formats = frozenset()
    quote_start = "`"
    quote_end = "`"
    #: The table format of physical tables (``USING <format>``).
    table_format = "parquet"
    #: Spark 4.3's functions, from ``SHOW FUNCTIONS`` (see the file's header).
    functions_file = "spark_functions.txt"
    #: Type names as sqlglot writes them for Spark, and Spark's own aliases.
    types = frozenset({
        "BOOLEAN", "TINYINT", "BYTE", "SMALLINT", "SHORT", "INT", "INTEGER", "BIGINT", "LONG", "FLOAT", "REAL",
        "DOUBLE", "DECIMAL", "DEC", "NUMERIC", "STRING", "VARCHAR", "CHAR", "CHARACTER", "BINARY", "DATE",
        "TIMESTAMP", "TIMESTAMP_LTZ", "TIMESTAMP_NTZ", "INTERVAL", "ARRAY", "MAP", "STRUCT", "VARIANT", "VOID",
    })

    def create_table_as(self, rel: Relation, select_sql: str) -> str:
        """``CREATE TABLE rel USING parquet AS <query>`` (fails if it exists)."""
        return f"CREATE TABLE {self.quote_relation(rel)} USING {self.table_format} AS\n{_body(select_sql)}"

    def literal(self, value: Any) -> str:
        """As the base, but strings escape with a backslash (Spark reads ``\\`` as an escape and
        ``'a' 'b'`` as two literals) and timestamps are ``TIMESTAMP_NTZ`` / ``TIMESTAMP`` (with an offset)."""
        if isinstance(value, str):
            super().literal(value)  # the base's refusals (NUL)
            return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
        if isinstance(value, dt.datetime):
            kind = "TIMESTAMP" if value.utcoffset() is not None else "TIMESTAMP_NTZ"
            return f"{kind} '{value.isoformat(sep=' ')}'"
        return super().literal(value)

    def refused_construct(self, node) -> str | None:
        """DuckDB syntax Spark lacks (``* EXCLUDE``, ASOF joins); lambdas Spark has (``transform``)."""
        from sqlglot import exp

        from faborite.dialects.support import duckdb_only_construct

        if isinstance(node, exp.Lambda):
            return None
        return duckdb_only_construct(node)

    def pointer_reads(self, definition: str) -> Relation | None:
        """The relation a virtual-layer view reads (``SELECT * FROM `s`.`t```), in lower case as
        the session catalog names it; None for any other view."""
        read = super().pointer_reads(definition)
        if read is None:
            return None
        return Relation(schema_name=read.schema_name.lower(), name=read.name.lower(),
                        catalog=read.catalog.lower() if read.catalog else read.catalog)

    def _fold_unquoted(self, name: str) -> str:
        return name.lower()
