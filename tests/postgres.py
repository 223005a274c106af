"""A throw-away PostgreSQL server for tests: start it, hand out databases, stop it.

Its fixtures are registered once for every test (tests/conftest.py names this module in
``pytest_plugins``, so each test process starts one server)::

    @pytest.mark.service
    def test_x(pg_database): ...

The server:

- is the machine's own PostgreSQL: ``initdb`` and ``pg_ctl`` from ``$PG_BIN``,
  PATH, or the newest ``/usr/lib/postgresql/*/bin`` (Debian's ``postgresql``
  package puts them there, off PATH);
- runs in a fresh temporary data directory with ``trust`` authentication,
  ``fsync=off``, on a free 127.0.0.1 port (its Unix socket in the data
  directory, never in /var/run); as root, every command runs as the
  ``postgres`` user, since the server refuses to run as root;
- lives for the test session (one ``initdb`` + start, about a second); each
  test that asks for :func:`pg_database` gets its own ``CREATE DATABASE``, so
  tests never see each other's tables.

Without PostgreSQL the fixture skips on a laptop and fails on CI (``CI=true``).
"""

from __future__ import annotations

import glob
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.servers import as_user, log_tail, make_data_dir, require_server, run_checked, start_on_free_port

INSTALL_HINT = "PostgreSQL not found: install it (Debian: `apt-get install postgresql`) or set PG_BIN"
SUPERUSER = "postgres"


@dataclass(frozen=True)
class PostgresServer:
    """A running PostgreSQL server that trusts every local connection."""

    host: str
    port: int
    data_dir: Path
    #: How long initdb + start took, in seconds (reported by the test session).
    start_seconds: float
    user: str = SUPERUSER

    def config(self, dbname: str = "postgres", **extra: Any) -> dict[str, Any]:
        """A ``targets:`` block for the postgres provider, pointing at ``dbname``."""
        return {"type": "postgres", "host": self.host, "port": self.port, "user": self.user,
                "dbname": dbname, **extra}

    def admin(self, dbname: str = "postgres") -> Any:
        """An autocommit psycopg connection as the superuser (for setup, not under test)."""
        import psycopg

        return psycopg.connect(host=self.host, port=self.port, user=self.user, dbname=dbname, autocommit=True)

    def create_database(self) -> str:
        """A new, empty database; its name."""
        name = f"test_{uuid.uuid4().hex[:12]}"
        with self.admin() as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        """Drop ``name``, disconnecting whoever still uses it (PostgreSQL 13+)."""
        with self.admin() as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def find_pg_bin() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``: $PG_BIN, PATH, or /usr/lib/postgresql/*/bin."""
    candidates: list[str | None] = [os.environ.get("PG_BIN")]
    on_path = shutil.which("initdb")
    candidates.append(str(Path(on_path).parent) if on_path else None)
    # Newest major version first; a lexical sort would put 9.6 after 16.
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted(versions, key=lambda p: _version_key(Path(p).parent.name), reverse=True)
    for candidate in candidates:
        if candidate and all(os.access(Path(candidate) / tool, os.X_OK) for tool in ("initdb", "pg_ctl")):
            return Path(candidate)
    return None


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def _run(argv: list[str], what: str) -> None:
    run_checked(as_user(argv, SUPERUSER), what)


@contextmanager
def run_postgres(bin_dir: Path | None = None) -> Iterator[PostgresServer]:
    """initdb a temporary cluster, start it on a free port, stop it and delete it after."""
    bin_dir = bin_dir or find_pg_bin()
    if bin_dir is None:
        raise FileNotFoundError(INSTALL_HINT)
    top = make_data_dir("faborite-pg-", SUPERUSER)
    data, log = top / "data", top / "server.log"
    started = time.monotonic()

    def start(port: int) -> None:
        options = f"-p {port} -k {top} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-t", "60", "-l", str(log), "-o", options, "start"],
             "pg_ctl start")

    try:
        _run([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", SUPERUSER, "--no-sync",
              "--encoding", "UTF8", "--locale", "C"], "initdb")
        try:
            port, _ = start_on_free_port(start)
        except RuntimeError as exc:
            raise RuntimeError(f"could not start PostgreSQL: {exc}\n{log_tail(log)}") from None
        try:
            yield PostgresServer("127.0.0.1", port, data, time.monotonic() - started)
        finally:
            _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], "pg_ctl stop")
    finally:
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A session-wide PostgreSQL server; skipped (laptop) or failed (CI) when not installed."""
    bin_dir = find_pg_bin()
    require_server(bin_dir, INSTALL_HINT, "psycopg", "psycopg")
    with run_postgres(bin_dir) as server:
        yield server


@pytest.fixture
def pg_database(postgres: PostgresServer) -> Iterator[str]:
    """The name of a fresh database on the session's server, dropped after the test."""
    name = postgres.create_database()
    yield name
    postgres.drop_database(name)
