"""SQL Server (T-SQL) and Fabric Warehouse, which speaks a subset of it.

Where T-SQL differs from the generic SQL: ``[bracket]`` quoting, no ``CREATE SCHEMA IF
NOT EXISTS`` (a guarded ``EXEC``), ``CREATE OR ALTER VIEW``, no ``CREATE TABLE AS`` in
SQL Server (``SELECT ... INTO``), a ``MERGE`` that must end in a semicolon, and literals
without ``TRUE``/``FALSE`` or typed ``DATE '...'`` constants. DDL is transactional in both.

Fabric Warehouse differs from SQL Server where its documentation says so (Microsoft
Learn, "T-SQL surface area", "Ingest data ... using Transact-SQL", "Transactions in
Warehouse tables"): it has ``CREATE TABLE ... AS SELECT``, ``MERGE`` (in preview),
DDL inside user transactions, and ``datetime2`` with at most 6 fractional digits;
sqlglot's ``fabric`` dialect maps types to the ones it stores.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from faborite.dialects.base import Dialect
from faborite.errors import ProviderError
from faborite.relation import Relation


class TSQLDialect(Dialect):
    """SQL Server / Azure SQL."""

    name = "tsql"
    sqlglot_dialect = "tsql"
    transactional_ddl = True
    supports_create_or_replace_view = True
    replace_view_verb = "CREATE OR ALTER VIEW"
    supports_merge = True
    default_schema = "dbo"
    quote_start = "["
    quote_end = "]"

    #: The type a naive datetime literal is cast to.
    DATETIME_TYPE = "DATETIME2"

    def create_schema(self, schema_name: str) -> str:
        """``CREATE SCHEMA`` must start its own batch and has no ``IF NOT EXISTS``: run it through ``EXEC``."""
        create = f"CREATE SCHEMA {self.quote_identifier(schema_name)}"
        return f"IF SCHEMA_ID({self.literal(schema_name)}) IS NULL EXEC({self.literal(create)})"

    def create_table_as(self, rel: Relation, select_sql: str) -> str:
        """``SELECT * INTO rel FROM (query)``, with any ``WITH`` clause hoisted in front (a derived
        table cannot hold one); sqlglot does the rewrite, so the query is re-printed on one line."""
        import sqlglot  # lazy, as in Dialect.transpile
        from sqlglot.errors import ParseError

        statement = f"CREATE TABLE {self.quote_relation(rel)} AS\n{select_sql.strip().rstrip(';')}"
        try:
            return sqlglot.transpile(statement, read=self.sqlglot_dialect, write=self.sqlglot_dialect)[0]
        except ParseError as exc:
            first = exc.errors[0] if exc.errors else {}
            raise ProviderError(
                f"cannot rewrite the query of {rel} as SELECT ... INTO: {first.get('description', exc)}"
            ) from None

    def merge(self, target: Relation, source_sql: str, unique_key: Sequence[str], columns: Sequence[str]) -> str:
        """The generic ``MERGE``, terminated: SQL Server refuses a ``MERGE`` without its semicolon."""
        return super().merge(target, source_sql, unique_key, columns) + ";"

    def literal(self, value: Any) -> str:
        """T-SQL spellings: ``1``/``0`` for booleans, ``N'...'`` strings (Unicode survives),
        ``CAST('...' AS DATE)``-style dates, floats with an exponent (else they parse as decimals)."""
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, str):
            return "N" + super().literal(value)
        if isinstance(value, float):
            text = super().literal(value)
            return text if "e" in text else text + "E0"
        if isinstance(value, dt.datetime):
            kind = "DATETIMEOFFSET" if value.utcoffset() is not None else self.DATETIME_TYPE
            return f"CAST('{value.isoformat(sep=' ')}' AS {kind})"
        if isinstance(value, dt.date):
            return f"CAST('{value.isoformat()}' AS DATE)"
        return super().literal(value)


class FabricDialect(TSQLDialect):
    """Fabric Warehouse: T-SQL with CTAS and Fabric's types."""

    name = "fabric"
    sqlglot_dialect = "fabric"
    # Fabric stores datetime2 with up to 6 fractional digits; Python has microseconds.
    DATETIME_TYPE = "DATETIME2(6)"

    # Fabric has CREATE TABLE AS SELECT: the generic statement, query text kept as written.
    create_table_as = Dialect.create_table_as
