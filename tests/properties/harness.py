"""Driving a generated project through the Python API and reading what it published."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from typing import Any

import duckdb

from faborite.api import WORK_DIR, Workspace
from faborite.plan.model import Action, Plan
from faborite.relation import Relation
from tests.properties.project_gen import DUCKDB_TARGET, ProjectSpec, render_files

DB_FILE = Path(WORK_DIR) / "dev.duckdb"
#: Schemas faborite keeps its physical (versioned) relations in start with this.
PHYSICAL_PREFIX = "faborite__"


@dataclass(frozen=True)
class Published:
    """One virtual relation as a user sees it: column names, types and rows (a multiset)."""

    columns: tuple[tuple[str, str], ...]
    rows: tuple[tuple[object, ...], ...]  # sorted by repr: order-insensitive

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection, relation: str) -> "Published":
        schema_name, name = relation.split(".")
        rel = con.sql(f'select * from "{schema_name}"."{name}"')
        return cls.of(zip(rel.columns, (str(t) for t in rel.types)), rel.fetchall())

    @classmethod
    def of(cls, columns, rows) -> "Published":
        return cls(columns=tuple(columns), rows=tuple(sorted((tuple(r) for r in rows), key=repr)))


class DuckDBTarget:
    """The generated project's default target: a DuckDB file in the project's ``.faborite/``."""

    name = "duckdb"
    block = DUCKDB_TARGET

    def scratch(self) -> "DuckDBTarget":
        """The target a from-scratch build goes to (a new directory is a new database here)."""
        return self

    def reset(self) -> None:
        """Empty the target (nothing to do: every project directory has its own database file)."""

    def published(self, root: Path, skip: set[str] = frozenset()) -> dict[str, Published]:
        """Every relation outside faborite's physical schemas, read through a read-only connection."""
        con = duckdb.connect(str(root / DB_FILE), read_only=True)
        try:
            # Views over a files source name project-relative paths, as the provider's connections do.
            con.execute(f"set file_search_path = '{root.resolve()}'")
            names = con.sql(
                "select table_schema, table_name from information_schema.tables "
                f"where table_catalog = current_database() and not starts_with(table_schema, '{PHYSICAL_PREFIX}')"
            ).fetchall()
            return {f"{s}.{n}": Published.read(con, f"{s}.{n}") for s, n in names if f"{s}.{n}" not in skip}
        finally:
            con.close()

    def relations(self, root: Path) -> dict[Relation, str]:
        """Every relation in the target, faborite's physical ones included -> 'view' or 'table'."""
        con = duckdb.connect(str(root / DB_FILE), read_only=True)
        try:
            rows = con.sql("select table_schema, table_name, table_type from information_schema.tables "
                           "where table_catalog = current_database()").fetchall()
        finally:
            con.close()
        return {Relation(schema_name=s, name=n): "view" if t == "VIEW" else "table" for s, n, t in rows}

    def drop(self, root: Path, relation: Relation, kind: str) -> None:
        """Drop ``relation`` behind faborite's back (what reads it is left dangling)."""
        con = duckdb.connect(str(root / DB_FILE))
        try:
            con.execute(f'drop {kind} "{relation.schema_name}"."{relation.name}"')
        finally:
            con.close()

    def wipe(self, root: Path) -> None:
        """Delete the whole database behind faborite's back."""
        (root / DB_FILE).unlink()


class PostgresTarget:
    """A database on a PostgreSQL server (tests/postgres.py), its unqualified names in schema ``main``.

    ``main`` is DuckDB's default schema, so relations are published under the same
    ``schema.name`` on both targets. Examples reuse the database: :meth:`reset` drops
    every schema in it. From-scratch builds go to a second database (:meth:`scratch`).
    """

    name = "postgres"
    _SYSTEM = "('pg_catalog', 'information_schema', 'pg_toast', 'public')"

    def __init__(self, server: Any, dbname: str, scratch_dbname: str | None = None) -> None:
        self.server, self.dbname = server, dbname
        self._scratch = PostgresTarget(server, scratch_dbname) if scratch_dbname else self
        self.block = (f"  dev:\n    type: postgres\n    host: {server.host}\n    port: {server.port}\n"
                      f"    user: {server.user}\n    dbname: {dbname}\n    schema: main\n"
                      # The state outside the database, so wipe() and reset() drop data, not state
                      # (as the DuckDB target's file does), and relations() sees only faborite's.
                      "    state: {type: local}\n")

    def scratch(self) -> "PostgresTarget":
        return self._scratch

    def _user_schemas(self, con: Any) -> list[str]:
        return [s for (s,) in con.execute(
            f"select nspname from pg_namespace where nspname not in {self._SYSTEM} "
            "and nspname not like 'pg\\_%'").fetchall()]

    def reset(self) -> None:
        with self.server.admin(self.dbname) as con:
            for schema in self._user_schemas(con):
                con.execute(f'drop schema "{schema}" cascade')

    def published(self, root: Path, skip: set[str] = frozenset()) -> dict[str, Published]:
        out = {}
        with self.server.admin(self.dbname) as con:
            for relation in self.relations(root, con):
                key = f"{relation.schema_name}.{relation.name}"
                if relation.schema_name.startswith(PHYSICAL_PREFIX) or key in skip:
                    continue
                cur = con.execute(f'select * from "{relation.schema_name}"."{relation.name}"')
                out[key] = Published.of(((c.name, c.type_display) for c in cur.description), cur.fetchall())
        return out

    def relations(self, root: Path, con: Any = None) -> dict[Relation, str]:
        if con is None:
            with self.server.admin(self.dbname) as con:
                return self.relations(root, con)
        rows = con.execute("select table_schema, table_name, table_type from information_schema.tables "
                           "where table_schema = any(%s)", [self._user_schemas(con)]).fetchall()
        return {Relation(schema_name=s, name=n): "view" if t == "VIEW" else "table" for s, n, t in rows}

    def drop(self, root: Path, relation: Relation, kind: str) -> None:
        """Drop ``relation`` and, as PostgreSQL insists, every view that reads it."""
        with self.server.admin(self.dbname) as con:
            con.execute(f'drop {kind} "{relation.schema_name}"."{relation.name}" cascade')

    def wipe(self, root: Path) -> None:
        """Drop every schema faborite made: the database as good as deleted."""
        self.reset()


DUCKDB = DuckDBTarget()


def write_project(root: Path, project: ProjectSpec, target: DuckDBTarget | PostgresTarget = DUCKDB) -> None:
    """Make ``root`` hold exactly ``project``'s files for ``target`` (``.faborite/`` is left alone)."""
    files = render_files(project, target.block)
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
    """Every relation the DuckDB target of ``root`` publishes outside faborite's physical schemas."""
    return DUCKDB.published(root, skip)


_SCRATCH: dict[tuple[str, str], dict[str, Published]] = {}


def from_scratch(project: ProjectSpec, target: DuckDBTarget | PostgresTarget = DUCKDB) -> dict[str, Published]:
    """What a first apply of ``project`` in an empty directory and target publishes (cached per rendered files)."""
    key = (target.name, project.key())
    if key not in _SCRATCH:
        scratch = target.scratch()
        scratch.reset()
        root = Path(tempfile.mkdtemp(prefix="faborite-scratch-"))
        try:
            write_project(root, project, scratch)
            apply(root)
            _SCRATCH[key] = scratch.published(root)
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
