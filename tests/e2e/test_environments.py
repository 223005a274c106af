"""Environments through the real CLI on DuckDB: a dev environment made from prod builds nothing, an
edit in dev rebuilds only what it changes, promote builds nothing, and gc never drops what another
environment publishes.

The first case runs every command as a child process, as a user does; the others call the same
entry point in this process (tests/conftest.py's run_cli_in_process): what they check is what the
commands print and return, and each child would cost ~0.5 s of start-up alone."""

from __future__ import annotations

import json
from pathlib import Path

from faborite.api import Workspace
from tests.conftest import run_cli, run_cli_in_process

DOWNSTREAM_OF_STG_ORDERS = {"stg_orders", "customers", "daily_revenue", "orders", "customer_segments"}


def _ok(*args: str, cwd: Path, run=run_cli_in_process):
    result = run(*args, cwd=cwd)
    assert result.code == 0, result.output
    return result


def _rows(project: Path, relation: str) -> list:
    rows = json.loads(_ok("query", f"select * from {relation} order by all", "--json", cwd=project).stdout)
    return [tuple(map(str, row.values())) for row in rows]


def _built(apply_output: str) -> set[str]:
    """The nodes an apply built (the progress prints one '✓ built NAME' line for each)."""
    return {line.split("built ", 1)[1].split()[0] for line in apply_output.splitlines() if "✓ built " in line}


def _edit_stg_orders(project: Path) -> None:
    stg = project / "models" / "staging" / "stg_orders.sql"
    stg.write_text(stg.read_text().replace("where ", "where id <> 105 and "))


def _dev_from_prod(demo: Path) -> None:
    _ok("apply", "--auto-approve", cwd=demo)
    _ok("apply", "--env", "dev", "--auto-approve", cwd=demo)


def test_a_new_environment_starts_from_prod_with_0_builds(demo: Path):
    _ok("apply", "--auto-approve", cwd=demo, run=run_cli)
    shown = _ok("plan", "--env", "dev", cwd=demo, run=run_cli).stdout
    assert "Environment dev (new: starts from prod serial 1)" in shown
    plan = json.loads(_ok("plan", "--env", "dev", "--json", cwd=demo, run=run_cli).stdout)
    assert plan["environment"] == {"name": "dev", "base_serial": 1}
    assert plan["serial"] is None  # dev has no state of its own yet
    assert {c["action"] for c in plan["resource_changes"]} == {"create"}
    assert not any(c["rebuild"] for c in plan["resource_changes"])
    assert {c["relation"].split(".")[0] for c in plan["resource_changes"]} == {"main__dev"}

    applied = _ok("apply", "--env", "dev", "--auto-approve", cwd=demo, run=run_cli)
    assert _built(applied.stdout) == set()
    assert "No changes." in _ok("plan", "--env", "dev", cwd=demo, run=run_cli).stdout
    assert "No changes." in _ok("plan", cwd=demo, run=run_cli).stdout
    prod, dev = Workspace.open(demo).state(), Workspace.open(demo, env="dev").state()
    assert {i: n.physical for i, n in dev.nodes.items()} == {i: n.physical for i, n in prod.nodes.items()}
    assert prod.serial == 1 and dev.serial == 1 and dev.lineage != prod.lineage
    assert (demo / ".faborite" / "state" / "dev@dev").is_dir()  # target dev, environment dev
    assert _rows(demo, "main__dev.orders") == _rows(demo, "main.orders")


