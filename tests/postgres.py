"""A throw-away PostgreSQL server for tests: start it, hand out databases, stop it.

Use the fixtures from a conftest or test module::

    from tests.postgres import postgres, pg_database  # noqa: F401  (re-exported fixtures)

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
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.azurite import skip_or_fail

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(argv: list[str]) -> list[str]:
    """``argv`` run as the ``postgres`` user when we are root (the server will not run as root)."""
    if os.geteuid() != 0:
        return argv
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", SUPERUSER, "--", *argv]
    return ["su", SUPERUSER, "-s", "/bin/sh", "-c", " ".join(_shell_quote(a) for a in argv)]


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _run(argv: list[str], what: str) -> None:
    proc = subprocess.run(_as_server_user(argv), capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed ({proc.returncode}): {(proc.stdout + proc.stderr)[-2000:]}")


def _make_data_dir() -> Path:
    # Not under pytest's tmp_path: /tmp/pytest-of-root is root-only (0700), and the
    # postgres user must reach the directory. Short, too: the socket path is limited to ~100 bytes.
    top = Path(tempfile.mkdtemp(prefix="faborite-pg-"))
    if os.geteuid() == 0:
        shutil.chown(top, SUPERUSER, SUPERUSER)
    return top


@contextmanager
def run_postgres(bin_dir: Path | None = None) -> Iterator[PostgresServer]:
    """initdb a temporary cluster, start it on a free port, stop it and delete it after."""
    bin_dir = bin_dir or find_pg_bin()
    if bin_dir is None:
        raise FileNotFoundError(INSTALL_HINT)
    top = _make_data_dir()
    data = top / "data"
    started = time.monotonic()
    try:
        _run([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", SUPERUSER, "--no-sync",
              "--encoding", "UTF8", "--locale", "C"], "initdb")
        last_error: Exception | None = None
        for _ in range(3):  # the free port can be taken between picking and binding it
            port = _free_port()
            options = f"-p {port} -k {top} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
            try:
                _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-t", "60", "-l", str(top / "server.log"),
                      "-o", options, "start"], "pg_ctl start")
            except RuntimeError as exc:
                last_error = exc
                continue
            try:
                yield PostgresServer("127.0.0.1", port, data, time.monotonic() - started)
            finally:
                _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], "pg_ctl stop")
            return
        log = top / "server.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"could not start PostgreSQL: {last_error}\n{tail}")
    finally:
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A session-wide PostgreSQL server; skipped (laptop) or failed (CI) when not installed."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        skip_or_fail(INSTALL_HINT)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        skip_or_fail('psycopg not installed: pip install -e ".[dev]"')
    with run_postgres(bin_dir) as server:
        yield server


@pytest.fixture
def pg_database(postgres: PostgresServer) -> Iterator[str]:
    """The name of a fresh database on the session's server, dropped after the test."""
    name = postgres.create_database()
    yield name
    postgres.drop_database(name)
