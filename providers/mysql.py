"""MySQL / MariaDB target: databases on a server, built into by apply (PyMySQL).

PyMySQL is imported only when a connection opens, so validating a target's
config costs nothing and works without the ``mysql`` extra installed.

How the connection behaves, and why:

- **A schema is a database.** The target's ``database:`` is where unqualified
  nodes go (the session's ``USE``); each ``faborite__<schema>`` is a database too.
- **Autocommit outside** :meth:`MySQLConnection.transaction`, which sends
  ``BEGIN``/``COMMIT`` itself. DDL is not transactional here: every ``CREATE``,
  ``DROP`` or ``RENAME`` commits on its own (and commits an open transaction).
- **Publish is one** ``RENAME TABLE`` (:meth:`MySQLConnection.publish`): which
  views exist is read in one query, then ``MySQLDialect.publish_steps`` runs.
- **Loads are multi-row INSERTs** into a table under a temporary name, in one
  transaction, then ``RENAME TABLE`` to the real name: the table exists
  complete or not at all.
- **UTF-8 and UTC**: the session is ``utf8mb4`` (binary collation) with
  ``time_zone = '+00:00'``, so ``TIMESTAMP`` values read and write as UTC.
- **No password in any message**: the configured password is scrubbed from
  every error, and quoted values after credential words in SQL are redacted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from faborite.dialects import get_dialect
from faborite.dialects.base import Dialect
from faborite.errors import ProviderError
from faborite.providers.dbapi_connection import DbApiConnection
from faborite.providers.mysql_types import column_type, insert_values, result_table
from faborite.providers.sql_errors import WatchedSource, redact_sql, sql_hint
from faborite.relation import Relation
from faborite.target import Column, RelationInfo

if TYPE_CHECKING:
    import pyarrow as pa

INSTALL_HINT = 'pip install "faborite[mysql]"'
AUTH_HINT = ("check host, port, user and database; the password comes from `password:` "
             "(e.g. {{ env_var('MYSQL_PWD') }})")
#: Server error for ``USE`` of a database that does not exist (yet: apply creates it).
_UNKNOWN_DATABASE = 1049
#: Bytes of VALUES text per INSERT: far below every server's max_allowed_packet (MariaDB 16 MiB).
_INSERT_BYTES = 1 << 20

# One round trip each. information_schema compares names case-insensitively: exact matches are
# kept in Python, and the join is on the binary names.
_RELATIONS_SQL = """
SELECT t.TABLE_SCHEMA, t.TABLE_NAME, t.TABLE_TYPE, v.VIEW_DEFINITION
FROM information_schema.TABLES t
LEFT JOIN information_schema.VIEWS v
  ON BINARY v.TABLE_SCHEMA = BINARY t.TABLE_SCHEMA AND BINARY v.TABLE_NAME = BINARY t.TABLE_NAME
WHERE t.TABLE_SCHEMA IN ({})
"""
_COLUMNS_SQL = """
SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION
"""
#: information_schema.TABLES.TABLE_TYPE -> faborite's kind (sequences and temporary tables are left out).
_KINDS = {"BASE TABLE": "table", "SYSTEM VERSIONED": "table", "VIEW": "view"}


class MySQLTargetConfig(BaseModel):
    """The ``targets:`` block of a MySQL or MariaDB target."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["mysql"]
    host: str = "localhost"
    port: int = Field(default=3306, ge=1, le=65535)
    user: str
    #: Never printed; use ``{{ env_var('MYSQL_PWD') }}`` rather than the value itself.
    password: SecretStr | None = None
    #: The database unqualified nodes go to. Reported as the target's ``schema`` (the core reads
    #: ``model_dump(by_alias=True)["schema"]``): in MySQL a schema is a database.
    database: str = Field(min_length=1, max_length=64, serialization_alias="schema")
    #: Seconds to wait for the server to answer a connection attempt.
    connect_timeout: int = Field(default=10, ge=1)
    #: The faborite dialect SQL for this target is generated in.
    dialect: str = "mysql"

    def connect_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``pymysql.connect`` (the password included, when set)."""
        kwargs: dict[str, Any] = {"host": self.host, "port": self.port, "user": self.user,
                                  "connect_timeout": self.connect_timeout, "charset": "utf8mb4",
                                  "collation": "utf8mb4_bin", "autocommit": True, "local_infile": False,
                                  "program_name": "faborite"}
        if self.password is not None:
            kwargs["password"] = self.password.get_secret_value()
        return kwargs

    def where(self) -> str:
        """``user@host:port/database``, for messages."""
        return f"{self.user}@{self.host}:{self.port}/{self.database}"


class MySQLProvider:
    """Opens :class:`MySQLConnection` s; registered as entry point ``mysql``."""

    name = "mysql"
    config_model = MySQLTargetConfig
    #: Reads dbt profile outputs of this adapter type (a dbt project run in place).
    dbt_adapter_type = "mysql"

    def target_from_dbt(self, output: Any) -> tuple[dict[str, Any], list[str]]:
        """This target's block for a dbt ``type: mysql`` profile output, and the dbt keys ignored."""
        from faborite.dbt.output_keys import translate_output

        return translate_output(output, self.name, {"server": "host", "host": "host", "port": "port", "username": "user", "user": "user",
              "password": "password", "schema": "database", "database": "database"})
    #: Without a `state:` key, the state lives on the target's server (database `faborite_state`).
    default_state = "target"

    def state_backend(self, config: BaseModel, *, schema: str | None, target_name: str) -> Any:
        """The state tables on this target's server (providers/mysql_state.py)."""
        from faborite.providers.mysql_state import target_state_backend

        return target_state_backend(config, schema, target_name)

    def connect(self, config: BaseModel, project_root: Path, *, read_only: bool = False) -> MySQLConnection:
        """Connect to the server; ``read_only`` sessions refuse every write (``faborite query``)."""
        if not isinstance(config, MySQLTargetConfig):
            raw = config if isinstance(config, dict) else config.model_dump()
            config = MySQLTargetConfig.model_validate(raw)
        dialect = get_dialect(config.dialect)()
        setup = ["SET time_zone = '+00:00'"]
        if read_only:
            setup.append("SET SESSION TRANSACTION READ ONLY")
        return MySQLConnection(_opener(config), dialect, setup=setup, database=config.database,
                               where=config.where(),
                               secret=config.password.get_secret_value() if config.password else "")


