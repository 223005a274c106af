"""A throw-away MariaDB server for tests: start it, hand out databases, stop it.

Its fixtures are registered once for every test (tests/conftest.py names this module in
``pytest_plugins``, so each test process starts one server)::

    @pytest.mark.service
    def test_x(mysql_database): ...

The server:

- is the machine's own MariaDB: ``mariadbd`` and ``mariadb-install-db`` from
  ``$MARIADB_BIN``, PATH or /usr/sbin (Debian's ``mariadb-server`` package);
- runs in a fresh temporary data directory (owned by the ``mysql`` user when we
  are root, since the server refuses to run as root), on a free 127.0.0.1 port
  with its socket in that directory, with no option files read
  (``--no-defaults``) and durability off (tests need no fsync); ``root`` logs
  in without a password over TCP;
- lives for the test session (install + start: a few seconds); each test that
  asks for :func:`mysql_database` gets its own ``CREATE DATABASE``, and every
  database the test made (faborite's ``faborite__*`` ones too) is dropped after.

Without MariaDB the fixture skips on a laptop and fails on CI (``CI=true``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.servers import log_tail, make_data_dir, require_server, run_checked, start_on_free_port

INSTALL_HINT = ("MariaDB not found: install it (Debian: `apt-get install --no-install-recommends mariadb-server`) "
                "or set MARIADB_BIN to the folder holding mariadbd and mariadb-install-db")
SERVER_USER = "mysql"
ROOT = "root"
#: Databases every server has, never dropped by the per-test cleanup.
SYSTEM_DATABASES = frozenset({"information_schema", "mysql", "performance_schema", "sys"})


@dataclass(frozen=True)
class MySQLServer:
    """A running MariaDB server; ``root`` has no password."""

    host: str
    port: int
    data_dir: Path
    #: How long install + start took, in seconds (reported by the test session).
    start_seconds: float
    version: str
    user: str = ROOT

    def config(self, database: str, **extra: Any) -> dict[str, Any]:
        """A ``targets:`` block for the mysql provider, with ``database`` as its schema."""
        return {"type": "mysql", "host": self.host, "port": self.port, "user": self.user,
                "database": database, **extra}

    def admin(self) -> Any:
        """An autocommit PyMySQL connection as root (for setup, not under test)."""
        import pymysql

        return pymysql.connect(host=self.host, port=self.port, user=self.user, autocommit=True, charset="utf8mb4")

    def execute(self, *statements: str) -> None:
        con = self.admin()
        try:
            with con.cursor() as cur:
                for sql in statements:
                    cur.execute(sql)
        finally:
            con.close()

    def databases(self) -> set[str]:
        con = self.admin()
        try:
            with con.cursor() as cur:
                cur.execute("SHOW DATABASES")
                return {row[0] for row in cur.fetchall()}
        finally:
            con.close()

    def create_database(self) -> str:
        """A new, empty database; its name."""
        name = f"test_{uuid.uuid4().hex[:12]}"
        self.execute(f"CREATE DATABASE `{name}`")
        return name

    def drop_databases(self, names: set[str]) -> None:
        self.execute(*(f"DROP DATABASE IF EXISTS `{n.replace('`', '``')}`" for n in sorted(names - SYSTEM_DATABASES)))


def find_mariadb_bin() -> tuple[Path, Path] | None:
    """``mariadbd`` and ``mariadb-install-db``: from $MARIADB_BIN, PATH, /usr/sbin or /usr/bin."""
    folders = [os.environ.get("MARIADB_BIN")]
    folders += [str(Path(found).parent) for tool in ("mariadbd", "mariadb-install-db") if (found := shutil.which(tool))]
    folders += ["/usr/sbin", "/usr/bin"]
    server = install = None
    for folder in filter(None, folders):
        server = server or _executable(Path(folder) / "mariadbd")
        install = install or _executable(Path(folder) / "mariadb-install-db")
    return (server, install) if server and install else None


def _executable(path: Path) -> Path | None:
    return path if os.access(path, os.X_OK) else None


def _user_options() -> list[str]:
    return [f"--user={SERVER_USER}"] if os.geteuid() == 0 else []


def _wait_until_up(proc: subprocess.Popen, port: int, log: Path, timeout: float = 60) -> str:
    """The server's version once it answers on ``port``; RuntimeError if it exits or times out."""
    import pymysql

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            con = pymysql.connect(host="127.0.0.1", port=port, user=ROOT, connect_timeout=2)
        except pymysql.Error:
            time.sleep(0.1)
            continue
        try:
            with con.cursor() as cur:
                cur.execute("SELECT VERSION()")
                return cur.fetchone()[0]
        finally:
            con.close()
    raise RuntimeError(f"MariaDB did not start (exit code {proc.poll()}):\n{log_tail(log)}")


@contextmanager
def run_mysql(binaries: tuple[Path, Path] | None = None) -> Iterator[MySQLServer]:
    """Install a temporary data directory, start MariaDB on a free port, stop and delete it after."""
    binaries = binaries or find_mariadb_bin()
    if binaries is None:
        raise FileNotFoundError(INSTALL_HINT)
    server_bin, install_bin = binaries
    top = make_data_dir("faborite-my-", SERVER_USER)
    data, log, scratch = top / "data", top / "server.log", top / "tmp"
    # Its own folder for internal temporary tables: in the shared /tmp, another server or process
    # tidying up removed a running server's files ("Error on delete of '/tmp/#sql-temptable-...'").
    scratch.mkdir()
    if os.geteuid() == 0:
        shutil.chown(scratch, SERVER_USER, SERVER_USER)
    started = time.monotonic()

    def start(port: int) -> tuple[subprocess.Popen, str]:
        argv = [str(server_bin), "--no-defaults", *_user_options(), f"--datadir={data}", f"--port={port}",
                "--bind-address=127.0.0.1", f"--socket={top / 'sock'}", f"--pid-file={top / 'pid'}",
                f"--log-error={log}", f"--tmpdir={scratch}", "--skip-name-resolve", "--skip-log-bin", "--performance-schema=OFF",
                "--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0", "--innodb-buffer-pool-size=64M",
                "--sync-frm=0"]
        server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            return server, _wait_until_up(server, port, log)
        except RuntimeError:
            _stop(server)
            raise

    try:
        run_checked([str(install_bin), "--no-defaults", *_user_options(), f"--datadir={data}",
                     "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve"],
                    "mariadb-install-db")
        try:
            port, (server, version) = start_on_free_port(start)
        except RuntimeError as exc:
            raise RuntimeError(f"could not start MariaDB: {exc}") from None
        try:
            yield MySQLServer("127.0.0.1", port, data, time.monotonic() - started, version)
        finally:
            _stop(server)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _stop(server: subprocess.Popen) -> None:
    """SIGTERM (a clean shutdown), then SIGKILL if it takes more than 30 seconds."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def mysql() -> Iterator[MySQLServer]:
    """A session-wide MariaDB server; skipped (laptop) or failed (CI) when not installed."""
    binaries = find_mariadb_bin()
    require_server(binaries, INSTALL_HINT, "pymysql", "PyMySQL")
    with run_mysql(binaries) as server:
        yield server


@pytest.fixture
def mysql_database(mysql: MySQLServer) -> Iterator[str]:
    """The name of a fresh database on the session's server; every database the test created
    (this one, conformance schemas, ``faborite__*``) is dropped after it."""
    before = mysql.databases()
    name = mysql.create_database()
    yield name
    mysql.drop_databases(mysql.databases() - before)
