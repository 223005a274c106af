"""Every example project compiles, applies, and then plans no changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from faborite.api import Workspace

ALL = sorted(p.parent for p in (Path(__file__).parent.parent / "examples").glob("*/faborite.yml"))
#: Examples that need a real service (a Fabric workspace) say so in a `.needs-service` file.
EXAMPLES = [p for p in ALL if not (p / ".needs-service").exists()]
SERVICE_EXAMPLES = [p for p in ALL if (p / ".needs-service").exists()]


@pytest.mark.parametrize("example", SERVICE_EXAMPLES, ids=[p.name for p in SERVICE_EXAMPLES])
def test_service_example_loads(example: Path) -> None:
    """Without the service it cannot plan, but every file must load and validate."""
    project = Workspace(root=example).project
    assert project.syncs and project.sync_sources


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_applies_cleanly(example: Path, tmp_path: Path) -> None:
    project = tmp_path / example.name
    shutil.copytree(example, project, ignore=shutil.ignore_patterns(".faborite"))
    ws = Workspace(root=project)
    ctx = ws.apply(ws.plan())
    assert ctx.new_state is not None and ctx.new_state.serial == 1
    assert not Workspace(root=project).plan().has_changes


def test_there_are_examples() -> None:
    assert EXAMPLES
