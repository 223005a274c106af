"""DuckDB target: a database file (or memory) in the project, built into by apply.

duckdb and pyarrow are imported only when a connection opens, so loading the
provider to validate a target's config costs nothing.

Notes on the duckdb 2.x Python API this relies on:

- ``con.execute`` leaves a SELECT's result pending, and a pending result keeps
  its transaction open; :meth:`DuckDBConnection.execute` therefore runs every
  statement to its end with ``con.complete()``.
- Queries go through ``con.sql`` (a relation), which fetches Arrow without the
  extra copy a DB-API result makes, and reads one row with ``limit(1)``.
- ``con.cursor()`` is a new connection to the same database: one per thread.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from faborite.credentials import names_a_credential
from faborite.dialects import get_dialect
from faborite.dialects.base import Dialect
from faborite.errors import ProviderError, TargetMissingError
from faborite.providers.transactions import ExplicitTransactions
from faborite.providers.sql_errors import WatchedSource, redact_sql, sql_hint
from faborite.relation import Relation
from faborite.target import Column, RelationInfo

if TYPE_CHECKING:
    import pyarrow as pa

MEMORY = ":memory:"
_SETTING_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class DuckDBTargetConfig(BaseModel):
    """The ``targets:`` block of a DuckDB target."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    type: Literal["duckdb"]
    #: Database file, relative to the project root; ``:memory:`` for a throw-away database.
    path: str = ".faborite/dev.duckdb"
    #: Worker threads DuckDB may use per query (DuckDB's default: all cores).
    threads: int | None = Field(default=None, ge=1)
    #: Where unqualified nodes go (dbt-duckdb's ``schema:``); DuckDB's ``main`` when unset.
    schema_name: str | None = Field(default=None, alias="schema", min_length=1)
    #: DuckDB ``SET`` options applied to every connection, e.g. ``memory_limit: 4GB``.
    settings: dict[str, str | int | bool] = {}
    #: The faborite dialect SQL for this target is generated in.
    dialect: str = "duckdb"

    @field_validator("path")
    @classmethod
    def _a_file(cls, value: str, info: ValidationInfo) -> str:
        if value == MEMORY:
            return value
        if not value.strip() or value.rstrip().endswith(("/", "\\")):
            raise ValueError("'path' names the database file, e.g. .faborite/dev.duckdb")
        root = (info.context or {}).get("project_root")
        if root is not None:
            file = Path(value).expanduser()
            try:
                folder = (file if file.is_absolute() else Path(root) / file).is_dir()
            except OSError as exc:  # a name too long for the file system, say
                raise ValueError(f"'path' cannot name a file here: {exc.strerror}") from None
            if folder:
                raise ValueError("'path' is a folder; name the database file in it, e.g. .faborite/dev.duckdb")
        return value


class DuckDBProvider:
    """Opens :class:`DuckDBConnection` s; registered as entry point ``duckdb``."""

    name = "duckdb"
    config_model = DuckDBTargetConfig
    #: Reads dbt profile outputs of this adapter type (a dbt project run in place).
    dbt_adapter_type = "duckdb"

    def target_from_dbt(self, output: Any) -> tuple[dict[str, Any], list[str]]:
        """This target's block for a dbt ``type: duckdb`` profile output, and the dbt keys ignored."""
        from faborite.dbt.output_keys import translate_output

        return translate_output(output, self.name, {"path": "path", "settings": "settings", "schema": "schema"})

    def connect(self, config: BaseModel, project_root: Path, *, read_only: bool = False) -> DuckDBConnection:
        """Open the target's database, creating its directory (and, unless ``read_only``, the file)."""
        config = _validated(config)
        dialect = get_dialect(config.dialect)()
        setup = _setup_statements(config, dialect, project_root)
        import duckdb  # lazy: see module docstring

        location = _location(config, project_root)
        if location == MEMORY:
            if read_only:
                # Nothing survives the process that built it: to a reader, it does not exist.
                raise TargetMissingError(
                    "an in-memory DuckDB database holds nothing between commands", hint="set `path:` to a file"
                )
        else:
            file = Path(location)
            if read_only and not file.exists():
                raise TargetMissingError(f"no database at {file}", hint="run `faborite apply` to build it")
            if not read_only:
                file.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(location, read_only=read_only)
        except duckdb.Error as exc:
            raise ProviderError(_engine_message(exc), hint=f"while opening {location}") from None
        connection = DuckDBConnection(con, dialect, setup=setup, location=location)
        try:
            connection._apply_setup()
        except ProviderError:
            connection.close()
            raise
        return connection


    def catalog_files(self, config: BaseModel, project_root: Path) -> list[str]:
        """The database file and its write-ahead log, without opening them (``CatalogFiles``)."""
        return _catalog_files(_location(_validated(config), project_root))


