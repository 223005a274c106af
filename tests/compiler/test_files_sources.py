"""Files sources: paths outside the project, globs matching nothing, checks on sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from faborite.api import Workspace
from faborite.errors import CompileError


def _project(root: Path, path: str, extra: str = "") -> Path:
    (root / "models").mkdir(parents=True)
    (root / "sources").mkdir()
    (root / "faborite.yml").write_text("name: files\nmodels: {+materialized: table}\n")
    (root / "sources/raw.yml").write_text(
        f"sources:\n  - name: raw\n    type: files\n    tables:\n      - name: people\n        path: {path}\n{extra}")
    (root / "models/people.sql").write_text("select * from {{ source('raw', 'people') }}\n")
    return root


def test_absolute_path_outside_the_project(tmp_path: Path) -> None:
    data = tmp_path / "elsewhere/people.csv"
    data.parent.mkdir()
    data.write_text("id,name\n1,a\n2,b\n")
    root = _project(tmp_path / "p", str(data))
    ws = Workspace(root=root)
    ctx = ws.apply(ws.plan())
    assert ctx.new_state.nodes["model.people"].row_count == 2


def test_glob_matching_no_files_is_a_compile_error(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", "data/nope*.parquet")
    with pytest.raises(CompileError) as info:
        Workspace(root=root).compile()
    assert "matches no files" in info.value.message
    assert (info.value.file, info.value.line) == ("sources/raw.yml", 2)


def test_checks_on_source_columns_are_refused(tmp_path: Path) -> None:
    (tmp_path / "p/data").mkdir(parents=True)
    (tmp_path / "p/data/people.csv").write_text("id\n1\n")
    root = _project(tmp_path / "p", "data/people.csv",
                    "        columns:\n          - name: id\n            checks: [unique]\n")
    with pytest.raises(CompileError) as info:
        Workspace(root=root).compile()
    assert "column checks" in info.value.message and "staging model" in (info.value.hint or "")
