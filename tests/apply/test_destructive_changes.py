"""Destructive changes (relations deleted, published columns dropped or retyped): the plan shows
them in their own section and ``apply`` refuses them, naming node and loss, without ``--allow-destructive``."""

from __future__ import annotations

from pathlib import Path

from tests.apply.helpers import edit, published, workspace
from tests.cli.conftest import run_in_process


def _faborite(capsys, demo: Path, *args: str):
    return run_in_process(capsys, "--no-color", "--project-dir", str(demo), *args)


def test_a_dropped_column_is_refused_then_allowed(capsys, demo: Path) -> None:
    assert _faborite(capsys, demo, "apply", "--auto-approve").code == 0
    before = published(demo)
    edit(demo / "models/marts/daily_revenue.sql", "    count(*) as orders,\n", "")

    plan = _faborite(capsys, demo, "plan")
    assert "Destructive changes" in plan.out and "daily_revenue: column orders dropped" in plan.out

    refused = _faborite(capsys, demo, "apply", "--auto-approve")
    assert refused.code == 1
    assert "refusing destructive changes without --allow-destructive" in refused.err
    assert "daily_revenue: column orders dropped" in refused.err
    assert published(demo) == before and workspace(demo).state().serial == 1

    allowed = _faborite(capsys, demo, "apply", "--auto-approve", "--allow-destructive")
    assert allowed.code == 0, allowed.output
    assert len(published(demo)["main.daily_revenue"][0]) == 2


def test_a_retyped_column_is_found_after_building_and_nothing_is_published(capsys, demo: Path) -> None:
    assert _faborite(capsys, demo, "apply", "--auto-approve").code == 0
    before = published(demo)
    # Same column names: only the built table shows the new type.
    edit(demo / "models/marts/orders.sql", "select o.id, o.amount", "select cast(o.id as varchar) as id, o.amount")
    assert not workspace(demo).plan().destructive_changes()

    refused = _faborite(capsys, demo, "apply", "--auto-approve")
    assert refused.code == 1
    assert "found after building" in refused.err and "orders: column id retyped" in refused.err
    assert published(demo) == before and workspace(demo).state().serial == 1

    assert _faborite(capsys, demo, "apply", "--auto-approve", "--allow-destructive").code == 0
    assert {type(row[0]) for row in published(demo)["main.orders"]} == {str}


def test_a_saved_plan_deleting_a_model_applies_only_with_the_flag(capsys, demo: Path) -> None:
    assert _faborite(capsys, demo, "apply", "--auto-approve").code == 0
    (demo / "models/marts/customer_segments.sql").unlink()
    plan_file = str(demo / "p.json")
    assert _faborite(capsys, demo, "plan", "-out", plan_file).code == 0

    refused = _faborite(capsys, demo, "apply", plan_file)
    assert refused.code == 1 and "customer_segments: relation main.customer_segments deleted" in refused.err
    assert "main.customer_segments" in published(demo)

    assert _faborite(capsys, demo, "apply", plan_file, "--allow-destructive").code == 0
    assert "main.customer_segments" not in published(demo)


def test_adding_columns_or_rewriting_rows_is_not_destructive(capsys, demo: Path) -> None:
    assert _faborite(capsys, demo, "apply", "--auto-approve").code == 0
    edit(demo / "models/marts/daily_revenue.sql", "sum(amount) as revenue", "sum(amount) * 2 as revenue, 1 as one")
    assert _faborite(capsys, demo, "apply", "--auto-approve").code == 0
