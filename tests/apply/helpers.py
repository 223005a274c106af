"""Helpers for API-level apply tests."""

from __future__ import annotations

from pathlib import Path

import duckdb

from faborite.api import Workspace


def workspace(root: Path) -> Workspace:
    """A fresh Workspace (it caches the loaded project, so make one per step)."""
    return Workspace(root=root)


def apply(root: Path, *, allow_destructive: bool = True):
    """Plan and apply the project at ``root``; return (plan, apply context).

    Destructive changes are allowed by default: these tests edit freely; the refusal
    itself is tested in tests/apply/test_destructive_changes.py."""
    ws = workspace(root)
    plan = ws.plan()
    return plan, ws.apply(plan, threads=2, allow_destructive=allow_destructive)


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` with ``new`` in a project file; the text must be there."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def published(root: Path) -> dict[str, list[tuple]]:
    """Every published (virtual) relation's rows, sorted, keyed by ``schema.name``."""
    con = duckdb.connect(str(root / ".faborite/dev.duckdb"), read_only=True)
    try:
        names = con.sql(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema not like 'faborite__%' order by 1, 2").fetchall()
        return {f"{s}.{n}": sorted(con.sql(f'select * from "{s}"."{n}"').fetchall(), key=repr) for s, n in names}
    finally:
        con.close()


def physical_relations(root: Path) -> set[str]:
    """Every physical relation faborite has built."""
    con = duckdb.connect(str(root / ".faborite/dev.duckdb"), read_only=True)
    try:
        return {f"{s}.{n}" for s, n in con.sql(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema like 'faborite__%'").fetchall()}
    finally:
        con.close()
