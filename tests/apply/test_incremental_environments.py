"""Incremental models across environments: versions are shared, row stores are not written by
two environments. Each environment's incremental model equals its full rebuild after every
step, whichever environment ran first, and a promote followed by more rows stays exact."""

from __future__ import annotations

from pathlib import Path

import duckdb

from faborite.api import Workspace

from tests.apply.test_incremental import project  # noqa: F401 - the fixture: a seed src and the model inc


def _apply(root: Path, env: str | None = None):
    ws = Workspace.open(root, env=env)
    plan = ws.plan()
    ws.apply(plan)
    return plan


def _append(root: Path, *rows: str) -> None:
    with (root / "seeds/src.csv").open("a") as f:
        f.writelines(row + "\n" for row in rows)


def _rows(root: Path, relation: str) -> list[tuple]:
    con = duckdb.connect(str(root / ".faborite/dev.duckdb"), read_only=True)
    try:
        return sorted(con.sql(f"select id, v, seq from {relation}").fetchall())
    finally:
        con.close()


def _expected(root: Path) -> list[tuple]:
    lines = (root / "seeds/src.csv").read_text().split()[1:]
    latest: dict[int, tuple] = {}
    for line in lines:
        id_, v, seq = line.split(",")
        latest[int(id_)] = (int(id_), v, int(seq))
    return sorted(latest.values())


def test_dev_and_prod_update_the_same_model_without_touching_each_other(project: Path) -> None:
    _apply(project)
    _apply(project, "dev")  # 0 builds: dev publishes prod's version
    _append(project, "3,c,3")
    plan = _apply(project, "dev")
    assert next(c for c in plan.changes if c.name == "inc").incremental_from is not None
    assert _rows(project, "main__dev.inc") == _expected(project)
    assert _rows(project, "main.inc") == [(1, "a", 1), (2, "b", 2)]  # prod untouched

    dev_rows = _expected(project)
    _append(project, "4,d,4")
    _apply(project)  # prod takes both new rows from its own previous version (a version dev never built)
    assert _rows(project, "main.inc") == _expected(project)
    assert _rows(project, "main__dev.inc") == dev_rows

    _append(project, "1,z,5", "5,e,6")
    _apply(project)
    assert _rows(project, "main.inc") == _expected(project)
    assert _rows(project, "main__dev.inc") == dev_rows  # dev kept its data
    _apply(project, "dev")
    assert _rows(project, "main__dev.inc") == _expected(project)
    assert _rows(project, "main.inc") == _expected(project)


def test_promote_then_more_rows_in_both_environments(project: Path) -> None:
    _apply(project)
    _apply(project, "dev")
    _append(project, "3,c,3")
    _apply(project, "dev")
    ws = Workspace.open(project)
    ws.promote(ws.plan_promote("dev", "prod"))
    assert _rows(project, "main.inc") == _expected(project)

    _append(project, "2,y,4")
    _apply(project)  # prod's version now lives in dev's store: prod starts its own copy
    _apply(project, "dev")
    assert _rows(project, "main.inc") == _expected(project)
    assert _rows(project, "main__dev.inc") == _expected(project)

    dev = Workspace.open(project, env="dev")
    dev.rollback(dev.plan_rollback())  # dev back to the version prod was promoted from
    assert _rows(project, "main__dev.inc") == [(1, "a", 1), (2, "b", 2), (3, "c", 3)]
    assert _rows(project, "main.inc") == _expected(project)
