"""docs/api.md stays true: its example runs, and its reference is the docstrings of faborite.api."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from faborite.api import init_project
from tests import api_reference

MARKER = "<!-- example: run by tests/test_api_docs.py -->"


def _example() -> str:
    text = api_reference.DOC.read_text(encoding="utf-8")
    match = re.search(re.escape(MARKER) + r"\n```python\n(.*?)\n```", text, re.S)
    assert match, f"docs/api.md has no python block after {MARKER}"
    return match.group(1)


def test_the_example_runs_in_a_fresh_project(tmp_path: Path) -> None:
    project = init_project(tmp_path / "demo")
    script = tmp_path / "example.py"
    script.write_text(_example(), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], cwd=project, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "NO_COLOR": "1"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "built 8 nodes; state serial 1" in proc.stdout
    assert "rolled back; serial 3" in proc.stdout
    assert "refused: serial 99 is not earlier" in proc.stdout


def test_the_reference_is_generated_from_the_docstrings() -> None:
    assert api_reference.current() == api_reference.render(), (
        "docs/api.md's reference is stale: run `python -m tests.api_reference`")


@pytest.mark.parametrize("name, member", api_reference.public_members(), ids=lambda x: x if isinstance(x, str) else "")
def test_every_public_member_has_a_real_docstring(name: str, member: object) -> None:
    function = getattr(member, "__func__", member)
    doc = inspect.getdoc(function) or ""
    assert doc, f"{name} has no docstring"
    if isinstance(member, property) or hasattr(member, "attrname") or not callable(function):
        return
    takes = [p for p in inspect.signature(function).parameters if p not in ("self", "cls")]
    if takes:
        assert "Args:" in doc, f"{name}'s docstring does not describe its arguments"
        for parameter in takes:
            assert re.search(rf"^\s+{parameter}:", doc, re.M), f"{name}'s docstring does not describe {parameter!r}"
    returns = inspect.signature(function).return_annotation
    if returns not in (None, "None", inspect.Signature.empty):
        assert "Returns:" in doc or len(doc.splitlines()) == 1, f"{name}'s docstring does not say what it returns"
