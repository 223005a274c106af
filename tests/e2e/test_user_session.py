"""The spine issue's user session, verbatim, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli, run_cli_tty

EXPECTED_ORDERS = [
    [101, 12.5, "Ada Lovelace"], [102, 49.99, "Grace Hopper"], [103, 12.5, "Ada Lovelace"],
    [104, 32.0, "Edsger Dijkstra"], [105, 7.8, "Barbara Liskov"], [106, 150.0, "Grace Hopper"],
    [107, 23.0, "Alan Turing"], [108, 9.9, "Edsger Dijkstra"],
]


def _rows(project: Path, sql: str) -> list[list]:
    result = run_cli("query", sql, "--json", cwd=project)
    assert result.code == 0, result.output
    return [list(row.values()) for row in json.loads(result.stdout)]


def test_user_session(tmp_path: Path) -> None:
    result = run_cli("init", "demo", cwd=tmp_path)
    assert result.code == 0, result.output
    project = tmp_path / "demo"

    result = run_cli("validate", cwd=project)
    assert result.code == 0 and "ok: 8 nodes" in result.stdout, result.output

    result = run_cli("plan", cwd=project)
    assert result.code == 0, result.output
    assert "Plan: 8 to create, 0 to replace, 0 to update, 0 to delete." in result.stdout
    assert "+ model orders" in result.stdout and "+ seed raw_orders" in result.stdout

    # Interactive apply: shows the plan, asks, builds, checks, publishes.
    result = run_cli_tty("apply", cwd=project, answer="yes")
    assert result.code == 0, result.output
    assert "Do you want to perform these actions?" in result.stdout
    assert "Apply complete! 8 created" in result.stdout
    assert _rows(project, "select * from orders order by id") == EXPECTED_ORDERS

    result = run_cli("plan", cwd=project)
    assert result.code == 0 and "No changes." in result.stdout, result.output

    # Edit a mart: the plan says why and shows the SQL diff; exit code 2.
    orders = project / "models/marts/orders.sql"
    orders.write_text(orders.read_text().replace("o.amount * 1", "o.amount").replace(
        "select o.id, o.amount, c.name", "select o.id, o.amount, c.name, o.status"))
    result = run_cli("plan", "-out", "plan.json", "--detailed-exitcode", cwd=project)
    assert result.code == 2, result.output
    assert "replace" in result.stdout and "only adds columns" in result.stdout
    assert "+select o.id, o.amount, c.name, o.status" in result.stdout
    assert (project / "plan.json").is_file()

    result = run_cli("apply", "plan.json", cwd=project)
    assert result.code == 0, result.output
    assert "Apply complete! 0 created, 1 replaced" in result.stdout
    assert _rows(project, "select status from orders where id = 103") == [["returned"]]

    # Rollback: previous data back, no recompute; asks first on a terminal.
    result = run_cli_tty("rollback", cwd=project, answer="yes")
    assert result.code == 0, result.output
    assert "Rollback complete" in result.stdout
    assert _rows(project, "select * from orders order by id") == EXPECTED_ORDERS

    result = run_cli("state", "history", cwd=project)
    assert result.code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert len(lines) == 3
    assert "8 create" in lines[0] and "1 replace" in lines[1] and "rollback to 1" in lines[2]

    history = json.loads(run_cli("state", "history", "--json", cwd=project).stdout)
    assert [h["serial"] for h in history] == [1, 2, 3]
    assert history[2]["event"]["operation"] == "rollback"


def test_apply_without_terminal_refuses(demo: Path) -> None:
    result = run_cli("apply", cwd=demo)
    assert result.code == 1
    assert "no terminal" in result.stderr and "--auto-approve" in result.stderr
    assert not (demo / ".faborite/state/dev").exists() or not list((demo / ".faborite/state/dev").glob("serial-*"))


def test_apply_answer_no_changes_nothing(demo: Path) -> None:
    result = run_cli_tty("apply", cwd=demo, answer="no")
    assert result.code == 1
    assert "cancelled" in result.stdout
    assert run_cli("state", "history", "--json", cwd=demo).stdout.strip() == "[]"


@pytest.mark.parametrize("command", [["rollback"], ["gc", "--keep", "1"]])
def test_data_changing_commands_refuse_without_terminal(demo: Path, command: list[str]) -> None:
    assert run_cli("apply", "--auto-approve", cwd=demo).code == 0
    orders = demo / "models/marts/orders.sql"
    orders.write_text(orders.read_text().replace("c.name", "c.name, o.status"))
    assert run_cli("apply", "--auto-approve", cwd=demo).code == 0
    result = run_cli(*command, cwd=demo)
    assert result.code == 1 and "--auto-approve" in result.stderr, result.output


def test_plan_json_and_show(demo: Path) -> None:
    result = run_cli("plan", "--json", cwd=demo)
    assert result.code == 0, result.output
    data = json.loads(result.stdout)
    assert data["format_version"] == "1.5" and data["applyable"] is True
    actions = {c["name"]: c["actions"] for c in data["resource_changes"]}
    assert actions["orders"] == ["create"]
    assert run_cli("plan", "--out", "p.json", cwd=demo).code == 0
    shown = json.loads(run_cli("show", "p.json", "--json", cwd=demo).stdout)
    assert shown["summary"]["create"] == 8 and shown["manifest_hash"] == data["manifest_hash"]


def test_query_outputs(demo: Path) -> None:
    assert run_cli("apply", "--auto-approve", cwd=demo).code == 0
    csv = run_cli("query", "select id, name from stg_customers order by id limit 2", "--csv", cwd=demo)
    assert csv.code == 0 and csv.stdout.splitlines()[0].replace('"', "") == "id,name"
    table = run_cli("query", "select count(*) as n from orders", cwd=demo)
    assert table.code == 0 and "8" in table.stdout
    refused = run_cli("query", "create table x as select 1", cwd=demo)
    assert refused.code == 1 and "Traceback" not in refused.output


def test_schema_prints_json_schema(demo: Path) -> None:
    result = run_cli("schema", cwd=demo)
    schema = json.loads(result.stdout)
    assert result.code == 0 and schema["title"] == "faborite.yml" and schema["additionalProperties"] is False
