"""A third-party faborite target on SQLite (Python's standard ``sqlite3``): one database file.

Installed by entry points only (``faborite.providers: sqlite`` and
``faborite.dialects: sqlite``); it uses nothing of faborite but the public
protocol (:mod:`faborite.target`), the dialect base, the error classes,
:class:`~faborite.relation.Relation` and the engine-neutral transaction helper
every SQL target shares; no other provider's code, and no DuckDB.

SQLite types are per value, not per column. Arrow data is loaded into columns
declared with this provider's type names (``BOOLEAN``, ``DATE_ISO``,
``TIMESTAMP_ISO``, ``TIMESTAMPTZ_ISO``, ``DECIMAL_TEXT(p,s)``), and reads
convert those columns back (``sqlite3`` converters, registered process-wide
under these names only), so a round trip returns the same Python values.
"""

from __future__ import annotations

import datetime as dt
import decimal
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal
from urllib.request import pathname2url

from pydantic import BaseModel, ConfigDict, Field

from faborite.errors import FaboriteError, ProviderError, TargetMissingError
from faborite.providers.transactions import ExplicitTransactions
from faborite.relation import Relation
from faborite.target import Column, RelationInfo, iter_batches

from faborite_sqlite_target.dialect import SQLiteDialect, relation_of, table_name

__version__ = "0.1.0"


def _boolean(raw: bytes) -> bool:
    return raw not in (b"0", b"", b"0.0")


def _decimal(raw: bytes) -> decimal.Decimal:
    return decimal.Decimal(raw.decode())


def _timestamp(raw: bytes) -> dt.datetime:
    return dt.datetime.fromisoformat(raw.decode())


sqlite3.register_converter("BOOLEAN", _boolean)
sqlite3.register_converter("DATE_ISO", lambda raw: dt.date.fromisoformat(raw.decode()))
sqlite3.register_converter("TIMESTAMP_ISO", _timestamp)
sqlite3.register_converter("TIMESTAMPTZ_ISO", _timestamp)
sqlite3.register_converter("DECIMAL_TEXT", _decimal)


