"""``moved:`` blocks: a rename with 0 builds (same data, old name dropped, state re-keyed, rollback
restores the old name), and one config error at faborite.yml:line for each misuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from faborite.errors import ConfigError
from tests.apply.helpers import published, workspace
from tests.cli.conftest import run_in_process


def _rename(demo: Path, old: str, new: str, moved: str) -> None:
    folder = demo / "models/marts"
    (folder / f"{old}.sql").rename(folder / f"{new}.sql")
    schema = folder / "schema.yml"
    schema.write_text(schema.read_text().replace(f"name: {old}\n", f"name: {new}\n"))
    with (demo / "faborite.yml").open("a") as f:
        f.write(moved)


def test_a_moved_rename_builds_nothing_and_rollback_restores_the_old_name(capsys, demo: Path) -> None:
    assert run_in_process(capsys, "--project-dir", str(demo), "apply", "--auto-approve").code == 0
    before = published(demo)
    old_physical = workspace(demo).state().nodes["model.customer_segments"].physical
    _rename(demo, "customer_segments", "segments", "moved:\n  - from: customer_segments\n    to: segments\n")

    plan = workspace(demo).plan()
    change = next(c for c in plan.changes if c.node_id == "model.segments")
    assert (change.moved_from, change.rebuild, change.kept_physical) == ("model.customer_segments", False, old_physical)
    assert not any(c.rebuild for c in plan.changes) and not plan.destructive_changes()
    shown = run_in_process(capsys, "--no-color", "--project-dir", str(demo), "plan")
    assert "moved from customer_segments (0 builds" in shown.out

    applied = run_in_process(capsys, "--no-color", "--project-dir", str(demo), "apply", "--auto-approve")
    assert applied.code == 0, applied.output
    after = published(demo)
    assert after["main.segments"] == before["main.customer_segments"] and "main.customer_segments" not in after
    state = workspace(demo).state()
    assert "model.customer_segments" not in state.nodes and state.nodes["model.segments"].physical == old_physical
    assert not workspace(demo).plan().has_changes  # the block stays harmlessly

    ws = workspace(demo)
    ws.rollback(ws.plan_rollback())
    assert published(demo) == before


@pytest.mark.parametrize(("moved", "message"), [
    ("moved:\n  - from: customers\n    to: orders\n", "from 'customers' is still in the project"),
    ("moved:\n  - from: old\n    to: ordres\n", "to 'ordres' is not a model or seed"),
    ("moved:\n  - from: old\n    to: orders\n  - from: orders\n    to: customers\n", "blocks chain: old -> orders -> customers"),
    ("moved:\n  - from: a\n    to: b\n  - from: b\n    to: a\n", "blocks chain: a -> b -> a"),
])
def test_a_bad_moved_block_is_one_config_error_at_its_line(demo: Path, moved: str, message: str) -> None:
    text = (demo / "faborite.yml").read_text()
    (demo / "faborite.yml").write_text(text + moved)
    with pytest.raises(ConfigError) as info:
        workspace(demo).plan(refresh=False)
    assert message in info.value.message
    assert (info.value.file, info.value.line) == ("faborite.yml", text.count("\n") + 2)
