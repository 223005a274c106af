"""Driving a generated project through the Python API and reading what it published."""

from __future__ import annotations

import copy
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from typing import Any

import duckdb

from faborite.api import WORK_DIR, Workspace
from faborite.plan.model import Action, Plan
from faborite.relation import Relation
from tests.properties import project_gen
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
    #: Put before the schemas the project names (see :class:`SharedCatalogTarget`).
    schema_prefix = ""

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
    schema_prefix = ""
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


class DeltaFolderTarget(DuckDBTarget):
    """A ``type: delta`` lakehouse in the project's ``.faborite/lakehouse`` folder (a new
    directory is a new lakehouse, as for DuckDB), read back with deltalake: every published
    relation is a Delta table, ``<schema>/<name>/`` under the folder."""

    name = "delta"
    block = "  dev:\n    type: delta\n    path: .faborite/lakehouse\n    threads: 1\n"
    LAKE = Path(WORK_DIR) / "lakehouse"

    def published(self, root: Path, skip: set[str] = frozenset()) -> dict[str, Published]:
        from deltalake import DeltaTable

        out = {}
        for relation, kind in self.relations(root).items():
            key = f"{relation.schema_name}.{relation.name}"
            if relation.schema_name.startswith(PHYSICAL_PREFIX) or key in skip:
                continue
            assert kind == "table", f"{key} is published as a {kind}, not as a Delta table"
            data = DeltaTable(str(root / self.LAKE / relation.schema_name / relation.name)).to_pyarrow_table()
            out[key] = Published.of(((f.name, str(f.type)) for f in data.schema), (
                tuple(row.values()) for row in data.to_pylist()))
        return out

    def relations(self, root: Path) -> dict[Relation, str]:
        """Folders holding a Delta log are tables; those holding faborite's view file, views."""
        from faborite.providers.delta_target_storage import VIEW_FILE

        found = {}
        lake = root / self.LAKE
        for folder in sorted(lake.glob("*/*")) if lake.is_dir() else ():
            kind = "table" if (folder / "_delta_log").is_dir() else "view" if (folder / VIEW_FILE).is_file() else None
            if kind:
                found[Relation(schema_name=folder.parent.name, name=folder.name)] = kind
        return found

    def drop(self, root: Path, relation: Relation, kind: str) -> None:
        shutil.rmtree(root / self.LAKE / relation.schema_name / relation.name)

    def wipe(self, root: Path) -> None:
        shutil.rmtree(root / self.LAKE)


class SharedCatalogTarget:
    """A target whose schema names are global to one server or process: MariaDB (a schema is a
    database) and Spark (one session, so one catalog, per process).

    The machine publishes in ``main`` and ``mart``; a from-scratch build cannot get a database of
    its own, so it publishes in ``scratch_main`` and ``scratch_mart`` (the project's files rendered
    with that prefix, nothing else changed) and is read back under the unprefixed names.
    Examples reuse the catalog: :meth:`reset` drops this target's schemas, physical ones included.
    """

    name: str
    SCRATCH_PREFIX = "scratch_"

    def __init__(self, schema_prefix: str = "") -> None:
        self.schema_prefix = schema_prefix
        self.block = self.target_block(schema_prefix + "main")

    def scratch(self) -> "SharedCatalogTarget":
        """The same engine, under the scratch prefix."""
        if self.schema_prefix == self.SCRATCH_PREFIX:
            return self
        other = copy.copy(self)
        SharedCatalogTarget.__init__(other, self.SCRATCH_PREFIX)
        return other

    def target_block(self, schema: str) -> str:
        """The ``dev`` target's YAML entry, unqualified names going to ``schema``."""
        raise NotImplementedError

    def own_schemas(self) -> dict[str, str]:
        """This target's schemas as the engine names them -> as the project names them."""
        names = {self.schema_prefix + s: s for s in project_gen.SCHEMAS}
        return {**names, **{PHYSICAL_PREFIX + n: PHYSICAL_PREFIX + s for n, s in names.items()}}

    # What each engine implements: its relations in the given schemas, one relation's columns and
    # rows, and dropping a relation or a schema with all it holds.
    def _list(self, schemas: list[str]) -> dict[Relation, str]:
        raise NotImplementedError

    def _read(self, relation: Relation) -> Published:
        raise NotImplementedError

    def drop(self, root: Path, relation: Relation, kind: str) -> None:
        raise NotImplementedError

    def _drop_schema(self, schema: str) -> None:
        raise NotImplementedError

    def relations(self, root: Path) -> dict[Relation, str]:
        """Every relation in this target's schemas, under the names the project gives them."""
        names = self.own_schemas()
        return {Relation(schema_name=names[r.schema_name], name=r.name): kind
                for r, kind in self._list(sorted(names)).items()}

    def published(self, root: Path, skip: set[str] = frozenset()) -> dict[str, Published]:
        out = {}
        for relation in self._list([self.schema_prefix + s for s in project_gen.SCHEMAS]):
            key = f"{self.own_schemas()[relation.schema_name]}.{relation.name}"
            if key not in skip:
                out[key] = self._read(relation)
        return out

    def reset(self) -> None:
        for schema in self.own_schemas():
            self._drop_schema(schema)

    def wipe(self, root: Path) -> None:
        """Drop every schema faborite made: the database as good as deleted."""
        self.reset()

    def engine_name(self, relation: Relation) -> Relation:
        """``relation`` (named as the project names it) as the engine names it."""
        schema = next(n for n, s in self.own_schemas().items() if s == relation.schema_name)
        return Relation(schema_name=schema, name=relation.name)