class SQLiteTargetConfig(BaseModel):
    """The ``targets:`` block of a SQLite target."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["sqlite"]
    #: The database file, relative to the project root.
    path: str = Field(default=".faborite/dev.sqlite", min_length=1)
    #: How long a statement waits for another connection's write lock, in seconds.
    busy_timeout: float = Field(default=30.0, gt=0)
    dialect: str = "sqlite"


class SQLiteProvider:
    """Opens :class:`SQLiteConnection` s; registered as entry point ``sqlite``."""

    name = "sqlite"
    config_model = SQLiteTargetConfig

    def connect(self, config: BaseModel, project_root: Path, *, read_only: bool = False) -> SQLiteConnection:
        if not isinstance(config, SQLiteTargetConfig):
            config = SQLiteTargetConfig.model_validate(config if isinstance(config, dict) else config.model_dump())
        file = Path(config.path).expanduser()
        file = file if file.is_absolute() else Path(project_root) / file
        if read_only and not file.exists():
            raise TargetMissingError(f"no database at {file}", hint="run `faborite apply` to build it")
        if not read_only:
            file.parent.mkdir(parents=True, exist_ok=True)
        return SQLiteConnection(file, read_only=read_only, timeout=config.busy_timeout)


class SQLiteConnection(ExplicitTransactions):
    """A SQLite session implementing :class:`faborite.target.TargetConnection`.

    Autocommit outside :meth:`transaction`; a transaction takes the write lock
    when it begins (``BEGIN IMMEDIATE``), so concurrent writers wait their turn
    instead of failing to upgrade a read lock. Transactions keep the promise every faborite SQL
    target keeps (commit on exit, roll back on any exception, no nesting): faborite's shared
    :class:`~faborite.providers.transactions.ExplicitTransactions` implements it.
    """

    begin_sql = "BEGIN IMMEDIATE"

    def __init__(self, file: Path, *, read_only: bool = False, timeout: float = 30.0) -> None:
        self.file = file
        self.read_only = read_only
        self.timeout = timeout
        self.dialect = SQLiteDialect()
        self._in_transaction = False
        self._closed = False
        location = f"file:{pathname2url(str(file))}" + ("?mode=ro" if read_only else "")
        with _engine_errors(f"open {file}"):
            # isolation_level=None: no implicit BEGIN; check_same_thread: a cursor may be made in one
            # thread and used in another (never by two at once).
            self._con = sqlite3.connect(location, uri=True, timeout=timeout, isolation_level=None,
                                        check_same_thread=False, detect_types=sqlite3.PARSE_DECLTYPES)

    def __repr__(self) -> str:
        return f"SQLiteConnection({str(self.file)!r})"

    # -- SqlRunner ----------------------------------------------------------

    def execute(self, sql: str) -> None:
        with _engine_errors(sql):
            self._con.execute(sql).close()

    def fetch_arrow(self, sql: str):
        import pyarrow as pa

        with _engine_errors(sql):
            cursor = self._con.execute(sql)
            try:
                names = [d[0] for d in cursor.description or ()]
                rows = cursor.fetchall()
            finally:
                cursor.close()
        if not names:
            return pa.table({})
        columns = list(zip(*rows)) if rows else [() for _ in names]
        return pa.Table.from_arrays([_arrow_array(list(values)) for values in columns], names=names)

    def fetch_scalar(self, sql: str) -> Any:
        with _engine_errors(sql):
            cursor = self._con.execute(sql)
            try:
                row = cursor.fetchone()
            finally:
                cursor.close()  # the unread rows must not hold a read lock
        return row[0] if row else None

    # -- Transactional (transaction() and atomically() from ExplicitTransactions) ----

    def _rollback(self) -> None:
        if self._con.in_transaction:
            self._con.execute("ROLLBACK").close()

    # -- ArrowLoader ----------------------------------------------------------

    def create_table_from_arrow(self, relation: Relation, data) -> None:
        """Create ``relation`` and insert ``data`` a batch at a time, in one transaction (the caller's if open)."""
        fields = list(data.schema)
        q = self.dialect.quote_identifier
        declared = ", ".join(f"{q(f.name)} {_declared_type(f.type)}".rstrip() for f in fields)
        create = f"CREATE TABLE {self.dialect.quote_relation(relation)} ({declared})"
        insert = (f"INSERT INTO {self.dialect.quote_relation(relation)} "
                  f"VALUES ({', '.join('?' for _ in fields)})")
        with self.atomically():
            self.execute(create)
            batches = iter_batches(data)
            while True:
                try:
                    batch = next(batches)
                except StopIteration:
                    break
                except FaboriteError:
                    raise
                except Exception as exc:  # the source failed: say so, not what SQLite made of it
                    raise ProviderError(
                        f"reading the data for {relation} failed: {type(exc).__name__}: {exc}") from None
                rows = zip(*(_sqlite_values(column) for column in batch.columns))
                with _engine_errors(insert):
                    self._con.executemany(insert, rows)

    # -- Inspector ------------------------------------------------------------

    def _catalog(self) -> list[tuple[str, str, str | None]]:
        sql = "SELECT type, name, sql FROM sqlite_master WHERE type IN ('table', 'view')"
        with _engine_errors(sql):
            cursor = self._con.execute(sql)
            try:
                return cursor.fetchall()
            finally:
                cursor.close()

    def list_relations(self, schema_names: Sequence[str]) -> set[Relation]:
        return {info.relation for info in self.describe_relations(schema_names)}

    def describe_relations(self, schema_names: Sequence[str]) -> list[RelationInfo]:
        wanted = set(schema_names)
        if not wanted:
            return []
        found = []
        for kind, name, definition in self._catalog():
            relation = relation_of(name)
            if relation is not None and relation.schema_name in wanted:
                found.append(RelationInfo(relation=relation, kind=kind,
                                          definition=definition if kind == "view" else None))
        return found

    def columns(self, relation: Relation) -> list[Column]:
        sql = "SELECT name, type FROM pragma_table_info(?) ORDER BY cid"
        with _engine_errors(sql):
            cursor = self._con.execute(sql, [table_name(relation)])
            try:
                rows = cursor.fetchall()
            finally:
                cursor.close()
        if not rows:
            raise ProviderError(f"relation {relation} does not exist in {self.file}")
        return [Column(name=name, type=type_ or "ANY") for name, type_ in rows]

    # -- TargetConnection -------------------------------------------------------

    def server_version(self) -> str:
        """The engine and its version, for ``faborite debug``."""
        return f"SQLite {sqlite3.sqlite_version} ({self.file})"

    def cursor(self) -> SQLiteConnection:
        if self._closed:
            raise ProviderError("the connection is closed")
        return SQLiteConnection(self.file, read_only=self.read_only, timeout=self.timeout)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._con.close()


def _declared_type(kind) -> str:
    """The column type an Arrow type is stored as (see the module docstring)."""
    import pyarrow as pa
    import pyarrow.types as t

    if t.is_dictionary(kind):
        return _declared_type(kind.value_type)
    if t.is_boolean(kind):
        return "BOOLEAN"
    if t.is_integer(kind):
        return "INTEGER"
    if t.is_floating(kind):
        return "REAL"
    if t.is_decimal(kind):
        return f"DECIMAL_TEXT({kind.precision},{kind.scale})"
    if t.is_date(kind):
        return "DATE_ISO"
    if t.is_timestamp(kind):
        return "TIMESTAMPTZ_ISO" if kind.tz else "TIMESTAMP_ISO"
    if t.is_binary(kind) or t.is_large_binary(kind) or t.is_fixed_size_binary(kind):
        return "BLOB"
    if kind == pa.null():
        return ""
    return "TEXT"


def _sqlite_values(column) -> list[Any]:
    """An Arrow column's values as SQLite stores them in the column :func:`_declared_type` gives it."""
    import json

    import pyarrow.types as t

    kind = column.type.value_type if t.is_dictionary(column.type) else column.type
    values = column.to_pylist()
    if t.is_boolean(kind):
        return [None if v is None else int(v) for v in values]
    if t.is_decimal(kind):
        return [None if v is None else str(v) for v in values]
    if t.is_date(kind):
        return [None if v is None else v.isoformat() for v in values]
    if t.is_timestamp(kind):
        return [None if v is None else v.isoformat(sep=" ") for v in values]
    if t.is_time(kind):
        return [None if v is None else v.isoformat() for v in values]
    if t.is_nested(kind):
        return [None if v is None else json.dumps(v, default=str) for v in values]
    return values


def _arrow_array(values: list[Any]):
    """Values of one result column as an Arrow array; a column mixing kinds (SQLite allows it) as text."""
    import pyarrow as pa

    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())


@contextmanager
def _engine_errors(sql: str) -> Iterator[None]:
    """sqlite3 errors as :class:`ProviderError`: SQLite's message, the statement's first line as hint."""
    try:
        yield
    except (sqlite3.Error, OverflowError) as exc:
        first = next((line.strip() for line in sql.splitlines() if line.strip()), "")
        if len(first) > 120:
            first = first[:117] + "..."
        raise ProviderError(str(exc) or type(exc).__name__, hint=f"while running: {first}") from None
