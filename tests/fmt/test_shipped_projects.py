"""The example projects are formatted: `faborite fmt --check` passes on each.

project_template/ is not: tests, dialect golden files and docs quote its SQL as
written (see docs/commands/fmt.md).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from faborite.api import Workspace
from faborite.dialects import get_dialect
from faborite.fmt import format_model_text

EXAMPLES = sorted(p.parent for p in (Path(__file__).parents[2] / "examples").glob("*/faborite.yml"))
OFFLINE = [p for p in EXAMPLES if not (p / ".needs-service").exists()]


@pytest.mark.parametrize("example", OFFLINE, ids=[p.name for p in OFFLINE])
def test_example_passes_fmt_check(example: Path, tmp_path: Path) -> None:
    project = tmp_path / example.name
    shutil.copytree(example, project, ignore=shutil.ignore_patterns(".faborite"))
    ws = Workspace(root=project)
    ws.compile(write_manifest=False, refresh=True)  # syncs: read the (local) sources once
    report = Workspace(root=project).format(write=False)
    assert not report.needs_formatting, [f.path for f in report.files if f.status == "formatted"]
    assert {f.status for f in report.files} == {"unchanged"}


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_model_formats_to_itself(example: Path) -> None:
    # Examples needing a service cannot compile here; their text must still be canonical.
    project = Workspace(root=example).project
    dialect = get_dialect(project.config.dialect).sqlglot_dialect
    for model in project.models:
        outcome = format_model_text(model.text, dialect, path=model.path)
        path = model.path
        assert outcome.status == "unchanged", (path, outcome.reason)
