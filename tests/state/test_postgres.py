"""PostgreSQL state: the conformance suite on a real server, plus a crash while holding the lock."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from faborite.providers.postgres_state import PostgresStateFactory, PostgresStateSettings, target_state_backend
from faborite.providers.postgres import PostgresTargetConfig
from faborite.errors import ConfigError

from .conformance import StateBackendConformance, closing_clients, first_state

pytestmark = pytest.mark.service


def _config(postgres, pg_database):  # noqa: F811
    return PostgresTargetConfig.model_validate(postgres.config(pg_database))


class TestPostgresStateBackend(StateBackendConformance):
    @pytest.fixture
    def make_backend(self, postgres, pg_database):  # noqa: F811
        with closing_clients(lambda: target_state_backend(_config(postgres, pg_database), None, "dev")) as make:
            yield make


class TestPostgresUrlEnvStateBackend(StateBackendConformance):
    """``state: {type: postgres, url_env: VAR}``: the same suite through the factory."""

    @pytest.fixture
    def make_backend(self, postgres, pg_database, monkeypatch):  # noqa: F811
        monkeypatch.setenv("FABORITE_TEST_STATE_URL",
                           f"postgresql://{postgres.user}@{postgres.host}:{postgres.port}/{pg_database}")
        settings = PostgresStateSettings.model_validate({"type": "postgres", "url_env": "FABORITE_TEST_STATE_URL"})
        with closing_clients(lambda: PostgresStateFactory().open(settings, target_name="dev")) as make:
            yield make


def test_url_env_backend_shares_state_with_the_target_backend(postgres, pg_database, monkeypatch):  # noqa: F811
    monkeypatch.setenv("FABORITE_TEST_STATE_URL",
                       f"postgresql://{postgres.user}@{postgres.host}:{postgres.port}/{pg_database}")
    settings = PostgresStateSettings.model_validate({"type": "postgres", "url_env": "FABORITE_TEST_STATE_URL"})
    by_url = PostgresStateFactory().open(settings, target_name="dev")
    by_target = target_state_backend(_config(postgres, pg_database), None, "dev")
    state = first_state()
    by_url.write(state, expected_serial=None)
    assert by_target.read() == state
    with postgres.admin(pg_database) as con:
        assert con.execute("SELECT name, serial FROM faborite_state.serials").fetchall() == [("dev", 1)]
    by_url.close()
    by_target.close()


def test_unset_url_env_is_a_config_error(monkeypatch):
    monkeypatch.delenv("FABORITE_TEST_STATE_URL", raising=False)
    settings = PostgresStateSettings.model_validate({"type": "postgres", "url_env": "FABORITE_TEST_STATE_URL"})
    with pytest.raises(ConfigError, match="FABORITE_TEST_STATE_URL is not set"):
        PostgresStateFactory().open(settings, target_name="dev")


def test_a_killed_holder_releases_the_lock(postgres, pg_database):  # noqa: F811
    # A process that takes the lock and dies: its session ends, so the advisory lock is free
    # and its info row is a leftover the next lock replaces (with a warning), on any host.
    child = textwrap.dedent(f"""
        import os, sys
        from faborite.providers.postgres import PostgresTargetConfig
        from faborite.providers.postgres_state import target_state_backend
        b = target_state_backend(PostgresTargetConfig.model_validate({postgres.config(pg_database)!r}), None, "dev")
        info = b.lock("apply")
        print(info.id, flush=True)
        os.kill(os.getpid(), 9)
    """)
    proc = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60)
    dead_id = proc.stdout.strip()
    assert dead_id, proc.stderr
    backend = target_state_backend(_config(postgres, pg_database), None, "dev")
    assert backend.lock_info().id == dead_id  # still named until someone takes it
    mine = backend.lock("apply")
    assert backend.taken_over is not None and backend.taken_over.id == dead_id
    assert backend.lock_info() == mine
    backend.unlock(mine.id)
    backend.close()
