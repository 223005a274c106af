"""PostgreSQL target: a database on a server, built into by apply (psycopg 3).

psycopg is imported only when a connection opens, so validating a target's
config costs nothing and works without the ``postgres`` extra installed.

How the connection behaves, and why:

- **Autocommit outside** :meth:`PostgresConnection.transaction`: each statement
  commits on its own, as on DuckDB; ``transaction()`` sends ``BEGIN``/``COMMIT``
  itself. DDL is transactional here, so publish swaps every view at once.
- **search_path is the target's** ``schema:`` only: unqualified names in models
  resolve there, and ``pg_get_viewdef`` (which leaves out the schema of any
  relation on the search_path) always prints the ``faborite__*`` schema of the
  physical relation a published view reads, so ``plan`` can tell which it is.
- **Loads use COPY** (``COPY ... FROM STDIN``), one record batch at a time,
  inside a transaction: the table exists complete or not at all.
- **No password in any message**: the configured password is scrubbed from
  every error, and quoted values after credential words in SQL are redacted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from faborite.dialects import get_dialect
from faborite.errors import ProviderError
from faborite.providers.dbapi_connection import DbApiConnection
from faborite.providers.postgres_types import column_type, copy_rows, result_table
from faborite.providers.sql_errors import WatchedSource, redact_sql
from faborite.relation import Relation
from faborite.target import Column, RelationInfo

if TYPE_CHECKING:
    import pyarrow as pa

INSTALL_HINT = 'pip install "faborite[postgres]"'
AUTH_HINT = ("check host, port, user and dbname; the password comes from `password:` "
             "(e.g. {{ env_var('PGPASSWORD') }}), the PGPASSWORD variable or ~/.pgpass")
SslMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

# One round trip each. relkind: r table, p partitioned table, f foreign table,
# m materialized view (stored rows: a table to faborite), v view.
_RELATIONS_SQL = """
SELECT n.nspname, c.relname, c.relkind,
       CASE WHEN c.relkind = 'v' THEN pg_catalog.pg_get_viewdef(c.oid) END
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p', 'f', 'm', 'v')
"""
# LEFT JOIN: a table without columns still exists (one row with a NULL name).
_COLUMNS_SQL = """
SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod)
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p', 'f', 'm', 'v')
ORDER BY a.attnum
"""


class PostgresTargetConfig(BaseModel):
    """The ``targets:`` block of a PostgreSQL target (names as in dbt's postgres profile)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    type: Literal["postgres"]
    host: str = "localhost"
    port: int = Field(default=5432, ge=1, le=65535)
    user: str
    #: Optional: libpq also reads PGPASSWORD and ~/.pgpass. Never printed.
    password: SecretStr | None = None
    dbname: str
    #: The schema unqualified names resolve to (the session's search_path).
    #: Spelled ``schema`` in YAML; ``schema`` is a pydantic attribute, hence the alias.
    schema_name: str = Field(default="public", alias="schema", min_length=1)
    sslmode: SslMode | None = None
    #: Seconds to wait for the server to answer a connection attempt.
    connect_timeout: int | None = Field(default=None, ge=1)
    #: The faborite dialect SQL for this target is generated in.
    dialect: str = "postgres"

    def connect_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``psycopg.connect`` (the password included, when set)."""
        kwargs: dict[str, Any] = {"host": self.host, "port": self.port, "user": self.user, "dbname": self.dbname,
                                  "application_name": "faborite"}
        if self.password is not None:
            kwargs["password"] = self.password.get_secret_value()
        if self.sslmode is not None:
            kwargs["sslmode"] = self.sslmode
        if self.connect_timeout is not None:
            kwargs["connect_timeout"] = self.connect_timeout
        return kwargs

    def where(self) -> str:
        """``user@host:port/dbname``, for messages."""
        return f"{self.user}@{self.host}:{self.port}/{self.dbname}"


class PostgresProvider:
    """Opens :class:`PostgresConnection` s; registered as entry point ``postgres``."""

    name = "postgres"
    config_model = PostgresTargetConfig
    #: Reads dbt profile outputs of this adapter type (a dbt project run in place).
    dbt_adapter_type = "postgres"

    def target_from_dbt(self, output: Any) -> tuple[dict[str, Any], list[str]]:
        """This target's block for a dbt ``type: postgres`` profile output, and the dbt keys ignored."""
        from faborite.dbt.output_keys import translate_output

        return translate_output(output, self.name, {"host": "host", "port": "port", "user": "user", "password": "password", "pass": "password",
              "dbname": "dbname", "database": "dbname", "schema": "schema", "sslmode": "sslmode",
              "connect_timeout": "connect_timeout"})
    #: Without a `state:` key, the state lives in the target's own database (`faborite_state` schema).
    default_state = "target"

    def state_backend(self, config: BaseModel, *, schema: str | None, target_name: str) -> Any:
        """The state tables inside this target's database (providers/postgres_state.py)."""
        from faborite.providers.postgres_state import target_state_backend

        return target_state_backend(config, schema, target_name)

    def connect(self, config: BaseModel, project_root: Path, *, read_only: bool = False) -> PostgresConnection:
        """Connect to the server; ``read_only`` sessions refuse every write (``faborite query``)."""
        if not isinstance(config, PostgresTargetConfig):
            raw = config if isinstance(config, dict) else config.model_dump(by_alias=True)
            config = PostgresTargetConfig.model_validate(raw)
        dialect = get_dialect(config.dialect)()
        setup = [f"SET search_path TO {dialect.quote_identifier(config.schema_name)}"]
        if read_only:
            setup.append("SET default_transaction_read_only = on")
        return PostgresConnection(_opener(config), dialect, setup=setup, where=config.where(),
                                  secret=config.password.get_secret_value() if config.password else "")


def _opener(config: PostgresTargetConfig) -> Callable[[], Any]:
    """A function opening a new autocommit psycopg connection: for the first and for each cursor()."""
    try:
        import psycopg
    except ImportError:
        raise ProviderError("the postgres target needs psycopg 3, which is not installed",
                            hint=INSTALL_HINT) from None
    kwargs = config.connect_kwargs()
    secret = kwargs.get("password", "")

    def open_connection() -> Any:
        try:
            con = psycopg.connect(autocommit=True, **kwargs)
        except psycopg.Error as exc:
            message = redact_sql(_server_message(exc), secret)
            raise ProviderError(f"could not connect to PostgreSQL {config.where()}: {message}",
                                hint=AUTH_HINT) from None
        # json/jsonb as their text: faborite hands results to Arrow, which has no JSON type.
        for name in ("json", "jsonb"):
            con.adapters.register_loader(name, psycopg.types.string.TextLoader)
        return con

    return open_connection


class PostgresConnection(DbApiConnection):
    """A PostgreSQL session implementing :class:`faborite.target.TargetConnection`.

    Not thread-safe: give each thread its own :meth:`cursor` (a new server connection).
    """

    # -- SqlRunner (execute, fetch_arrow, fetch_scalar from DbApiConnection) --------

    def _rows_written(self, cur: Any) -> int | None:
        """The rows a write reported (``SELECT 1234`` after CREATE TABLE AS, ``INSERT 0 5``,
        ``UPDATE 3``: an incremental run's row count then needs no scan of the model's store)."""
        status = cur.statusmessage or ""
        # rowcount is also set by a plain SELECT; only writes count here.
        return cur.rowcount if cur.rowcount >= 0 and status.startswith(("SELECT", "INSERT", "UPDATE")) else None

    def _result_table(self, cur: Any, rows: list[Any]) -> pa.Table:
        columns = cur.description
        return result_table([c.name for c in columns], [(c.type_code, c.precision, c.scale) for c in columns], rows)

    # -- Transactional (transaction() and atomically() from ExplicitTransactions) ----

    def _rollback(self) -> None:
        self._con.execute("ROLLBACK")

    # -- ArrowLoader ----------------------------------------------------------

    def create_table_from_arrow(self, relation: Relation, data: pa.Table | pa.RecordBatchReader) -> None:
        """Create ``relation`` from Arrow data through ``COPY``, a batch at a time, atomically.

        Runs in its own transaction, or in the caller's when one is open. The
        schema is created when missing; an existing relation is an error.
        """
        quote = self.dialect.quote_identifier
        target = self.dialect.quote_relation(relation)
        columns = [(quote(f.name), column_type(f.name, f.type)) for f in data.schema]
        create = f"CREATE TABLE {target} ({', '.join(f'{name} {kind}' for name, kind in columns)})"
        copy = f"COPY {target} ({', '.join(name for name, _ in columns)}) FROM STDIN"
        source = WatchedSource(data)
        try:
            with self.atomically():
                self.execute(self.dialect.create_schema(relation.schema_name))
                self.execute(create)
                with self._errors(copy), self._con.cursor() as cur, cur.copy(copy) as stream:
                    for batch in source.batches():
                        for row in copy_rows(batch):
                            stream.write_row(row)
        except Exception:
            # psycopg ends the COPY with the source's error as text; report the source's own.
            source.raise_source_error(relation)
            raise

    # -- Inspector ------------------------------------------------------------

    def list_relations(self, schema_names: Sequence[str]) -> set[Relation]:
        """Every table and view in the given schemas of this database, in one query."""
        return {info.relation for info in self.describe_relations(schema_names)}

    def describe_relations(self, schema_names: Sequence[str]) -> list[RelationInfo]:
        """Tables and views of the given schemas, views with ``pg_get_viewdef``'s SQL, in one query."""
        names = list(schema_names)
        if not names:
            return []
        rows = self._query(_RELATIONS_SQL, [names])
        return [RelationInfo(relation=Relation(schema_name=schema, name=name),
                             kind="view" if kind == "v" else "table", definition=definition)
                for schema, name, kind, definition in rows]

    def columns(self, relation: Relation) -> list[Column]:
        """The relation's columns in order, with PostgreSQL type names (``integer``, ``numeric(18,3)``)."""
        rows = self._query(_COLUMNS_SQL, [relation.schema_name, relation.name])
        if not rows:
            raise ProviderError(f"relation {relation} does not exist in {self.where}")
        return [Column(name=name, type=type_) for name, type_ in rows if name is not None]

    # -- TargetConnection -------------------------------------------------------

    def server_version(self) -> str:
        """The engine and its version, for ``faborite debug``."""
        version = self.fetch_scalar("SHOW server_version")
        return f"PostgreSQL {version} ({self.where})"

    def cursor(self) -> PostgresConnection:
        """A new server connection with the same settings, for another thread."""
        return PostgresConnection(self._opener, self.dialect, setup=self._setup, where=self.where,
                                  secret=self._secret)

    def _driver_error(self) -> type[BaseException]:
        import psycopg

        return psycopg.Error

    def _server_message(self, exc: BaseException) -> str:
        return _server_message(exc)


def _server_message(exc: BaseException) -> str:
    """The server's message and detail, without the echoed SQL (``LINE 1: ...``) psycopg appends."""
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None)
    if primary:
        detail = getattr(diag, "message_detail", None)
        return f"{primary} ({detail})" if detail else primary
    kept = []
    for line in str(exc).splitlines():
        if line.startswith("LINE "):
            break
        if line.strip():
            kept.append(line.strip())
    return " ".join(kept) or type(exc).__name__
