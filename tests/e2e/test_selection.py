"""Selection through the real CLI: partial plans say so, defer the rest, never delete, and converge.

The guide's commands run as child processes, as a user runs them; the other cases call the same
entry point in this process (tests/conftest.py's run_cli_in_process): they check what commands
print and return, and each child would cost ~0.5 s of start-up alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from faborite.api import Workspace
from tests.conftest import run_cli, run_cli_in_process

MARTS = ("customers", "daily_revenue", "orders", "customer_segments")


def _ok(*args: str, cwd: Path, run=run_cli_in_process):
    result = run(*args, cwd=cwd)
    assert result.code == 0, result.output
    return result


def _rows(project: Path, relation: str) -> list:
    rows = json.loads(_ok("query", f"select * from {relation}", "--json", cwd=project).stdout)
    return sorted(tuple(map(str, row.values())) for row in rows)


def test_a_partial_apply_defers_the_rest_and_a_full_apply_converges(demo: Path, tmp_path: Path):
    result = _ok("plan", "-s", "+customers", cwd=demo)
    assert "Partial plan (-s +customers): 5 of 8 nodes selected" in result.stdout
    assert "Plan: 5 to create" in result.stdout and "model orders  create" not in result.stdout

    refused = run_cli_in_process("plan", "-s", "+customers", "--exclude", "raw_orders", cwd=demo)
    assert refused.code == 1 and "its parent raw_orders is not, and it was never applied" in refused.stderr
    assert "Traceback" not in refused.output and "-s +stg_orders" in refused.stderr

    _ok("apply", "-s", "+customers", "--auto-approve", cwd=demo)
    state = Workspace.open(demo).state()
    assert {n.split(".")[1] for n in state.nodes} == {"raw_customers", "raw_orders", "stg_customers",
                                                       "stg_orders", "customers"}

    # Edit a parent, apply only it: the children keep their versions until selected (or a full apply).
    stg = demo / "models" / "staging" / "stg_orders.sql"
    stg.write_text(stg.read_text().replace("where ", "where id <> 105 and "))
    _ok("apply", "-s", "stg_orders", "--auto-approve", cwd=demo)
    assert Workspace.open(demo).state().nodes["model.customers"].version == state.nodes["model.customers"].version

    full = _ok("plan", "--json", cwd=demo)
    data = json.loads(full.stdout)
    assert data["selection"] is None
    assert {c["name"] for c in data["resource_changes"] if c["action"] != "no-op"} == set(MARTS)
    _ok("apply", "--auto-approve", cwd=demo)
    assert "No changes." in _ok("plan", cwd=demo).stdout

    # The same project applied whole in one go holds the same rows.
    fresh = tmp_path / "fresh"
    shutil.copytree(demo, fresh, ignore=shutil.ignore_patterns(".faborite", "*.duckdb*", "target"))
    _ok("apply", "--auto-approve", cwd=fresh)
    for mart in MARTS:
        assert _rows(demo, f"main.{mart}") == _rows(fresh, f"main.{mart}"), mart


def test_a_partial_plan_never_deletes_and_a_saved_one_keeps_its_selection(demo: Path):
    _ok("apply", "--auto-approve", cwd=demo)
    (demo / "models" / "marts" / "customer_segments.sql").unlink()
    partial = _ok("plan", "-s", "orders", cwd=demo)
    assert "No changes in the selected nodes." in partial.stdout and "customer_segments" not in partial.stdout

    orders = demo / "models" / "marts" / "orders.sql"
    orders.write_text(orders.read_text().replace("select", "select 1 as flag,", 1))
    _ok("plan", "-s", "state:modified", "-out", "partial.plan", cwd=demo)
    shown = json.loads(_ok("show", "partial.plan", "--json", cwd=demo).stdout)
    assert shown["selection"] == {"label": "-s state:modified", "nodes": ["model.orders"]}
    refused = run_cli_in_process("apply", "partial.plan", "-s", "customers", cwd=demo)
    assert refused.code == 1 and "cannot be used with a saved plan" in refused.stderr
    _ok("apply", "partial.plan", cwd=demo)
    state = Workspace.open(demo).state()
    assert "model.customer_segments" in state.nodes  # unselected: kept as recorded, not deleted
    full = _ok("plan", cwd=demo)
    assert "- model customer_segments" in full.stdout and "Plan: 0 to create, 0 to replace, 0 to update, 1 to delete." in full.stdout


def test_the_selection_guide_runs_as_written(tmp_path: Path):
    example = Path(__file__).parents[2] / "examples" / "selection"
    project = tmp_path / "selection"
    shutil.copytree(example, project, ignore=shutil.ignore_patterns(".faborite"))
    picked = json.loads(_ok("validate", "-s", "+daily_events", "--json", cwd=project, run=run_cli).stdout)["selected"]
    assert picked == ["seed.raw_events", "model.stg_events", "model.daily_events"]
    _ok("apply", "-s", "+daily_events", "--auto-approve", cwd=project, run=run_cli)
    rest = _ok("plan", cwd=project, run=run_cli).stdout
    assert "+ model user_totals" in rest and "Plan: 1 to create, 0 to replace, 0 to update, 0 to delete." in rest
