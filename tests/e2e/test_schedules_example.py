"""examples/schedules through the real CLI, as docs/guides/schedules.md runs it: --due with a fixed
clock builds exactly the due nodes and what reads them; the guide's commands are the ones tested."""

from __future__ import annotations

import shutil
from pathlib import Path

from faborite.api import Workspace
from tests.conftest import run_cli

EXAMPLE = Path(__file__).parent.parent.parent / "examples/schedules"
GUIDE = Path(__file__).parent.parent.parent / "docs/guides/schedules.md"


def _apply(project: Path, *args: str):
    result = run_cli("apply", "--auto-approve", *args, cwd=project)
    assert result.code == 0, result.output
    return result


def _physicals(project: Path) -> dict[str, str]:
    state = Workspace(root=project).state()
    return {node_id.split(".", 1)[1]: node.physical for node_id, node in state.nodes.items()}


def test_the_guides_due_runs_pick_exactly_the_due_nodes(tmp_path: Path) -> None:
    project = tmp_path / "schedules"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".faborite"))
    _apply(project, "--now", "2026-01-01T06:10:00Z")

    def rebuilt_by(*args: str) -> set[str]:
        before = _physicals(project)
        _apply(project, *args)
        after = _physicals(project)
        return {name for name in after if after[name] != before.get(name)}

    assert rebuilt_by("--due", "--now", "2026-01-01T06:59:00Z") == set()
    assert rebuilt_by("--due", "--now", "2026-01-01T07:00:00Z") == {"hourly_temperatures", "daily_report"}
    result = run_cli("plan", cwd=project)  # nothing else changed: the clock is not part of any version
    assert "No changes." in result.stdout
    assert rebuilt_by("--due", "--now", "2026-01-02T06:00:00Z") == {"hourly_temperatures", "daily_report"}
    assert rebuilt_by("--due", "--now", "2026-01-02T06:30:00Z") == set()


def test_the_guide_shows_the_commands_this_test_runs() -> None:
    guide = GUIDE.read_text()
    for command in ("faborite apply --auto-approve --due --now 2026-01-01T07:00:00Z",
                    "0 * * * *", "schedule:", "BashOperator", "faborite apply --auto-approve --due"):
        assert command in guide, command
