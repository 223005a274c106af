"""State in PostgreSQL: the target's own database (``state: {type: target}``) or another one
(``state: {type: postgres, url_env: VAR}``, the URL read from the environment, never stored).

The lock is ``pg_try_advisory_lock`` on a key derived from the schema and the
target name, held by the backend's own session: a process that dies releases
it when the server closes its connection. See :mod:`faborite.state.sql_backend`.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from faborite.errors import ProviderError
from faborite.providers.postgres import INSTALL_HINT, PostgresTargetConfig, _opener, _server_message
from faborite.providers.sql_errors import redact_sql
from faborite.state.selection import url_from_env
from faborite.state.sql_backend import SqlStateBackend

DEFAULT_SCHEMA = "faborite_state"


class PostgresStateBackend(SqlStateBackend):
    """State tables in a PostgreSQL schema; lock: a session advisory lock."""

    def _key(self) -> int:
        digest = hashlib.sha256(f"faborite_state:{self.schema}:{self.name}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    def quote(self, identifier: str) -> str:
        return '"' + identifier.replace('"', '""') + '"'

    def _create_schema_sql(self) -> list[str]:
        # Serialised: concurrent CREATE ... IF NOT EXISTS can still collide in the catalog.
        return ["START TRANSACTION", f"SELECT pg_advisory_xact_lock({self._key() ^ 1})",
                f"CREATE SCHEMA IF NOT EXISTS {self.quote(self.schema)}", *self._ddl(), "COMMIT"]

    def _upsert_sql(self, table: str, columns: Sequence[str]) -> str:
        names = ", ".join(columns)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c != "name")
        return (f"INSERT INTO {self.table(table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))}) "
                f"ON CONFLICT (name) DO UPDATE SET {updates}")

    def _try_lock(self, cur: Any) -> bool:
        cur.execute("SELECT pg_try_advisory_lock(%s)", (self._key(),))
        return bool(cur.fetchone()[0])

    def _release_lock(self, cur: Any) -> None:
        cur.execute("SELECT pg_advisory_unlock(%s)", (self._key(),))

    def _session_id(self, cur: Any) -> str:
        cur.execute("SELECT pg_backend_pid()")
        return str(cur.fetchone()[0])

    def _end_session(self, cur: Any, session: str) -> None:
        cur.execute("SELECT pg_terminate_backend(%s)", (int(session),))

    def _is_duplicate_key(self, exc: BaseException) -> bool:
        return getattr(exc, "sqlstate", None) == "23505"

    def _is_broken(self, con: Any) -> bool:
        return bool(con.closed)


class PostgresStateSettings(BaseModel):
    """``state: {type: postgres, url_env: VAR, schema: ...}``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    type: str = "postgres"
    #: The environment variable holding the connection URL (``postgresql://user@host/db``).
    url_env: str = Field(min_length=1)
    schema_name: str = Field(default=DEFAULT_SCHEMA, alias="schema", min_length=1)


class PostgresStateFactory:
    """``state: {type: postgres, url_env: VAR}``: a PostgreSQL database other than the target."""

    name = "postgres"
    settings_model = PostgresStateSettings

    def open(self, settings: BaseModel, *, target_name: str, **_: Any) -> PostgresStateBackend:
        assert isinstance(settings, PostgresStateSettings)
        url = url_from_env(settings.url_env, what="PostgreSQL", example="postgresql://user@host/dbname")
        try:
            import psycopg
        except ImportError:
            raise ProviderError("PostgreSQL state needs psycopg 3, which is not installed",
                                hint=INSTALL_HINT) from None

        def open_connection() -> Any:
            try:
                return psycopg.connect(url, autocommit=True, application_name="faborite-state")
            except psycopg.Error as exc:
                # The URL may hold a password: name the variable, not its value.
                message = redact_sql(_server_message(exc), urlsplit(url).password or "")
                raise ProviderError(f"could not connect to the state database (${settings.url_env}): {message}",
                                    hint=f"check the URL in ${settings.url_env}") from None

        return PostgresStateBackend(open_connection, name=target_name, schema=settings.schema_name,
                                    where=f"${settings.url_env}")


def target_state_backend(config: BaseModel, schema: str | None, target_name: str) -> PostgresStateBackend:
    """The state of a postgres target inside its own database (``state: {type: target}``)."""
    if not isinstance(config, PostgresTargetConfig):
        config = PostgresTargetConfig.model_validate(config.model_dump(by_alias=True))
    return PostgresStateBackend(_opener(config), name=target_name, schema=schema or DEFAULT_SCHEMA,
                                where=config.where())
