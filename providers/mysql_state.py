"""State in MySQL/MariaDB: tables inside the target's server (``state: {type: target}``, the
default for mysql targets), in the database ``schema:`` (default ``faborite_state``); or on
another server (``state: {type: mysql, url_env: VAR}``, the URL read from the environment,
never stored: ``mysql://user:password@host:3306/database``).

The lock is ``GET_LOCK(name, 0)`` on a name derived from that database and the
target name, held by the backend's own session: a process that dies releases
it when the server closes its connection. See :mod:`faborite.state.sql_backend`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field

from faborite.errors import ConfigError
from faborite.providers.mysql import MySQLTargetConfig, _opener
from faborite.state.selection import url_from_env
from faborite.state.sql_backend import SqlStateBackend

DEFAULT_SCHEMA = "faborite_state"
_DUPLICATE_KEY = 1062


class MySQLStateBackend(SqlStateBackend):
    """State tables in a MySQL/MariaDB database; lock: a session ``GET_LOCK``."""

    text_type = "LONGTEXT"

    def _lock_name(self) -> str:
        # GET_LOCK names are at most 64 characters, and server-wide: qualify by database and target.
        return "faborite_state:" + hashlib.sha256(f"{self.schema}:{self.name}".encode()).hexdigest()[:40]

    def quote(self, identifier: str) -> str:
        return "`" + identifier.replace("`", "``") + "`"

    def _create_schema_sql(self) -> list[str]:
        return [f"CREATE DATABASE IF NOT EXISTS {self.quote(self.schema)}", *self._ddl()]

    def _upsert_sql(self, table: str, columns: Sequence[str]) -> str:
        updates = ", ".join(f"{c} = VALUES({c})" for c in columns if c != "name")
        return (f"INSERT INTO {self.table(table)} ({', '.join(columns)}) "
                f"VALUES ({', '.join(['%s'] * len(columns))}) ON DUPLICATE KEY UPDATE {updates}")

    def _try_lock(self, cur: Any) -> bool:
        cur.execute("SELECT GET_LOCK(%s, 0)", (self._lock_name(),))
        return cur.fetchone()[0] == 1

    def _release_lock(self, cur: Any) -> None:
        cur.execute("SELECT RELEASE_LOCK(%s)", (self._lock_name(),))

    def _session_id(self, cur: Any) -> str:
        cur.execute("SELECT CONNECTION_ID()")
        return str(cur.fetchone()[0])

    def _end_session(self, cur: Any, session: str) -> None:
        cur.execute("SELECT ID FROM information_schema.PROCESSLIST WHERE ID = %s", (int(session),))
        if cur.fetchone() is not None:
            cur.execute(f"KILL {int(session)}")

    def _is_duplicate_key(self, exc: BaseException) -> bool:
        args = getattr(exc, "args", ())
        return bool(args) and args[0] == _DUPLICATE_KEY

    def _is_broken(self, con: Any) -> bool:
        return not con.open


def target_state_backend(config: BaseModel, schema: str | None, target_name: str) -> MySQLStateBackend:
    """The state of a mysql target on its own server (``state: {type: target}``)."""
    if not isinstance(config, MySQLTargetConfig):
        config = MySQLTargetConfig.model_validate(config.model_dump())
    return MySQLStateBackend(_opener(config), name=target_name, schema=schema or DEFAULT_SCHEMA,
                             where=config.where())


class MySQLStateSettings(BaseModel):
    """``state: {type: mysql, url_env: VAR, schema: ...}``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    type: str = "mysql"
    #: The environment variable holding the URL (``mysql://user:password@host:3306/database``).
    url_env: str = Field(min_length=1)
    #: The database holding the state tables (default: the URL's database, else ``faborite_state``).
    schema_name: str | None = Field(default=None, alias="schema", min_length=1, max_length=64)


class MySQLStateFactory:
    """``state: {type: mysql, url_env: VAR}``: a MySQL/MariaDB server other than the target."""

    name = "mysql"
    settings_model = MySQLStateSettings

    def open(self, settings: BaseModel, *, target_name: str, **_: Any) -> MySQLStateBackend:
        assert isinstance(settings, MySQLStateSettings)
        url = urlsplit(url_from_env(settings.url_env, what="MySQL", example="mysql://user:password@host:3306/db"))
        if url.scheme not in ("mysql", "mariadb") or not url.username:
            # Not the URL itself in the message: it may hold a password.
            raise ConfigError(f"${settings.url_env} is not a mysql://user:password@host:port/database URL",
                              file="faborite.yml", hint=f"check the value of {settings.url_env}")
        schema = settings.schema_name or unquote(url.path.strip("/")) or DEFAULT_SCHEMA
        config = MySQLTargetConfig.model_validate({
            "type": "mysql", "host": url.hostname or "localhost", "port": url.port or 3306,
            "user": unquote(url.username), "database": schema,
            **({"password": unquote(url.password)} if url.password is not None else {}),
        })
        return MySQLStateBackend(_opener(config), name=target_name, schema=schema, where=f"${settings.url_env}")
