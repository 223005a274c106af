"""MySQL/MariaDB state: the conformance suite on a real server, plus a crash while holding the lock."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from faborite.providers.mysql import MySQLTargetConfig
from faborite.errors import ConfigError
from faborite.providers.mysql_state import MySQLStateFactory, MySQLStateSettings, target_state_backend

from .conformance import StateBackendConformance, closing_clients, first_state

pytestmark = pytest.mark.service


def _backend(mysql, database):  # noqa: F811
    # The state tables in the test's own database, dropped after the test.
    return target_state_backend(MySQLTargetConfig.model_validate(mysql.config(database)), database, "dev")


class TestMySQLStateBackend(StateBackendConformance):
    @pytest.fixture
    def make_backend(self, mysql, mysql_database):  # noqa: F811
        with closing_clients(lambda: _backend(mysql, mysql_database)) as make:
            yield make


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


class TestMySQLUrlEnvStateBackend(StateBackendConformance):
    """``state: {type: mysql, url_env: VAR}``: a separate server for state, same suite."""

    @pytest.fixture
    def make_backend(self, mysql, mysql_database, monkeypatch):  # noqa: F811
        monkeypatch.setenv("FABORITE_TEST_STATE_URL", f"mysql://{mysql.user}@{mysql.host}:{mysql.port}/{mysql_database}")
        settings = MySQLStateSettings.model_validate({"type": "mysql", "url_env": "FABORITE_TEST_STATE_URL"})
        with closing_clients(lambda: MySQLStateFactory().open(settings, target_name="dev")) as make:
            yield make


def test_url_env_backend_shares_state_with_the_target_backend(mysql, mysql_database, monkeypatch):  # noqa: F811
    monkeypatch.setenv("FABORITE_TEST_STATE_URL", f"mysql://{mysql.user}@{mysql.host}:{mysql.port}/{mysql_database}")
    by_url = MySQLStateFactory().open(
        MySQLStateSettings.model_validate({"type": "mysql", "url_env": "FABORITE_TEST_STATE_URL"}), target_name="dev")
    by_target = _backend(mysql, mysql_database)
    state = first_state()
    by_url.write(state, expected_serial=None)
    assert by_target.read() == state
    assert repr(by_url) == "MySQLStateBackend('$FABORITE_TEST_STATE_URL', name='dev')"
    by_url.close()
    by_target.close()


@pytest.mark.parametrize(("value", "message"), [
    (None, "FABORITE_TEST_STATE_URL is not set"),
    ("postgresql://u:secret@h/db", r"\$FABORITE_TEST_STATE_URL is not a mysql://"),
])
def test_bad_url_env_is_a_config_error_without_the_url(value, message, monkeypatch):
    if value is None:
        monkeypatch.delenv("FABORITE_TEST_STATE_URL", raising=False)
    else:
        monkeypatch.setenv("FABORITE_TEST_STATE_URL", value)
    settings = MySQLStateSettings.model_validate({"type": "mysql", "url_env": "FABORITE_TEST_STATE_URL"})
    with pytest.raises(ConfigError, match=message) as caught:
        MySQLStateFactory().open(settings, target_name="dev")
    assert "secret" not in str(caught.value.message)
