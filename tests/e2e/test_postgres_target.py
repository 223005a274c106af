"""Issue 8: the template project on DuckDB and on PostgreSQL, through the real CLI.

``faborite init`` a project, add a ``pg`` target block (nothing else changes),
apply it on both targets: every published relation holds the same rows. Then,
on PostgreSQL: a second plan is empty, rollback restores the previous rows
exactly, a view dropped by hand is drift that apply repairs, ``debug`` passes,
and an unset environment variable in the target block is one located error.
"""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import duckdb
import pytest

from tests.conftest import CliResult, run_cli, run_cli_in_process
from tests.postgres import PostgresServer

pytestmark = pytest.mark.service

PG_SCHEMA = "analytics"
PG_TARGET = """\
  pg:
    type: postgres
    host: {host}
    port: "{{{{ env_var('PGPORT_TEST') }}}}"
    user: {user}
    dbname: {dbname}
    schema: {schema}
"""

Rows = dict[str, tuple[tuple[str, ...], list[tuple]]]


def _value(value: object) -> object:
    """One cell as a comparable value: numbers as rounded floats, timestamps naive."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, decimal.Decimal)):
        return round(float(value), 9)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def _normalised(columns: list[str], rows: list[tuple]) -> tuple[tuple[str, ...], list[tuple]]:
    return tuple(columns), sorted((tuple(_value(v) for v in row) for row in rows), key=repr)


def duckdb_published(project: Path) -> Rows:
    """Every relation the DuckDB target publishes (outside faborite's schemas), by name."""
    con = duckdb.connect(str(project / ".faborite/dev.duckdb"), read_only=True)
    try:
        names = con.sql("select table_name from information_schema.tables where table_catalog = current_database() "
                        "and not starts_with(table_schema, 'faborite__')").fetchall()
        out = {}
        for (name,) in names:
            rel = con.sql(f'select * from main."{name}"')
            out[name] = _normalised(rel.columns, rel.fetchall())
        return out
    finally:
        con.close()


def pg_published(server: PostgresServer, dbname: str) -> Rows:
    """Every relation the PostgreSQL target publishes in its schema, by name, read with psycopg."""
    with server.admin(dbname) as con:
        names = con.execute("select table_name from information_schema.tables where table_schema = %s",
                            [PG_SCHEMA]).fetchall()
        others = con.execute("select distinct table_schema from information_schema.tables where table_schema "
                             # faborite_state: where the target keeps its state (docs/project-files.md#state)
                             "not in (%s, 'pg_catalog', 'information_schema', 'faborite_state') "
                             "and table_schema not like 'faborite\\_\\_%%'", [PG_SCHEMA]).fetchall()
        assert not others, f"published outside {PG_SCHEMA}: {others}"
        out = {}
        for (name,) in names:
            cur = con.execute(f'select * from {PG_SCHEMA}."{name}"')
            out[name] = _normalised([c.name for c in cur.description], cur.fetchall())
        return out


@pytest.fixture
def project(tmp_path: Path, postgres: PostgresServer, pg_database: str) -> Path:  # noqa: F811
    """``faborite init demo`` with a ``pg`` target block added to faborite.yml, and nothing else changed."""
    result = run_cli("init", "demo", cwd=tmp_path)
    assert result.code == 0, result.output
    root = tmp_path / "demo"
    yml = root / "faborite.yml"
    text = yml.read_text()
    block = PG_TARGET.format(host=postgres.host, user=postgres.user, dbname=pg_database, schema=PG_SCHEMA)
    assert text.count("\ntargets:\n") == 1
    yml.write_text(text.replace("\nvars:", block + "\nvars:", 1))
    return root


def pg(*args: str, project: Path, server: PostgresServer, run=run_cli) -> CliResult:
    """``faborite ARGS --target pg`` with the port the target block reads from the environment.

    ``run=run_cli_in_process`` for cases about what the commands do and print rather than the
    process: the first case runs every command as a child, as a user does.
    """
    return run(*args, "--target", "pg", cwd=project, env={"PGPORT_TEST": str(server.port)})


def ok(result: CliResult) -> CliResult:
    assert result.code == 0, result.output
    return result


@pytest.mark.slow
def test_template_publishes_the_same_rows_on_duckdb_and_postgres(project, postgres, pg_database):  # noqa: F811
    ok(run_cli("apply", "--auto-approve", cwd=project))
    applied = ok(pg("apply", "--auto-approve", project=project, server=postgres))
    assert "Apply complete! 8 created" in applied.stdout

    on_duckdb, on_postgres = duckdb_published(project), pg_published(postgres, pg_database)
    assert set(on_duckdb) == {"raw_customers", "raw_orders", "stg_customers", "stg_orders", "orders", "customers",
                              "daily_revenue", "customer_segments"}
    assert set(on_postgres) == set(on_duckdb)
    for name, want in on_duckdb.items():
        assert on_postgres[name] == want, f"{name}: PostgreSQL publishes other rows than DuckDB"

    assert "No changes." in ok(pg("plan", project=project, server=postgres)).stdout
    # The DuckDB target is independent of the PostgreSQL one: still nothing to do there either.
    assert "No changes." in ok(run_cli("plan", cwd=project)).stdout


@pytest.mark.slow
def test_rollback_on_postgres_restores_the_previous_rows(project, postgres, pg_database):  # noqa: F811
    ok(pg("apply", "--auto-approve", project=project, server=postgres, run=run_cli_in_process))
    before = pg_published(postgres, pg_database)

    staged = project / "models/staging/stg_orders.sql"
    staged.write_text(staged.read_text().replace("where ", "where status <> 'placed' and "))
    applied = ok(pg("apply", "--auto-approve", project=project, server=postgres, run=run_cli_in_process))
    assert "replaced" in applied.stdout
    after = pg_published(postgres, pg_database)
    assert after["stg_orders"] != before["stg_orders"] and after["orders"] != before["orders"]

    ok(pg("rollback", "--auto-approve", project=project, server=postgres, run=run_cli_in_process))
    assert pg_published(postgres, pg_database) == before
    # The files still hold the edit: the plan puts it back, and applying it republishes it.
    assert "No changes." not in ok(pg("plan", project=project, server=postgres, run=run_cli_in_process)).stdout
    ok(pg("apply", "--auto-approve", project=project, server=postgres, run=run_cli_in_process))
    assert pg_published(postgres, pg_database) == after


@pytest.mark.slow
def test_a_view_dropped_by_hand_is_drift_that_apply_repairs(project, postgres, pg_database):  # noqa: F811
    ok(pg("apply", "--auto-approve", project=project, server=postgres, run=run_cli_in_process))
    before = pg_published(postgres, pg_database)
    with postgres.admin(pg_database) as con:
        con.execute(f"drop view {PG_SCHEMA}.stg_customers")

    plan = pg("plan", "--detailed-exitcode", project=project, server=postgres, run=run_cli_in_process)
    assert plan.code == 2, plan.output
    assert "Changed outside faborite" in plan.stdout and "model.stg_customers" in plan.stdout, plan.stdout

    ok(pg("apply", "--auto-approve", project=project, server=postgres, run=run_cli_in_process))
    assert pg_published(postgres, pg_database) == before
    assert "No changes." in ok(pg("plan", project=project, server=postgres, run=run_cli_in_process)).stdout


def test_debug_passes_on_the_postgres_target(project, postgres):  # noqa: F811
    result = ok(pg("debug", project=project, server=postgres))
    assert "PostgreSQL" in result.stdout and f"127.0.0.1:{postgres.port}" in result.stdout, result.stdout


def test_an_unset_env_var_in_the_target_is_one_located_error(project, monkeypatch):
    monkeypatch.delenv("PGPORT_TEST", raising=False)  # run_cli passes this process's environment on
    result = run_cli("plan", "--target", "pg", cwd=project)
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    lines = (project / "faborite.yml").read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "PGPORT_TEST" in text)
    assert f"faborite.yml:{line}: environment variable PGPORT_TEST is not set" in result.stderr, result.stderr
    assert result.stderr.count("error") == 1, result.stderr
