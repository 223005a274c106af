"""Write-audit-publish: a failure anywhere publishes nothing; state is written last."""

from __future__ import annotations

from pathlib import Path

import pytest

from faborite.errors import ApplyError, LockError, PlanError
from faborite.plan.planfile import load_plan, save_plan
from tests.apply.helpers import apply, edit, published, workspace


def test_failing_check_mid_dag_changes_nothing(demo: Path) -> None:
    apply(demo)
    before_data = published(demo)
    before_state = workspace(demo).state()
    # stg_orders is mid-DAG: change its logic (rebuilding everything below it) and break a check on it.
    edit(demo / "models/staging/stg_orders.sql", "    status,\n", "    case when id = 105 then 'lost' else status end as status,\n")
    with pytest.raises(ApplyError) as info:
        apply(demo)
    assert "stg_orders: accepted_values(status) failed (1 failing row)" in info.value.message
    assert "nothing was published" in info.value.message
    assert info.value.file == "models/staging/schema.yml"
    assert published(demo) == before_data
    after_state = workspace(demo).state()
    assert after_state == before_state
    assert workspace(demo).state_backend.lock_info() is None


def test_failing_build_publishes_nothing(demo: Path) -> None:
    apply(demo)
    before_data = published(demo)
    edit(demo / "models/marts/orders.sql", "select o.id, o.amount, c.name", "select o.id, o.amount, c.name, o.no_such_column")
    edit(demo / "models/marts/daily_revenue.sql", "count(*) as orders", "count(*) as n_orders")
    with pytest.raises(ApplyError) as info:
        apply(demo)
    assert "orders" in info.value.message and "no_such_column" in info.value.message
    assert info.value.file == "models/marts/orders.sql"
    assert published(demo) == before_data
    assert workspace(demo).state().serial == 1


def test_warn_severity_check_does_not_block(demo: Path) -> None:
    edit(demo / "models/marts/schema.yml", "    checks:\n      - name: amounts_are_positive\n        sql: select * from {{ this }} where amount <= 0",
         "    checks:\n      - name: few_orders\n        severity: warn\n        sql: select * from {{ this }} where amount > 0")
    _, ctx = apply(demo)
    assert ctx.warnings == ["orders: few_orders failed (8 failing rows)"]
    assert ctx.new_state.serial == 1


def test_stale_plan_file_is_refused(demo: Path) -> None:
    apply(demo)
    edit(demo / "models/marts/orders.sql", "c.name", "c.name, o.status")
    save_plan(workspace(demo).plan(record_inputs=True), demo / "plan.json")
    edit(demo / "models/marts/daily_revenue.sql", "count(*) as orders", "count(*) as n")
    apply(demo)  # someone else applies in between
    stale = load_plan(demo / "plan.json")
    with pytest.raises(PlanError) as info:
        workspace(demo).apply(stale)
    assert "state changed since this plan was made" in info.value.message
    assert "plan serial 1, state serial 2" in info.value.message


def test_plan_from_another_lineage_is_refused(demo: Path, tmp_path: Path) -> None:
    import shutil

    other = tmp_path / "other"
    shutil.copytree(demo, other)
    apply(demo)
    apply(other)
    edit(other / "models/marts/orders.sql", "c.name", "c.name, o.status")
    foreign = workspace(other).plan()
    with pytest.raises(PlanError) as info:
        workspace(demo).apply(foreign)
    assert "another state" in info.value.message


def test_saved_plan_applies_what_was_reviewed(demo: Path) -> None:
    apply(demo)
    edit(demo / "models/marts/orders.sql", "c.name", "c.name, o.status")
    save_plan(workspace(demo).plan(record_inputs=True), demo / "plan.json")
    # Files edited after planning: what would be deployed is not what was reviewed.
    edit(demo / "models/marts/orders.sql", "c.name, o.status", "c.name, o.status, o.ordered_at")
    with pytest.raises(PlanError, match="project files changed since this plan was made: models/marts/orders.sql"):
        workspace(demo).apply(load_plan(demo / "plan.json"))
    edit(demo / "models/marts/orders.sql", "c.name, o.status, o.ordered_at", "c.name, o.status")
    ws = workspace(demo)
    ws.apply(load_plan(demo / "plan.json"))
    columns = [c.name for c in ws.state().nodes["model.orders"].columns]
    assert columns == ["id", "amount", "name", "status"]


def test_second_apply_while_locked_fails_at_once_naming_the_holder(demo: Path) -> None:
    holder = workspace(demo).state_backend.lock("apply")
    try:
        with pytest.raises(LockError) as info:
            apply(demo)
        assert holder.id in str(info.value)
        assert "apply by" in info.value.message and str(holder.pid) in info.value.message
        assert "force-unlock" in (info.value.hint or "")
    finally:
        workspace(demo).force_unlock(holder.id)
    apply(demo)


def test_seed_changed_after_plan_is_refused(demo: Path) -> None:
    plan = workspace(demo).plan()
    edit(demo / "seeds/raw_orders.csv", "108,3,2024-04-30,completed,990", "108,3,2024-04-30,completed,991")
    with pytest.raises(ApplyError) as info:
        workspace(demo).apply(plan, allow_destructive=True)
    assert "changed since the plan was made" in info.value.message
    assert workspace(demo).state() is None
