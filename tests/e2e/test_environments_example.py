"""examples/environments through the real CLI, as its README and docs/guides/environments.md run it."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import run_cli
from tests.e2e.test_environments import _built, _ok

EXAMPLE = Path(__file__).parent.parent.parent / "examples/environments"


def test_the_guide_flow_on_the_example(tmp_path: Path):
    project = tmp_path / "environments"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".faborite"))
    assert len(_built(_ok("apply", "--auto-approve", cwd=project).stdout)) == 4
    assert _built(_ok("apply", "--env", "dev", "--auto-approve", cwd=project).stdout) == set()
    mart = project / "models/marts/revenue_by_day.sql"
    mart.write_text(mart.read_text().replace("status = 'completed'", "status IN ('completed', 'placed')"))
    assert _built(_ok("apply", "--env", "dev", "--auto-approve", cwd=project).stdout) == {"revenue_by_day"}
    assert "1 differ, 0 only in prod, 0 only in dev, 3 the same." in _ok("env", "diff", "prod", "dev",
                                                                         cwd=project).stdout
    promoted = _ok("env", "promote", "dev", "prod", "--auto-approve", cwd=project)
    assert "Promote complete! 0 built, 1 published" in promoted.stdout
    revenue = _ok("query", "select sum(revenue) from main.revenue_by_day", cwd=project).stdout
    assert "102.5" in revenue  # 12.50 + 43.00 + 9.90 + 15.00 + 22.10: 'placed' counts now
    _ok("env", "delete", "dev", "--auto-approve", cwd=project)
    assert "Dropped" in _ok("gc", "--keep", "1", "--auto-approve", cwd=project).stdout
    assert run_cli("query", "select * from main__dev.customers", cwd=project).code == 1
    assert "No changes." in _ok("plan", cwd=project).stdout
