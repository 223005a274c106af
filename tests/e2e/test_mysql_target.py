"""The template project on a real MariaDB through the CLI: plan, apply, plan, rollback, query, debug.

Every published model must hold the same rows as the same project applied on
the default DuckDB target (numbers and times compared as values, not types).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from pathlib import Path

import pytest

from tests.conftest import run_cli, run_cli_in_process
from tests.mysql import MySQLServer

pytestmark = pytest.mark.service

PASSWORD = "e2e-My5ql-Pa55"
PASSWORD_VAR = "FABORITE_TEST_MYSQL_PASSWORD"
MODELS = ["stg_customers", "stg_orders", "orders", "customers", "daily_revenue", "customer_segments"]
SEEDS = ["raw_customers", "raw_orders"]


@pytest.fixture
def project(tmp_path: Path, mysql: MySQLServer, mysql_database: str) -> Path:  # noqa: F811
    """The template project with a `my` target: a user that logs in with a password from the environment."""
    mysql.execute("CREATE USER IF NOT EXISTS 'faborite_e2e'@'%' IDENTIFIED BY '" + PASSWORD + "'",
                  "GRANT ALL ON *.* TO 'faborite_e2e'@'%'")
    result = run_cli("init", "demo", cwd=tmp_path)
    assert result.code == 0, result.output
    root = tmp_path / "demo"
    config = root / "faborite.yml"
    config.write_text(config.read_text().replace("targets:\n", (
        "targets:\n"
        "  my:\n"
        "    type: mysql\n"
        f"    host: {mysql.host}\n"
        f"    port: {mysql.port}\n"
        "    user: faborite_e2e\n"
        f"    password: \"{{{{ env_var('{PASSWORD_VAR}') }}}}\"\n"
        f"    database: {mysql_database}\n"), 1))
    yield root
    mysql.execute("DROP USER IF EXISTS 'faborite_e2e'@'%'")


def cli(*args: str, cwd: Path, ok: bool = True, run=run_cli):
    result = run(*args, cwd=cwd, env={PASSWORD_VAR: PASSWORD})
    assert (result.code == 0) == ok, result.output
    assert PASSWORD not in result.output
    return result


def rows(project: Path, target: str, relation: str) -> list[tuple]:
    """A published relation's rows, normalised and sorted (engines order and type differently).

    Read in this process: twenty queries as child processes cost ~10 s of start-up, and what they
    show is the rows, not the process (plan, apply, rollback and debug run as children)."""
    result = cli("query", f"select * from {relation}", "--json", "--target", target, cwd=project,
                 run=run_cli_in_process)
    return sorted((tuple(_normal(v) for v in row.values()) for row in json.loads(result.stdout)), key=repr)


def _normal(value):
    """Numbers (decimals written as text too) as rounded floats, times as ISO text without zone, booleans as 0/1."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float, decimal.Decimal)):
        return round(float(value), 6)
    if isinstance(value, str):  # --json writes decimals and times as text
        try:
            return round(float(decimal.Decimal(value)), 6)
        except decimal.InvalidOperation:
            pass
        try:
            parsed = dt.datetime.fromisoformat(value).replace(tzinfo=None)
        except ValueError:
            return value
        return parsed.date().isoformat() if parsed.time() == dt.time() else parsed.isoformat()
    return value


def test_the_template_project_on_mysql_matches_duckdb(project: Path, mysql: MySQLServer,  # noqa: F811
                                                      mysql_database: str) -> None:
    cli("apply", "--auto-approve", cwd=project)  # the default DuckDB target: the reference

    result = cli("plan", "--target", "my", cwd=project)
    assert "Plan: 8 to create, 0 to replace, 0 to update, 0 to delete." in result.stdout
    assert "atomic" in result.stdout and "not atomic" not in result.stdout

    result = cli("apply", "--target", "my", "--auto-approve", cwd=project)
    assert "Apply complete! 8 created" in result.stdout

    result = cli("plan", "--target", "my", cwd=project)
    assert "No changes." in result.stdout, result.stdout

    for relation in MODELS + SEEDS:
        assert rows(project, "my", relation) == rows(project, "dev", relation), relation

    # The views are pointers plan recognises, in the database; the versions in faborite__<schema>.
    con = mysql.admin()
    try:
        with con.cursor() as cur:
            cur.execute("SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s",
                        [mysql_database])
            published = dict(cur.fetchall())
            cur.execute("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s",
                        [f"faborite__{mysql_database}"])
            versions = cur.fetchone()[0]
    finally:
        con.close()
    assert published == {name: "VIEW" for name in MODELS + SEEDS}
    assert versions == len(MODELS + SEEDS)

    # A change, applied, then rolled back: the earlier rows are published again, nothing rebuilt.
    orders = project / "models/marts/orders.sql"
    before = rows(project, "my", "orders")
    orders.write_text(orders.read_text().replace("select o.id, o.amount, c.name",
                                                 "select o.id, o.amount * 2 as amount, c.name"))
    result = cli("apply", "--target", "my", "--auto-approve", cwd=project)
    assert "1 replaced" in result.stdout
    assert rows(project, "my", "orders") != before
    result = cli("rollback", "--target", "my", "--auto-approve", cwd=project)
    assert "Rollback complete" in result.stdout
    assert rows(project, "my", "orders") == before

    result = cli("debug", "--target", "my", cwd=project)
    assert "MariaDB" in result.stdout and "faborite_e2e@" in result.stdout