class MySQLTarget(SharedCatalogTarget):
    """Databases on a MariaDB server (tests/mysql.py), read back with PyMySQL."""

    name = "mysql"

    def __init__(self, server: Any) -> None:
        self.server = server
        super().__init__()

    def target_block(self, schema: str) -> str:
        s = self.server
        # The state outside the server, as for PostgreSQL: wiping the schemas between examples must
        # not leave the previous example's state in a faborite_state database.
        return (f"  dev:\n    type: mysql\n    host: {s.host}\n    port: {s.port}\n    user: {s.user}\n"
                f"    database: {schema}\n    state: {{type: local}}\n")

    def _query(self, sql: str, args: Any = None) -> tuple[list[tuple], Any]:
        con = self.server.admin()
        try:
            with con.cursor() as cur:
                cur.execute(sql, args)
                return list(cur.fetchall()), cur.description
        finally:
            con.close()

    def _list(self, schemas: list[str]) -> dict[Relation, str]:
        rows, _ = self._query("SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES "
                              "WHERE TABLE_SCHEMA IN %s", [schemas])
        return {Relation(schema_name=s, name=n): "view" if t == "VIEW" else "table" for s, n, t in rows
                if s in schemas}  # information_schema compares names case-insensitively

    def _read(self, relation: Relation) -> Published:
        rows, _ = self._query("SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS "
                              "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
                              [relation.schema_name, relation.name])
        data, _ = self._query(f"SELECT * FROM `{relation.schema_name}`.`{relation.name}`")
        return Published.of(rows, data)

    def drop(self, root: Path, relation: Relation, kind: str) -> None:
        """Drop ``relation`` (MariaDB leaves the views reading it dangling, as DuckDB does)."""
        r = self.engine_name(relation)
        self.server.execute(f"DROP {kind.upper()} `{r.schema_name}`.`{r.name}`")

    def _drop_schema(self, schema: str) -> None:
        self.server.execute(f"DROP DATABASE IF EXISTS `{schema}`")


class SparkTarget(SharedCatalogTarget):
    """Schemas in the one Spark session of the process (tests/spark.py), read back through it.

    The project's target names the session's warehouse and settings, so faborite joins the
    running session instead of refusing to start a second one.
    """

    name = "spark"

    def __init__(self, session: Any, conf: dict[str, str]) -> None:
        self.session = session
        self.warehouse = session.conf.get("spark.sql.warehouse.dir").removeprefix("file:")
        self.conf = conf
        super().__init__()

    def target_block(self, schema: str) -> str:
        conf = "".join(f"      {k}: '{v}'\n" for k, v in self.conf.items())
        return (f"  dev:\n    type: spark\n    master: local[2]\n    warehouse: {self.warehouse}\n"
                f"    schema: {schema}\n    conf:\n{conf}")

    def _list(self, schemas: list[str]) -> dict[Relation, str]:
        existing = {row[0] for row in self.session.sql("SHOW SCHEMAS").collect()}
        found = {}
        for schema in (s for s in schemas if s in existing):
            for table in self.session.catalog.listTables(schema):
                if not table.isTemporary:
                    kind = "view" if table.tableType == "VIEW" else "table"
                    found[Relation(schema_name=schema, name=table.name)] = kind
        return found

    def _read(self, relation: Relation) -> Published:
        frame = self.session.table(f"`{relation.schema_name}`.`{relation.name}`")
        return Published.of(frame.dtypes, (tuple(row) for row in frame.collect()))

    def drop(self, root: Path, relation: Relation, kind: str) -> None:
        """Drop ``relation`` (Spark leaves the views reading it dangling, as DuckDB does)."""
        r = self.engine_name(relation)
        self.session.sql(f"DROP {kind.upper()} `{r.schema_name}`.`{r.name}`")

    def _drop_schema(self, schema: str) -> None:
        self.session.sql(f"DROP SCHEMA IF EXISTS `{schema}` CASCADE")


DUCKDB = DuckDBTarget()
Target = DuckDBTarget | PostgresTarget | SharedCatalogTarget


def write_project(root: Path, project: ProjectSpec, target: Target = DUCKDB) -> None:
    """Make ``root`` hold exactly ``project``'s files for ``target`` (``.faborite/`` is left alone)."""
    files = render_files(project, target.block, target.schema_prefix)
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
    ws.apply(plan, threads=threads, allow_destructive=True,  # random edits drop columns and models
             on_event=lambda e: reused.append(e.node) if e.kind == "node_reused" else None)
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


def from_scratch(project: ProjectSpec, target: Target = DUCKDB) -> dict[str, Published]:
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
