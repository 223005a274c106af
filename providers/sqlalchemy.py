"""Source provider ``sql``: tables of a SQL database through SQLAlchemy (postgres, mysql, sqlite).

    sources:
      - name: crm
        type: sql
        url_env: CRM_DATABASE_URL    # the URL (with its password) lives in the environment

The connection URL is read from the environment variable named by
``url_env``; it is never written to config, state, plans or messages. A
password-free URL (e.g. ``sqlite:///data/app.db``) may be given as ``url``.
Tables are read by :class:`SqlSource`, streamed in batches.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from faborite.credentials import names_a_credential
from faborite.errors import ConfigError, ProviderError, did_you_mean
from faborite.sync.pushdown import sql_filter
from faborite.sync.source import SourceTableInfo
from faborite.sync.streams import ArrowStream

if TYPE_CHECKING:
    import pyarrow as pa


class SqlSourceConfig(BaseModel):
    """A database to sync tables from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: Literal["sql"]
    url_env: str | None = None
    url: str | None = None
    schemas: tuple[str, ...] | None = None
    cursor_column: str | None = None
    description: str = ""

    @model_validator(mode="after")
    def _one_url(self) -> "SqlSourceConfig":
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of 'url_env:' (an environment variable) or 'url:'")
        if self.url is not None and ("@" in self.url.split("://", 1)[-1].split("/", 1)[0]
                                     or _credential_in_query(self.url)):
            raise ValueError("'url:' must not hold credentials; put the URL in an environment variable and use 'url_env:'")
        return self


#: A credential inside a parameter's value, e.g. pyodbc's ``odbc_connect=...;PWD=...``.
_CREDENTIAL_IN_VALUE = re.compile(r"(?i)\b(?:pwd|password)\s*=")


def _credential_in_query(url: str) -> bool:
    """Whether the URL's query string passes a credential."""
    from urllib.parse import parse_qsl

    query = url.partition("?")[2]
    # Parameters named like credentials (libpq's password/sslpassword, tokens, keys, ...).
    return any(names_a_credential(key) or _CREDENTIAL_IN_VALUE.search(value)
               for key, value in parse_qsl(query, keep_blank_values=True))


class SqlSourceProvider:
    """Registered as ``faborite.sources`` entry point ``sql``."""

    name = "sql"
    config_model = SqlSourceConfig

    def open(self, config: BaseModel, project_root: Path) -> "SqlSource":
        """A :class:`SqlSource` on the configured URL (a relative SQLite path is the project's)."""
        assert isinstance(config, SqlSourceConfig)
        url = config.url
        if config.url_env is not None:
            url = os.environ.get(config.url_env)
            if not url:
                raise ConfigError(f"source {config.name!r}: environment variable {config.url_env} is not set",
                                  hint=f"export {config.url_env}='postgresql+psycopg://user:password@host/db'")
        assert url is not None
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            url = "sqlite:///" + str((Path(project_root) / url[len("sqlite:///"):]).resolve())
        return SqlSource(url, schemas=config.schemas, cursor_column=config.cursor_column)


_SYSTEM_SCHEMAS = {"information_schema", "pg_catalog", "pg_toast", "mysql", "performance_schema", "sys"}


