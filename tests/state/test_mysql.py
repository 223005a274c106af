"""MySQL/MariaDB state: the conformance suite on a real server, plus a crash while holding the lock."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from faborite.providers.mysql import MySQLTargetConfig
from faborite.providers.mysql_state import target_state_backend
from tests.mysql import mysql, mysql_database  # noqa: F401  (re-exported fixtures)

from .conformance import StateBackendConformance

pytestmark = pytest.mark.service


def _backend(mysql, database):  # noqa: F811
    # The state tables in the test's own database, dropped after the test.
    return target_state_backend(MySQLTargetConfig.model_validate(mysql.config(database)), database, "dev")


class TestMySQLStateBackend(StateBackendConformance):
    @pytest.fixture
    def make_backend(self, mysql, mysql_database):  # noqa: F811
        made = []

        def make():
            made.append(_backend(mysql, mysql_database))
            return made[-1]

        yield make
        for backend in made:
            backend.close()


def test_default_schema_is_faborite_state(mysql, mysql_database):  # noqa: F811
    backend = target_state_backend(MySQLTargetConfig.model_validate(mysql.config(mysql_database)), None, "dev")
    assert backend.read() is None
    assert "faborite_state" in mysql.databases()
    backend.close()


def test_a_killed_holder_releases_the_lock(mysql, mysql_database):  # noqa: F811
    child = textwrap.dedent(f"""
        import os
        from faborite.providers.mysql import MySQLTargetConfig
        from faborite.providers.mysql_state import target_state_backend
        b = target_state_backend(MySQLTargetConfig.model_validate({mysql.config(mysql_database)!r}),
                                 {mysql_database!r}, "dev")
        print(b.lock("apply").id, flush=True)
        os.kill(os.getpid(), 9)
    """)
    proc = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60)
    dead_id = proc.stdout.strip()
    assert dead_id, proc.stderr
    backend = _backend(mysql, mysql_database)
    assert backend.lock_info().id == dead_id
    mine = backend.lock("apply")
    assert backend.taken_over is not None and backend.taken_over.id == dead_id
    backend.unlock(mine.id)
    backend.close()