def _opener(config: MySQLTargetConfig) -> Callable[[], Any]:
    """A function opening a new autocommit PyMySQL connection: for the first and for each cursor()."""
    try:
        import pymysql
    except ImportError:
        raise ProviderError("the mysql target needs PyMySQL, which is not installed", hint=INSTALL_HINT) from None
    kwargs = config.connect_kwargs()
    secret = kwargs.get("password", "")

    def open_connection() -> Any:
        try:
            return pymysql.connect(**kwargs)
        except pymysql.Error as exc:
            message = redact_sql(_server_message(exc), secret)
            raise ProviderError(f"could not connect to MySQL {config.where()}: {message}", hint=AUTH_HINT) from None

    return open_connection


class MySQLConnection(DbApiConnection):
    """A MySQL/MariaDB session implementing :class:`faborite.target.TargetConnection`.

    Not thread-safe: give each thread its own :meth:`cursor` (a new server connection).
    """

    def __init__(self, opener: Callable[[], Any], dialect: Dialect, *, setup: Sequence[str] = (),
                 database: str | None = None, where: str = "", secret: str = "") -> None:
        self._database = database
        super().__init__(opener, dialect, setup=setup, where=where, secret=secret)

    def _after_setup(self) -> None:
        if self._database:
            self._use(self._database)

    def _use(self, database: str) -> None:
        """Make ``database`` the default one, unless it does not exist yet (apply creates it)."""
        import pymysql

        try:
            with self._con.cursor() as cur:
                cur.execute(f"USE {self.dialect.quote_identifier(database)}")
        except pymysql.Error as exc:
            if exc.args and exc.args[0] == _UNKNOWN_DATABASE:
                return
            raise ProviderError(redact_sql(_server_message(exc), self._secret)) from None

    # -- SqlRunner (execute, fetch_arrow, fetch_scalar from DbApiConnection) --------

    def _result_table(self, cur: Any, rows: list[Any]) -> pa.Table:
        return result_table(cur._result.fields, rows)  # PyMySQL's column metadata: flags and character set included

    # -- Transactional (transaction() and atomically() from ExplicitTransactions) ----

    def _rollback(self) -> None:
        self._con.rollback()

    # -- ArrowLoader ----------------------------------------------------------

    def create_table_from_arrow(self, relation: Relation, data: pa.Table | pa.RecordBatchReader) -> None:
        """Create ``relation`` from Arrow data: multi-row INSERTs into a temporary name, one
        transaction, then ``RENAME TABLE`` to ``relation``; on any failure the temporary table is
        dropped. The schema is created when missing; an existing relation is an error.

        ``CREATE TABLE`` commits any transaction the caller has open (MySQL has no transactional DDL).
        """
        quote = self.dialect.quote_identifier
        if not data.schema.names:
            raise ProviderError(f"cannot create {relation}: MySQL tables need at least one column")
        columns = [(quote(f.name), column_type(f.name, f.type)) for f in data.schema]
        self.execute(self.dialect.create_schema(relation.schema_name))
        if relation in self.list_relations([relation.schema_name]):
            raise ProviderError(f"relation {relation} already exists in {self.where}")
        loading = Relation(schema_name=relation.schema_name, name=f"_faborite_load_{uuid.uuid4().hex[:16]}")
        target = self.dialect.quote_relation(loading)
        self.execute(f"CREATE TABLE {target} ({', '.join(f'{name} {kind} NULL' for name, kind in columns)}) "
                     "DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        source = WatchedSource(data)
        try:
            prefix = f"INSERT INTO {target} ({', '.join(name for name, _ in columns)}) VALUES "
            if self._in_transaction:  # already committed by CREATE TABLE; the loads join what follows
                self._insert(prefix, source)
            else:
                with self.transaction():
                    self._insert(prefix, source)
            self.execute(f"RENAME TABLE {target} TO {self.dialect.quote_relation(relation)}")
        except Exception:
            try:
                self.execute(self.dialect.drop_table(loading))
            except ProviderError:
                pass  # the original error is what the user needs; gc-like leftovers are named _faborite_load_*
            source.raise_source_error(relation)
            raise

    def _insert(self, prefix: str, source: WatchedSource) -> None:
        """INSERT every batch of ``source`` as multi-row statements of about ``_INSERT_BYTES``."""
        escape = self._con.escape
        rows: list[str] = []
        size = 0
        for batch in source.batches():
            for row in insert_values(batch, escape):
                rows.append(row)
                size += len(row) + 1
                if size >= _INSERT_BYTES:
                    self.execute(prefix + ",".join(rows))
                    rows, size = [], 0
        if rows:
            self.execute(prefix + ",".join(rows))

    # -- Inspector ------------------------------------------------------------

    def list_relations(self, schema_names: Sequence[str]) -> set[Relation]:
        """Every table and view in the given databases, in one query."""
        return {info.relation for info in self.describe_relations(schema_names)}

    def describe_relations(self, schema_names: Sequence[str]) -> list[RelationInfo]:
        """Tables and views of the given databases, views with their stored SQL, in one query."""
        names = list(dict.fromkeys(schema_names))
        if not names:
            return []
        rows = self._query(_RELATIONS_SQL.format(", ".join(["%s"] * len(names))), names)
        wanted = set(names)
        return [RelationInfo(relation=Relation(schema_name=schema, name=name), kind=_KINDS[kind],
                             definition=definition if _KINDS[kind] == "view" else None)
                for schema, name, kind, definition in rows if schema in wanted and kind in _KINDS]

    def columns(self, relation: Relation) -> list[Column]:
        """The relation's columns in order, with MySQL type names (``int(11)``, ``decimal(18,3)``)."""
        rows = self._query(_COLUMNS_SQL, [relation.schema_name, relation.name])
        found = [Column(name=name, type=kind) for schema, table, name, kind in rows
                 if (schema, table) == (relation.schema_name, relation.name)]
        if not found:
            raise ProviderError(f"relation {relation} does not exist in {self.where}")
        return found

    # -- publish (faborite.target.Publisher) -------------------------------------

    def publish(self, pointers: Mapping[Relation, Relation], drops: Sequence[Relation]) -> None:
        """Swap every view in one ``RENAME TABLE`` (see ``MySQLDialect.publish_steps``).

        What exists is read first, in one query: only existing views can be renamed away. If
        anything fails before or in the rename, readers saw nothing change. Dropping the replaced
        views afterwards is tidying: a failure there is left for the next publish to finish.
        """
        steps = getattr(self.dialect, "publish_steps", None)
        if steps is None:  # another dialect on this connection: its own statements, in order
            for statement in self.dialect.publish_statements(pointers, drops):
                self.execute(statement)
            return
        schemas = sorted({r.schema_name for r in [*pointers, *drops]})
        plan = steps(pointers, drops, existing=self.list_relations(schemas))
        for statement in plan.prepare:
            self.execute(statement)
        if plan.swap:
            self.execute(plan.swap)
        for statement in plan.cleanup:
            try:
                self.execute(statement)
            except ProviderError:
                pass  # published already; the next publish of these names drops the leftovers first

    # -- TargetConnection -------------------------------------------------------

    def server_version(self) -> str:
        """The engine and its version, for ``faborite debug``."""
        version = str(self.fetch_scalar("SELECT VERSION()"))
        engine = "MariaDB" if "mariadb" in version.lower() else "MySQL"
        return f"{engine} {version} ({self.where})"

    def cursor(self) -> MySQLConnection:
        """A new server connection with the same settings, for another thread."""
        return MySQLConnection(self._opener, self.dialect, setup=self._setup, database=self._database,
                               where=self.where, secret=self._secret)

    def _close_driver_connection(self) -> None:
        try:
            self._con.close()
        except Exception:  # noqa: BLE001 - already gone (server restarted): nothing to release
            pass

    def _driver_error(self) -> type[BaseException]:
        import pymysql

        return pymysql.Error

    def _server_message(self, exc: BaseException) -> str:
        return _server_message(exc)

    @contextmanager
    def _errors(self, sql: str) -> Iterator[None]:
        """PyMySQL errors as :class:`ProviderError`; a closed connection is one too, before any SQL."""
        if self._closed:
            raise ProviderError(f"the connection to {self.where} is closed", hint=sql_hint(sql))
        with super()._errors(sql):
            yield


def _server_message(exc: BaseException) -> str:
    """``<message> (MySQL error <code>)`` from PyMySQL's ``(code, message)`` arguments."""
    args = getattr(exc, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):
        return f"{args[1]} (MySQL error {args[0]})" if args[0] else str(args[1]) or type(exc).__name__
    return str(exc) or type(exc).__name__
