"""Crash injection on incremental models stored as row versions (faborite/apply/row_store.py).

A real ``faborite apply`` updating an incremental model is SIGKILLed inside its
build transaction, between build and publish, or around publish. Then, as a
user would, the next apply runs either on the same inputs (the built version
may be reused) or after more rows arrived (an unpublished generation must be
undone first). Either way the model equals its full rebuild, the plan after
it says nothing, and a rollback returns the version before the crash exactly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from faborite.api import Workspace
from tests.apply.helpers import published

MODEL = """{{ config(materialized='incremental', unique_key='id') }}
select id, v, seq from {{ ref('src') }}
{% if is_incremental() %}where seq > (select max(seq) from {{ this }}){% endif %}
"""
TWIN = "{{ config(materialized='table') }}\nselect id, v, seq from {{ ref('src') }}\n"
FIRST = "1,a,1\n2,b,2\n3,c,3\n"
SECOND = "1,A,4\n2,b,2\n3,c,3\n4,d,5\n"
THIRD = "1,A,4\n2,bb,6\n3,c,3\n4,d,5\n5,e,7\n"

POINTS = ("build:incremental", "stage:build:after", "stage:audit:after", "publish:commit", "stage:publish:after")


def _project(root: Path) -> None:
    (root / "models").mkdir(parents=True)
    (root / "seeds").mkdir()
    (root / "faborite.yml").write_text("name: p\n")
    (root / "models/inc.sql").write_text(MODEL)
    (root / "models/full_inc.sql").write_text(TWIN)
    (root / "seeds/src.csv").write_text("id,v,seq\n" + FIRST)


def _apply(root: Path) -> None:
    ws = Workspace.open(root)
    ws.apply(ws.plan())


def _generations(root: Path, store: str) -> list[int]:
    con = duckdb.connect(str(root / ".faborite/dev.duckdb"), read_only=True)
    try:
        return [g for (g,) in con.sql(f"select generation from {store}__generations order by 1").fetchall()]
    finally:
        con.close()


def _killed_apply(root: Path, point: str) -> None:
    env = {**os.environ, "FABORITE_CRASH_AT": point, "COLUMNS": "200"}
    proc = subprocess.run([sys.executable, "-m", "faborite", "--no-color", "apply", "--auto-approve"], cwd=root,
                          env=env, capture_output=True, timeout=180)
    assert proc.returncode == -signal.SIGKILL, f"not killed at {point}: {proc.stdout.decode()[-500:]}"


# Every point with more rows next (an unpublished generation is undone, or a published one
# followed); the same rows again (the built version is reused) once: the path is the same.
TRIALS = [(point, "more rows") for point in POINTS] + [("stage:build:after", "same rows")]


@pytest.mark.parametrize(("point", "then"), TRIALS)
def test_a_killed_incremental_apply_converges_exactly(tmp_path: Path, point: str, then: str) -> None:
    root = tmp_path / "p"
    _project(root)
    _apply(root)
    before = published(root)["main.inc"]
    (root / "seeds/src.csv").write_text("id,v,seq\n" + SECOND)
    _killed_apply(root, point)
    if then == "more rows":
        (root / "seeds/src.csv").write_text("id,v,seq\n" + THIRD)
    _apply(root)
    after = published(root)
    assert after["main.inc"] == after["main.full_inc"], f"{point}, {then}: differs from its full rebuild"
    assert not Workspace.open(root).plan().has_changes
    # Published generations form a chain with no leftover of the killed attempt.
    recorded = Workspace.open(root).state().nodes["model.inc"].extra["incremental"]
    expected = 3 if (point, then) == ("stage:publish:after", "more rows") else 2
    assert recorded["generation"] == expected
    assert _generations(root, recorded["store"]) == list(range(1, expected + 1))
    ws = Workspace.open(root)
    ws.rollback(ws.plan_rollback(1))
    assert published(root)["main.inc"] == before