def _validated(config: Any) -> DuckDBTargetConfig:
    if isinstance(config, DuckDBTargetConfig):
        return config
    return DuckDBTargetConfig.model_validate(config if isinstance(config, dict) else config.model_dump())


def _location(config: DuckDBTargetConfig, project_root: Path) -> str:
    """``:memory:``, or the database file's absolute path."""
    if config.path == MEMORY:
        return MEMORY
    file = Path(config.path).expanduser()
    return os.path.abspath(file if file.is_absolute() else Path(project_root) / file)


def _catalog_files(location: str) -> list[str]:
    """Every committed change to the catalog is written to the database file or its WAL."""
    if not location or location == MEMORY:
        return []
    path = os.path.abspath(location)
    return [path, path + ".wal"]


class DuckDBConnection(ExplicitTransactions):
    """A DuckDB session implementing :class:`faborite.target.TargetConnection`.

    Not thread-safe: give each thread its own :meth:`cursor`.
    """

    begin_sql = "BEGIN TRANSACTION"

    def __init__(
        self, con: Any, dialect: Dialect, *, setup: Sequence[tuple[str, str, str]] = (), location: str = ""
    ) -> None:
        self._con = con
        self.dialect = dialect
        self.location = location
        # (sql, hint, value to scrub from messages) for each SET, re-run on every cursor.
        self._setup = tuple(setup)
        self._in_transaction = False
        self._closed = False

    def __repr__(self) -> str:
        return f"DuckDBConnection({self.location!r})"

    def __enter__(self) -> DuckDBConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- SqlRunner ----------------------------------------------------------

    def execute(self, sql: str) -> int | None:
        """Run one statement to its end; the rows it wrote when DuckDB reports them (CTAS, INSERT)."""
        with _engine_errors(sql):
            self._con.execute(sql)
            description = self._con.description
            rows = None
            if description and len(description) == 1 and description[0][0] == "Count":
                row = self._con.fetchone()
                rows = int(row[0]) if row else None
            # A SELECT run by execute() would otherwise stay pending and hold its transaction.
            self._con.complete()
        return rows

    def fetch_arrow(self, sql: str) -> pa.Table:
        """Run a query and return all rows (an empty table for a statement that returns none)."""
        with _engine_errors(sql):
            rel = self._con.sql(sql)
            if rel is None:
                import pyarrow as pa

                return pa.table({})
            return rel.to_arrow_table()

    def fetch_scalar(self, sql: str) -> Any:
        """First column of the first row, or None when there are no rows."""
        with _engine_errors(sql):
            rel = self._con.sql(sql)
            # limit(1) reads one row without leaving the rest of the result pending.
            rows = rel.limit(1).fetchall() if rel is not None else []
        return rows[0][0] if rows and rows[0] else None

    # -- faborite query ---------------------------------------------------------

    def fetch_read_only(self, sql: str, readable: Sequence[Path]) -> pa.Table:
        """Run one SELECT that can read files only under ``readable``, and write nothing.

        DuckDB's own parser must see exactly one SELECT; then file and network
        access outside ``readable`` is switched off and the configuration locked,
        so the query cannot SET it back. The connection stays confined: close it after.
        """
        from faborite.errors import QueryError

        with _engine_errors(sql):
            statements = self._con.extract_statements(sql)
        kinds = [str(s.type).rsplit(".", 1)[-1] for s in statements]
        if kinds != ["SELECT"]:
            what = f"{len(kinds)} statements" if len(kinds) != 1 else f"a {kinds[0]} statement"
            raise QueryError(f"refused: {what}; faborite query runs exactly one SELECT",
                             hint="faborite query reads the published relations; it never writes")
        directories = "[" + ", ".join(self.dialect.literal(str(d)) for d in readable) + "]"
        for setting in (f"SET allowed_directories = {directories}", "SET enable_external_access = false",
                        "SET lock_configuration = true"):
            with _engine_errors(setting):
                self._con.execute(setting)
        try:
            return self.fetch_arrow(sql)
        except ProviderError as exc:
            if "disabled by configuration" in exc.message or "configuration has been locked" in exc.message:
                raise QueryError(
                    f"refused: {exc.message}",
                    hint="faborite query reads only the published relations and the files of the "
                         "project's files sources",
                ) from None
            raise

    # -- Transactional (transaction() and atomically() from ExplicitTransactions) ----

    def _rollback(self) -> None:
        self._con.rollback()

    # -- ArrowLoader ----------------------------------------------------------

    def create_table_from_arrow(self, relation: Relation, data: pa.Table | pa.RecordBatchReader) -> None:
        """Create ``relation`` from Arrow data, streamed a batch at a time, atomically.

        Runs in its own transaction, or in the caller's when one is open. The
        schema is created when missing; an existing relation is an error.
        """
        import pyarrow as pa

        source = WatchedSource(data)
        # A lazy reader over the batches: DuckDB pulls them one by one as it inserts.
        reader = pa.RecordBatchReader.from_batches(data.schema, source.batches())
        view = f"__faborite_arrow_{uuid.uuid4().hex}"
        statements = [
            self.dialect.create_schema(relation.schema_name),
            self.dialect.create_table_as(relation, f"SELECT * FROM {self.dialect.quote_identifier(view)}"),
        ]
        with _engine_errors(f"register arrow data for {relation}"):
            self._con.register(view, reader)
        try:
            with self.atomically():
                for sql in statements:
                    self.execute(sql)
        except ProviderError:
            source.raise_source_error(relation)
            raise
        finally:
            try:
                self._con.unregister(view)
            except Exception:  # noqa: BLE001 - cleanup must not mask the outcome
                pass

    # -- Inspector ------------------------------------------------------------

    def list_relations(self, schema_names: Sequence[str]) -> set[Relation]:
        """Every table and view in the given schemas of this database, in one query."""
        names = list(schema_names)
        if not names:
            return set()
        marks = ", ".join("?" for _ in names)
        sql = (
            "SELECT table_schema, table_name FROM information_schema.tables "
            f"WHERE table_catalog = current_database() AND table_schema IN ({marks})"
        )
        with _engine_errors(sql):
            rows = self._con.execute(sql, names).fetchall()
        return {Relation(schema_name=s, name=n) for s, n in rows}

    def describe_relations(self, schema_names: Sequence[str]) -> list[RelationInfo]:
        """Tables and views of the given schemas, views with their SQL, in one query."""
        return [RelationInfo(relation=Relation(schema_name=schema, name=name), kind=kind, definition=definition)
                for schema, name, kind, definition in self.catalog_rows(schema_names)]

    def catalog_rows(self, schema_names: Sequence[str]) -> list[tuple[str, str, str, str | None]]:
        """(schema, name, ``table``/``view``, view SQL) of every relation in the schemas: what
        :meth:`describe_relations` answers, without an object per relation (``CatalogReader``)."""
        names = list(schema_names)
        if not names:
            return []
        marks = ", ".join("?" for _ in names)
        sql = (
            "SELECT t.table_schema, t.table_name, CASE WHEN t.table_type = 'VIEW' THEN 'view' ELSE 'table' END, "
            "v.sql FROM information_schema.tables t "
            "LEFT JOIN duckdb_views() v ON v.database_name = t.table_catalog "
            "AND v.schema_name = t.table_schema AND v.view_name = t.table_name "
            f"WHERE t.table_catalog = current_database() AND t.table_schema IN ({marks})"
        )
        with _engine_errors(sql):
            return self._con.execute(sql, names).fetchall()

    def catalog_files(self) -> list[str]:
        """The database file and its write-ahead log (``CatalogFiles``); empty for an in-memory database."""
        return _catalog_files(self.location)

    def columns(self, relation: Relation) -> list[Column]:
        """The relation's columns in order, with DuckDB type names (``INTEGER``, ``DECIMAL(18,3)``)."""
        # DuckDB resolves names case-insensitively, even quoted ones; so does this lookup.
        sql = (
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND lower(table_schema) = lower(?) "
            # ASC spelled out: a target may SET default_order = 'desc'.
            "AND lower(table_name) = lower(?) ORDER BY ordinal_position ASC"
        )
        with _engine_errors(sql):
            rows = self._con.execute(sql, [relation.schema_name, relation.name]).fetchall()
        if not rows:
            raise ProviderError(f"relation {relation} does not exist in {self.location}")
        return [Column(name=name, type=type_) for name, type_ in rows]

    # -- TargetConnection -------------------------------------------------------

    def server_version(self) -> str:
        """The engine and its version, for ``faborite debug``."""
        import duckdb

        return f"DuckDB {duckdb.__version__} ({self.location})"

    def cursor(self) -> DuckDBConnection:
        """A new connection to the same database, for another thread."""
        with _engine_errors("cursor()"):
            con = self._con.cursor()
        other = DuckDBConnection(con, self.dialect, setup=self._setup, location=self.location)
        other._apply_setup()
        return other

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if not self._closed:
            self._closed = True
            self._con.close()

    def _apply_setup(self) -> None:
        for sql, hint, secret in self._setup:
            with _engine_errors(sql, hint=hint, scrub=secret):
                self._con.execute(sql)


