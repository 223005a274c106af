"""Driving a generated project through the Python API and reading what it published."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from faborite.api import WORK_DIR, Workspace
from faborite.plan.model import Action, Plan
from tests.properties.project_gen import ProjectSpec, render_files

DB_FILE = Path(WORK_DIR) / "dev.duckdb"


@dataclass(frozen=True)
class Published:
    """One virtual relation as a user sees it: column names, types and rows (a multiset)."""

    columns: tuple[tuple[str, str], ...]
    rows: tuple[tuple[object, ...], ...]  # sorted by repr: order-insensitive

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection, relation: str) -> "Published":
        schema_name, name = relation.split(".")
        rel = con.sql(f'select * from "{schema_name}"."{name}"')
        return cls(columns=tuple(zip(rel.columns, (str(t) for t in rel.types))),
                   rows=tuple(sorted((tuple(r) for r in rel.fetchall()), key=repr)))


def write_project(root: Path, project: ProjectSpec) -> None:
    """Make ``root`` hold exactly ``project``'s files (``.faborite/`` is left alone)."""
    files = render_files(project)
    root.mkdir(parents=True, exist_ok=True)
    for path in sorted(root.rglob("*"), reverse=True):
        rel = path.relative_to(root)
        if rel.parts[0] == WORK_DIR:
            continue
        if path.is_file() and rel.as_posix() not in files:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")


def apply(root: Path, *, threads: int = 1) -> tuple[Plan, list[str]]:
    """Plan and apply with a fresh Workspace (it caches the loaded project); returns the plan and reused nodes."""
    ws = Workspace(root=root)
    plan = ws.plan()
    reused: list[str] = []
    ws.apply(plan, threads=threads, on_event=lambda e: reused.append(e.node) if e.kind == "node_reused" else None)
    return plan, reused


def plan(root: Path) -> Plan:
    return Workspace(root=root).plan()


def rollback(root: Path, to_serial: int | None = None) -> int:
    """Roll back to ``to_serial`` (default: the previous one); returns the serial rolled back to."""
    ws = Workspace(root=root)
    rollback_plan = ws.plan_rollback(to_serial)
    ws.rollback(rollback_plan)
    return rollback_plan.goal.serial


def gc(root: Path, keep: int) -> tuple[int, ...]:
    """Drop versions the newest ``keep`` serials do not use; returns the serials kept."""
    return Workspace(root=root).gc(keep).keep_serials


def serial(root: Path) -> int:
    state = Workspace(root=root).state()
    assert state is not None
    return state.serial


def published(root: Path, *, skip: set[str] = frozenset()) -> dict[str, Published]:
    """Every relation outside faborite's physical schemas, read through a read-only connection."""
    con = duckdb.connect(str(root / DB_FILE), read_only=True)
    try:
        # Views over a files source name project-relative paths, as the provider's connections do.
        con.execute(f"set file_search_path = '{root.resolve()}'")
        names = con.sql(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() and not starts_with(table_schema, 'faborite__')"
        ).fetchall()
        return {f"{s}.{n}": Published.read(con, f"{s}.{n}") for s, n in names if f"{s}.{n}" not in skip}
    finally:
        con.close()


_SCRATCH: dict[str, dict[str, Published]] = {}


def from_scratch(project: ProjectSpec) -> dict[str, Published]:
    """What a first apply of ``project`` in an empty directory publishes (cached per rendered files)."""
    key = project.key()
    if key not in _SCRATCH:
        root = Path(tempfile.mkdtemp(prefix="faborite-scratch-"))
        try:
            write_project(root, project)
            apply(root)
            _SCRATCH[key] = published(root)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    return _SCRATCH[key]


def visible(plan: Plan) -> dict[str, tuple[Action, str | None]]:
    """Node name -> (action, category) of every change a reviewer would see."""
    return {c.name: (c.action, c.category) for c in plan.changes if c.is_visible}


def describe_plan(plan: Plan) -> str:
    return "\n".join(f"  {c.name}: {c.action.value} {c.category or ''} {[r.detail for r in c.reasons]}"
                     for c in plan.changes)


def diff_published(got: dict[str, Published], want: dict[str, Published]) -> str:
    """A readable account of how two sets of published relations differ ('' if equal)."""
    lines = []
    for name in sorted(set(got) | set(want)):
        if name not in got:
            lines.append(f"{name}: missing (from-scratch build has it)")
        elif name not in want:
            lines.append(f"{name}: published but a from-scratch build has no such relation")
        elif got[name] != want[name]:
            g, w = got[name], want[name]
            if g.columns != w.columns:
                lines.append(f"{name}: columns {g.columns} != from scratch {w.columns}")
            if g.rows != w.rows:
                lines.append(f"{name}: rows {g.rows} != from scratch {w.rows}")
    return "\n".join(lines)