def test_an_edit_in_dev_rebuilds_only_it_and_what_reads_it_and_leaves_prod_alone(demo: Path):
    _dev_from_prod(demo)
    before = _rows(demo, "main.orders")
    _edit_stg_orders(demo)
    plan = json.loads(_ok("plan", "--env", "dev", "--json", cwd=demo).stdout)
    assert plan["environment"] == {"name": "dev", "base_serial": None}
    assert {c["name"] for c in plan["resource_changes"] if c["rebuild"]} == DOWNSTREAM_OF_STG_ORDERS
    applied = _ok("apply", "--env", "dev", "--auto-approve", cwd=demo)
    assert _built(applied.stdout) == DOWNSTREAM_OF_STG_ORDERS
    assert "No changes." in _ok("plan", "--env", "dev", cwd=demo).stdout

    assert _rows(demo, "main.orders") == before  # prod untouched
    assert len(_rows(demo, "main__dev.orders")) == len(before) - 1
    # query --env reads dev's views by the names prod's queries use, qualified or not
    dev_rows = _rows(demo, "main__dev.orders")
    for name in ("main.orders", "orders"):
        shown = _ok("query", "--env", "dev", f"select * from {name} order by all", "--json", cwd=demo).stdout
        assert [tuple(map(str, row.values())) for row in json.loads(shown)] == dev_rows
    assert Workspace.open(demo).state().serial == 1
    assert "Plan: 0 to create, 5 to replace" in _ok("plan", cwd=demo).stdout  # prod still has the old files' data

    diff = json.loads(_ok("env", "diff", "prod", "dev", "--json", cwd=demo).stdout)
    assert {d["node"].split(".")[1] for d in diff["differ"]} == DOWNSTREAM_OF_STG_ORDERS
    assert diff["only_in_a"] == [] and diff["only_in_b"] == [] and diff["same"] == 3
    text = _ok("env", "diff", "prod", "dev", cwd=demo).stdout
    assert "5 differ, 0 only in prod, 0 only in dev, 3 the same." in text


def test_promote_dev_to_prod_builds_nothing_and_prod_then_returns_the_dev_data(demo: Path):
    _dev_from_prod(demo)
    _edit_stg_orders(demo)
    _ok("apply", "--env", "dev", "--auto-approve", cwd=demo)
    dev_rows = _rows(demo, "main__dev.orders")
    physical = {i: n.physical for i, n in Workspace.open(demo, env="dev").state().nodes.items()}

    promoted = _ok("env", "promote", "dev", "prod", "--auto-approve", cwd=demo)
    assert "0 builds, 5 view(s) to change" in promoted.stdout and "Promote complete! 0 built" in promoted.stdout
    assert _built(promoted.stdout) == set()
    assert _rows(demo, "main.orders") == dev_rows
    prod = Workspace.open(demo).state()
    assert {i: n.physical for i, n in prod.nodes.items()} == physical
    assert {n.relation.split(".")[0] for n in prod.nodes.values()} == {"main"}
    assert prod.event.operation == "promote" and prod.event.promoted_from == "dev" and prod.serial == 2
    assert "No changes." in _ok("plan", cwd=demo).stdout  # prod now matches the edited project
    assert json.loads(_ok("env", "diff", "prod", "dev", "--json", cwd=demo).stdout)["differ"] == []

    again = _ok("env", "promote", "dev", "prod", "--auto-approve", cwd=demo)
    assert "0 view(s) to change" in again.stdout

    listed = json.loads(_ok("env", "list", "--json", cwd=demo).stdout)
    assert [(e["name"], e["serial"], e["last_operation"], e["nodes"]) for e in listed] == [
        ("prod", 3, "promote", 8), ("dev", 2, "apply", 8)]