def _setup_statements(config: DuckDBTargetConfig, dialect: Dialect, project_root: Path | None = None) -> list[tuple[str, str, str]]:
    """SET statements run on every connection and cursor: (sql, hint, value to keep out of messages)."""
    # A model's `FROM orders` must read the table, never a Python variable that
    # happens to be called `orders` (DuckDB's replacement scans). Per connection.
    setup = [("SET python_enable_replacements = false", "", "")]
    options: dict[str, Any] = {}
    if project_root is not None:
        # Files sources are written relative to the project, so fingerprints and
        # SQL stay the same on every machine; DuckDB resolves them from here.
        options["file_search_path"] = str(Path(project_root).resolve())
    options.update(config.settings)
    if config.threads is not None:
        options["threads"] = config.threads
    for name, value in options.items():
        if not _SETTING_NAME.match(name):
            raise ProviderError(f"invalid DuckDB setting name {name!r}", hint="setting names are plain identifiers")
        secret = str(value) if names_a_credential(name) else ""
        hint = f"check the DuckDB setting '{name}' of this target"
        setup.append((f"SET {name} = {dialect.literal(value)}", hint, secret))
    return setup


@contextmanager
def _engine_errors(sql: str, *, hint: str | None = None, scrub: str = "") -> Iterator[None]:
    """Turn duckdb errors into :class:`ProviderError`: engine message, SQL's first line as hint."""
    import duckdb

    try:
        yield
    except duckdb.Error as exc:
        message = _engine_message(exc)
        if scrub:
            message = message.replace(scrub, "***")
        raise ProviderError(message, hint=hint or sql_hint(sql)) from None


def _engine_message(exc: BaseException) -> str:
    """The engine's message without the echoed SQL (``LINE 1: ...``) or a Python traceback."""
    kept: list[str] = []
    for line in str(exc).splitlines():
        if line.startswith(("LINE ", "Traceback")):
            break
        cut = line.find(" Detail: Python exception")  # a failing Python source appends its traceback
        if cut >= 0:
            kept.append(line[:cut])
            break
        if line.strip():
            kept.append(line.strip())
    return redact_sql(" ".join(kept) or type(exc).__name__)
