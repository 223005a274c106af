"""A saved plan records the state and the project files it was made from; ``apply PLAN``
refuses it once either moved, saying which (and naming the files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from faborite.errors import PlanError
from faborite.plan.planfile import PLANFILE_FORMAT_VERSION, load_plan, save_plan
from tests.apply.helpers import apply, edit, workspace


def _saved(root: Path, name: str = "p.json") -> Path:
    path = root.parent / name
    save_plan(workspace(root).plan(record_inputs=True), path)
    return path


def _refusal(root: Path, path: Path) -> str:
    with pytest.raises(PlanError) as refused:
        workspace(root).check_saved_plan(load_plan(path))
    return str(refused.value) + "\n" + (refused.value.hint or "")


def test_a_saved_plan_applies_while_nothing_moved(demo: Path) -> None:
    path = _saved(demo)
    plan = load_plan(path)
    assert plan.inputs is not None and "faborite.yml" in plan.inputs.files
    workspace(demo).check_saved_plan(plan)
    result = workspace(demo).apply(plan)
    assert result.new_state is not None and result.new_state.serial == 1


def test_edited_added_and_removed_files_are_named(demo: Path) -> None:
    path = _saved(demo)
    edit(demo / "models/marts/customers.sql", "as order_count", "as orders_placed")
    (demo / "models/marts/new_model.sql").write_text("select 1 as one\n")
    (demo / "seeds/raw_orders.csv").unlink()
    message = _refusal(demo, path)
    assert message.startswith("project files changed since this plan was made: models/marts/customers.sql, "
                              "models/marts/new_model.sql, seeds/raw_orders.csv\n")
    assert "the files being deployed are not the ones the plan was made from" in message
    assert "state changed" not in message


def test_many_changed_files_are_counted(demo: Path) -> None:
    path = _saved(demo)
    for i in range(8):
        (demo / f"models/marts/extra_{i}.sql").write_text(f"select {i} as n\n")
    assert "models/marts/extra_4.sql and 3 more\n" in _refusal(demo, path)


def test_a_comment_only_edit_is_still_a_change_of_files(demo: Path) -> None:
    # The plan would be the same, but the files deployed are not the ones reviewed.
    path = _saved(demo)
    edit(demo / "faborite.yml", "name:", "# reviewed\nname:")
    assert "project files changed since this plan was made: faborite.yml" in _refusal(demo, path)


def test_state_moved_and_files_changed_are_both_named(demo: Path) -> None:
    path = _saved(demo)
    apply(demo)
    edit(demo / "models/staging/stg_orders.sql", "select", "select ")
    message = _refusal(demo, path)
    assert message.startswith("state changed since this plan was made (plan serial None, state serial 1); "
                              "and project files changed since this plan was made: models/staging/stg_orders.sql")
    assert "someone applied or rolled back in between; the files being deployed" in message


def test_files_outside_the_project_inputs_do_not_matter(demo: Path) -> None:
    path = _saved(demo)
    (demo / "README.md").write_text("notes\n")
    (demo / "models/marts/notes.txt").write_text("not a model\n")
    (demo / ".faborite" / "cache").mkdir(parents=True, exist_ok=True)
    (demo / ".faborite" / "cache" / "x.json").write_text("{}")
    workspace(demo).check_saved_plan(load_plan(path))


def test_an_older_plan_file_format_is_refused_clearly(demo: Path) -> None:
    path = _saved(demo)
    payload = json.loads(path.read_text())
    assert payload["format_version"] == PLANFILE_FORMAT_VERSION == 2
    payload["format_version"] = 1
    del payload["plan"]["inputs"]
    path.write_text(json.dumps(payload))
    with pytest.raises(PlanError, match="plan file format 1 is not supported by faborite .* \\(expected 2\\): it "
                                        "does not record the project files it was made from") as refused:
        load_plan(path)
    assert refused.value.hint == "make the plan again with this version of faborite"


def test_a_plan_without_recorded_files_is_not_saved(demo: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="records the project files"):
        save_plan(workspace(demo).plan(), tmp_path / "p.json")
