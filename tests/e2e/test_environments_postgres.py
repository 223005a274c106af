"""Environments on PostgreSQL (state in the target's faborite_state schema, keyed ``pg@dev``):
dev from prod with 0 builds, an edit in dev, then promote dev -> prod with 0 builds."""

from __future__ import annotations

import json

import pytest

from tests.e2e.test_environments import DOWNSTREAM_OF_STG_ORDERS, _built, _edit_stg_orders
from tests.e2e.test_postgres_target import PG_SCHEMA, ok, pg, project  # noqa: F401  (fixture)
from tests.postgres import PostgresServer

pytestmark = pytest.mark.service


def _orders(server: PostgresServer, dbname: str, schema: str) -> list[tuple]:
    with server.admin(dbname) as con:
        return sorted(con.execute(f'select id, amount from {schema}."orders"').fetchall())


@pytest.mark.slow
def test_promote_on_postgres_builds_nothing(project, postgres, pg_database):  # noqa: F811
    run = lambda *args: ok(pg(*args, project=project, server=postgres))  # noqa: E731
    run("apply", "--auto-approve")
    created = run("apply", "--env", "dev", "--auto-approve")
    assert _built(created.stdout) == set()
    dev_schema = f"{PG_SCHEMA}__dev"
    before = _orders(postgres, pg_database, PG_SCHEMA)
    assert _orders(postgres, pg_database, dev_schema) == before

    _edit_stg_orders(project)
    edited = run("apply", "--env", "dev", "--auto-approve")
    assert _built(edited.stdout) == DOWNSTREAM_OF_STG_ORDERS
    dev_rows = _orders(postgres, pg_database, dev_schema)
    assert dev_rows != before and _orders(postgres, pg_database, PG_SCHEMA) == before

    promoted = run("env", "promote", "dev", "prod", "--auto-approve")
    assert "Promote complete! 0 built, 5 published" in promoted.stdout
    assert _orders(postgres, pg_database, PG_SCHEMA) == dev_rows
    assert "No changes." in run("plan").stdout and "No changes." in run("plan", "--env", "dev").stdout
    listed = json.loads(run("env", "list", "--json").stdout)
    assert [(e["name"], e["state_key"], e["last_operation"]) for e in listed] == [
        ("prod", "pg", "promote"), ("dev", "pg@dev", "apply")]
