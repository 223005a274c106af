"""A sync source that cannot be opened or read is one located error, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from faborite.api import init_project
from tests.conftest import run_cli


@pytest.mark.parametrize("url, message", [
    ("sqlite:////nonexistent/dir/x.db", "reading source 'crm' failed: OperationalError"),
    ("faboritenosuchdriver://localhost/db", "opening source 'crm' failed"),
])
def test_unreadable_sql_source_is_one_located_error(tmp_path: Path, url: str, message: str) -> None:
    root = init_project(tmp_path / "p")
    (root / "sources").mkdir()
    (root / "sources/crm.yml").write_text(f"sources:\n  - name: crm\n    type: sql\n    url: {url}\n")
    (root / "syncs").mkdir()
    (root / "syncs/c.yml").write_text("syncs:\n  - name: c\n    from: crm\n    tables: [users]\n")
    for command in (("plan",), ("sources", "list", "crm")):
        result = run_cli(*command, cwd=root)
        assert result.code == 1, result.output
        assert "Traceback" not in result.output
        assert f"sources/crm.yml:2: {message}" in result.stderr, result.stderr