class SqlSource:
    """Tables of a SQL database, through SQLAlchemy (postgres, mysql, sqlite, ...).

    Tables of the default schema are named plainly (``orders``), others
    ``schema.table``. The version is the row count, plus the largest value of
    the cursor column (``cursor_column``: one name, or a map of table name to
    column; ``"*"`` is the default) when the table has it.
    ``scan()`` pushes the column list and the incremental cursor (as a bound
    parameter) into the database's query; ``where`` too when ``push_where``
    is set and :func:`~faborite.sync.pushdown.sql_filter` can translate it
    (the sampling query applies it again).
    """

    def __init__(
        self,
        url: str,
        *,
        schemas: Sequence[str] | None = None,
        cursor_column: str | Mapping[str, str] | None = None,
        batch_rows: int = 65_536,
        push_where: bool = False,
        engine_options: Mapping[str, Any] | None = None,
    ) -> None:
        import sqlalchemy

        self.engine = sqlalchemy.create_engine(url, **dict(engine_options or {}))
        self.schemas = list(schemas) if schemas is not None else None
        self._cursor = {"*": cursor_column} if isinstance(cursor_column, str) else dict(cursor_column or {})
        self.batch_rows = batch_rows
        self.push_where = push_where
        self._tables: dict[str, Any] = {}  # name -> reflected sqlalchemy Table

    def __repr__(self) -> str:
        return f"SqlSource({self.location!r})"

    @property
    def location(self) -> str:
        """The database URL without its password or the values of its query parameters.

        Drivers take credentials in the query string too (libpq's ``?password=``,
        ``?sslpassword=``, pyodbc's ``odbc_connect=...;PWD=...``), and the location
        is shown by ``sources list`` and kept in ``.faborite/cache/sources.json``.
        """
        url = self.engine.url
        shown = url.set(query={}).render_as_string(hide_password=True)
        return shown + ("?" + "&".join(f"{key}=***" for key in url.query) if url.query else "")

    def table_names(self) -> list[str]:
        """Every table and view: plain names in the default schema, ``schema.table`` elsewhere."""
        import sqlalchemy

        inspector = sqlalchemy.inspect(self.engine)
        default = inspector.default_schema_name
        schemas = self.schemas if self.schemas is not None else [
            s for s in inspector.get_schema_names() if s.lower() not in _SYSTEM_SCHEMAS
        ]
        names = []
        for schema in schemas:
            tables = inspector.get_table_names(schema=schema) + inspector.get_view_names(schema=schema)
            names.extend(t if schema == default else f"{schema}.{t}" for t in tables)
        return sorted(names)

    def list_tables(self) -> list[SourceTableInfo]:
        """Every table, with its row count (one query per table)."""
        return [self.describe(name) for name in self.table_names()]

    def describe(self, name: str) -> SourceTableInfo:
        """Row count (and the cursor column's maximum) of ``name``."""
        import sqlalchemy

        table = self._table(name)
        selects = [sqlalchemy.func.count()]
        cursor = self._cursor.get(name) or self._cursor.get("*")
        if cursor and cursor in table.c:
            selects.append(sqlalchemy.func.max(table.c[cursor]))
        with self.engine.connect() as conn:
            row = conn.execute(sqlalchemy.select(*selects).select_from(table)).one()
        count = int(row[0])
        version = str(count) if len(row) == 1 else f"{count}:{row[1]}"
        return SourceTableInfo(name=name, version=version, row_count=count, location=f"{self.location} {name}")

    def schema(self, name: str) -> "pa.Schema":
        """Column types mapped to Arrow from the reflected table."""
        import pyarrow as pa

        return pa.schema([pa.field(c.name, _arrow_type(c.type)) for c in self._table(name).columns])

    def dataset(self, name: str) -> ArrowStream:
        """Every row, streamed in batches: a re-scannable Arrow stream (not a pyarrow Dataset)."""
        return self.scan(name)

    def scan(
        self, name: str, columns: Sequence[str] | None = None, where: str | None = None, after: tuple[str, Any] | None = None
    ) -> ArrowStream:
        """Rows of ``name`` (only ``columns``, only past ``after=(cursor, value)``) in batches."""
        import pyarrow as pa
        import sqlalchemy

        table = self._table(name)
        full = self.schema(name)
        wanted = list(columns) if columns else full.names
        schema = pa.schema([full.field(c) for c in wanted])
        stmt = sqlalchemy.select(*[table.c[c] for c in wanted])
        if after is not None and after[0] in table.c:
            stmt = stmt.where(table.c[after[0]] > after[1])
        pushed = sql_filter(where, self.engine.dialect.name) if where and self.push_where else None
        if pushed:
            stmt = stmt.where(sqlalchemy.text(pushed))
        converters = [_converter(field.type) for field in schema]
        engine, batch_rows = self.engine, self.batch_rows

        def batches() -> Iterator[pa.RecordBatch]:
            with engine.connect() as conn:
                result = conn.execution_options(stream_results=True, yield_per=batch_rows).execute(stmt)
                for rows in result.partitions(batch_rows):
                    arrays = [conv(list(values)) for conv, values in zip(converters, zip(*rows))]
                    yield pa.RecordBatch.from_arrays(arrays, schema=schema)

        return ArrowStream(schema, batches)

    def close(self) -> None:
        """Close the database connections."""
        self.engine.dispose()

    def _table(self, name: str) -> Any:
        if name in self._tables:
            return self._tables[name]
        import sqlalchemy

        schema, _, table_name = name.rpartition(".")
        # Reflecting in a schema that does not exist is a driver error (SQLite: "unknown
        # database"), not NoSuchTableError: check the schema first so both read as one.
        missing = bool(schema) and schema not in sqlalchemy.inspect(self.engine).get_schema_names()
        try:
            if not missing:
                table = sqlalchemy.Table(table_name, sqlalchemy.MetaData(), schema=schema or None,
                                         autoload_with=self.engine)
        except sqlalchemy.exc.NoSuchTableError:
            missing = True
        if missing:
            known = self.table_names()
            raise ProviderError(
                f"no table {name!r} in {self.location}",
                hint=did_you_mean(name, known) or f"tables: {', '.join(known) or '(none)'}",
            )
        self._tables[name] = table
        return table


def _arrow_type(sa_type: Any) -> "pa.DataType":
    """The Arrow type for a SQLAlchemy column type (unknown types become strings)."""
    import pyarrow as pa
    from sqlalchemy import types as t

    if isinstance(sa_type, t.Boolean):
        return pa.bool_()
    if isinstance(sa_type, t.SmallInteger):
        return pa.int16()
    if isinstance(sa_type, t.Integer):
        return pa.int64()
    if isinstance(sa_type, t.Float):
        return pa.float64()
    if isinstance(sa_type, t.Numeric):
        p, s = sa_type.precision, sa_type.scale
        return pa.decimal128(p, s or 0) if p and p <= 38 else pa.float64()
    if isinstance(sa_type, t.DateTime):
        return pa.timestamp("us", tz="UTC" if getattr(sa_type, "timezone", False) else None)
    if isinstance(sa_type, t.Date):
        return pa.date32()
    if isinstance(sa_type, t.Time):
        return pa.time64("us")
    if isinstance(sa_type, t.Interval):
        return pa.duration("us")
    if isinstance(sa_type, t._Binary):
        return pa.binary()
    return pa.string()


def _converter(type_: "pa.DataType") -> Callable[[list[Any]], "pa.Array"]:
    import pyarrow as pa

    if pa.types.is_string(type_):
        def to_text(values: list[Any]) -> pa.Array:
            return pa.array(
                [v if v is None or isinstance(v, str) else (json.dumps(v) if isinstance(v, (dict, list)) else str(v)) for v in values],
                type=type_,
            )
        return to_text
    if pa.types.is_floating(type_):
        return lambda values: pa.array([None if v is None else float(v) for v in values], type=type_)
    return lambda values: pa.array(values, type=type_)