def test_env_delete_drops_the_views_and_the_next_plan_starts_from_prod_again(demo: Path):
    _dev_from_prod(demo)
    refused = run_cli_in_process("env", "delete", "prod", "--auto-approve", cwd=demo)
    assert refused.code == 1 and "'prod' is the default environment's name" in refused.stderr
    bad = run_cli_in_process("plan", "--env", "Dev-1", cwd=demo)
    assert bad.code == 1 and "invalid environment name 'Dev-1'" in bad.stderr and "Traceback" not in bad.output

    _ok("env", "delete", "dev", "--auto-approve", cwd=demo)
    gone = run_cli_in_process("query", "select * from main__dev.orders", cwd=demo)
    assert gone.code == 1
    assert _rows(demo, "main.orders")  # prod keeps its views
    listed = json.loads(_ok("env", "list", "--json", cwd=demo).stdout)
    assert [(e["name"], e["deleted"], e["nodes"]) for e in listed] == [("prod", False, 8), ("dev", True, 0)]
    again = run_cli_in_process("env", "delete", "dev", "--auto-approve", cwd=demo)
    assert again.code == 1 and "has nothing published" in again.stderr

    plan = json.loads(_ok("plan", "--env", "dev", "--json", cwd=demo).stdout)
    assert plan["environment"]["base_serial"] == 1 and plan["serial"] == 2  # its own history goes on
    applied = _ok("apply", "--env", "dev", "--auto-approve", cwd=demo)
    assert _built(applied.stdout) == set() and "state serial 3" in applied.stdout


def test_gc_in_one_environment_keeps_the_versions_another_publishes(demo: Path):
    _dev_from_prod(demo)
    _edit_stg_orders(demo)
    _ok("apply", "--env", "dev", "--auto-approve", cwd=demo)
    dev_rows = _rows(demo, "main__dev.orders")
    prod_rows = _rows(demo, "main.orders")
    # prod takes the edit too (reusing dev's versions), then another edit of its own: the versions
    # of the first edit are then used by no kept prod serial, only by dev.
    _ok("apply", "--auto-approve", cwd=demo)
    stg = demo / "models" / "staging" / "stg_orders.sql"
    stg.write_text(stg.read_text().replace("id <> 105 and ", "id <> 106 and "))
    _ok("apply", "--auto-approve", cwd=demo)
    dry = _ok("gc", "--keep", "1", "--dry-run", cwd=demo).stdout
    dev_physical = {n.physical for n in Workspace.open(demo, env="dev").state().nodes.values()}
    assert "dropping" in dry and not any(p in dry for p in dev_physical), dry
    _ok("gc", "--keep", "1", "--auto-approve", cwd=demo)
    assert _rows(demo, "main__dev.orders") == dev_rows
    # and gc in dev keeps what prod publishes
    _ok("gc", "--env", "dev", "--keep", "1", "--auto-approve", cwd=demo)
    assert _rows(demo, "main.orders") != prod_rows and len(_rows(demo, "main.orders")) == len(dev_rows)
    assert "No changes." in _ok("plan", cwd=demo).stdout
    assert "Changed outside faborite" not in _ok("plan", "--env", "dev", cwd=demo).stdout  # dev lost no version


def test_rollback_inside_an_environment_leaves_prod_alone(demo: Path):
    _dev_from_prod(demo)
    before = _rows(demo, "main.orders")
    _edit_stg_orders(demo)
    _ok("apply", "--env", "dev", "--auto-approve", cwd=demo)
    assert _rows(demo, "main__dev.orders") != before
    rolled = _ok("rollback", "--env", "dev", "--auto-approve", cwd=demo)
    assert "Rollback complete" in rolled.stdout
    assert _rows(demo, "main__dev.orders") == before == _rows(demo, "main.orders")
    assert Workspace.open(demo).state().serial == 1
    history = json.loads(_ok("state", "history", "--env", "dev", "--json", cwd=demo).stdout)
    assert [h["event"]["operation"] for h in history] == ["apply", "apply", "rollback"]


def test_a_saved_plan_applies_only_to_its_environment(demo: Path):
    _ok("apply", "--auto-approve", cwd=demo)
    _ok("plan", "--env", "dev", "-out", "dev.plan", cwd=demo)
    refused = run_cli_in_process("apply", "dev.plan", cwd=demo)
    assert refused.code == 1 and "made for environment 'dev', not the default environment" in refused.stderr
    assert "--env dev" in refused.stderr
    applied = _ok("apply", "dev.plan", "--env", "dev", cwd=demo)
    assert _built(applied.stdout) == set()
    assert "No changes." in _ok("plan", "--env", "dev", cwd=demo).stdout
