"""The state never lies: drift is found and repaired; an apply killed between publish and
record is resolved by the next command.

Each scenario once made ``plan`` say "No changes." while the target held
something else (a deleted database file, a dropped table, a view published by
an apply whose state was never recorded).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from faborite.apply.context import ApplyContext
from faborite.apply.runner import STAGES
from faborite.plan.model import Action
from tests.apply.helpers import apply, edit, published, workspace

DB = ".faborite/dev.duckdb"


def _sql(root: Path, *statements: str) -> None:
    with duckdb.connect(str(root / DB)) as con:
        for statement in statements:
            con.execute(statement)


def _fresh_build(root: Path, tmp_path: Path, name: str) -> dict:
    """What a from-scratch apply of ``root``'s files publishes."""
    copy = tmp_path / name
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".faborite"))
    apply(copy)
    return published(copy)


# -- drift ------------------------------------------------------------------------------


def test_deleted_database_is_drift_and_apply_rebuilds_it(demo: Path, tmp_path: Path) -> None:
    apply(demo)
    expected = published(demo)
    (demo / DB).unlink()
    plan = workspace(demo).plan()
    assert plan.has_changes and plan.refreshed
    assert {d.kind for d in plan.drift} == {"version_missing"}
    assert len(plan.drift) == len(workspace(demo).state().nodes)
    assert all(c.rebuild for c in plan.visible_changes())
    assert not (demo / DB).exists(), "plan must not create the database"
    workspace(demo).apply(plan)
    assert published(demo) == expected
    assert not workspace(demo).plan().has_changes


def test_dropped_physical_table_is_rebuilt_alone(demo: Path) -> None:
    apply(demo)
    expected = published(demo)
    physical = workspace(demo).state().nodes["model.customers"].physical
    schema, name = physical.split(".")
    _sql(demo, f'DROP TABLE "{schema}"."{name}"')
    plan = workspace(demo).plan()
    assert [d.node_id for d in plan.drift] == ["model.customers"]
    changed = {c.node_id: c for c in plan.visible_changes()}
    assert list(changed) == ["model.customers"]
    assert changed["model.customers"].rebuild
    assert any(r.code == "drift" for r in changed["model.customers"].reasons)
    workspace(demo).apply(plan)
    assert published(demo) == expected
    assert not workspace(demo).plan().has_changes


def test_dropped_view_is_republished_without_a_rebuild(demo: Path) -> None:
    apply(demo)
    expected = published(demo)
    _sql(demo, 'DROP VIEW "main"."orders"')
    plan = workspace(demo).plan()
    [drift] = plan.drift
    assert (drift.node_id, drift.kind) == ("model.orders", "unpublished")
    [change] = plan.visible_changes()
    assert change.action is Action.REPLACE and not change.rebuild
    _, ctx = None, workspace(demo).apply(plan)
    assert ctx.built == {}
    assert published(demo) == expected
    assert not workspace(demo).plan().has_changes


def test_view_repointed_or_replaced_by_hand_is_drift(demo: Path) -> None:
    apply(demo)
    expected = published(demo)
    customers = workspace(demo).state().nodes["model.customers"].physical
    schema, name = customers.split(".")
    _sql(demo, f'CREATE OR REPLACE VIEW "main"."orders" AS SELECT * FROM "{schema}"."{name}"',
         'CREATE OR REPLACE VIEW "main"."daily_revenue" AS SELECT 1 AS x')
    drift = {d.node_id: d.kind for d in workspace(demo).plan().drift}
    assert drift == {"model.orders": "repointed", "model.daily_revenue": "replaced"}
    apply(demo)
    assert published(demo) == expected
    assert not workspace(demo).plan().has_changes


def test_refresh_false_does_not_look_at_the_target(demo: Path) -> None:
    apply(demo)
    (demo / DB).unlink()
    plan = workspace(demo).plan(refresh=False)
    assert not plan.has_changes and not plan.refreshed and plan.drift == ()


# -- a kill between publish and record ----------------------------------------------------


def _apply_until(root: Path, last_stage: str) -> None:
    """Run apply's stages up to and including ``last_stage``, then stop as a killed process
    would (tests/crash kills real processes, lock and all)."""
    ws = workspace(root)
    plan = ws.plan()
    connection = ws.connect()
    try:
        ctx = ApplyContext(plan=plan, state=ws.state(), connection=connection, project_root=root,
                           state_writer=ws.state_backend)
        for name, _, stage in STAGES:
            stage(ctx)
            if name == last_stage:
                return
    finally:
        connection.close()


def test_kill_after_publish_is_adopted_by_the_next_command(demo: Path, tmp_path: Path) -> None:
    apply(demo)
    before = published(demo)
    orders = demo / "models/marts/orders.sql"
    original = orders.read_text()
    edit(orders, "c.name", "c.name, o.status")
    _apply_until(demo, "publish")
    after = published(demo)
    assert after != before
    assert workspace(demo).state().serial == 1  # not recorded: the state would lie
    # plan (read-only) already sees the published data as the state.
    plan = workspace(demo).plan()
    assert not plan.has_changes and plan.serial == 2
    assert workspace(demo).state().serial == 1, "plan must not write the state"
    # The scenario from the issue: roll back and revert the files; the data must follow.
    rplan = workspace(demo).plan_rollback()
    assert (rplan.current.serial, rplan.goal.serial) == (2, 1)
    workspace(demo).rollback(rplan)
    orders.write_text(original)
    assert not workspace(demo).plan().has_changes
    assert published(demo) == before == _fresh_build(demo, tmp_path, "fresh")


def test_kill_before_publish_is_discarded(demo: Path) -> None:
    apply(demo)
    before = published(demo)
    edit(demo / "models/marts/orders.sql", "c.name", "c.name, o.status")
    _apply_until(demo, "journal")
    assert workspace(demo).state_backend.read_intent() is not None
    assert published(demo) == before
    plan = workspace(demo).plan()
    assert plan.has_changes and plan.serial == 1  # the edit is still to be applied
    workspace(demo).apply(plan)
    assert workspace(demo).state_backend.read_intent() is None
    assert workspace(demo).state().serial == 2
    assert not workspace(demo).plan().has_changes


def test_kill_after_record_leaves_a_stale_intent_that_is_dropped(demo: Path) -> None:
    apply(demo)
    edit(demo / "models/marts/orders.sql", "c.name", "c.name, o.status")
    ws = workspace(demo)
    _apply_until(demo, "publish")
    intent = ws.state_backend.read_intent()
    ws.state_backend.write(intent, expected_serial=1)  # record ran; clearing the intent did not
    assert not workspace(demo).plan().has_changes
    assert workspace(demo).recover().serial == 2
    assert workspace(demo).state_backend.read_intent() is None


@pytest.mark.parametrize("last_stage", ["journal", "publish"])
def test_gc_after_a_kill_never_drops_what_is_published(demo: Path, last_stage: str) -> None:
    apply(demo)
    edit(demo / "models/marts/orders.sql", "c.name", "c.name, o.status")
    _apply_until(demo, last_stage)
    published_before = published(demo)
    workspace(demo).gc(keep=1)
    assert published(demo) == published_before
    assert not workspace(demo).plan().has_changes or last_stage == "journal"


def test_in_memory_target_is_never_called_unchanged(demo: Path) -> None:
    config = demo / "faborite.yml"
    config.write_text(config.read_text().replace("path: .faborite/dev.duckdb", 'path: ":memory:"'))
    apply(demo)
    plan = workspace(demo).plan()  # the data died with the process that built it
    assert plan.has_changes and len(plan.drift) == len(workspace(demo).state().nodes)
