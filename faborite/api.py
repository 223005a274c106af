"""The Python API the CLI is built on: open a project, compile, plan, apply, roll back.

A :class:`Workspace` binds a project directory to one target and knows where
that target's state lives. Each method does one command's work and returns
data; rendering and confirmation are the caller's (the CLI's) business.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faborite.errors import ConfigError, StateError

if TYPE_CHECKING:
    import pyarrow as pa

    from faborite.apply.context import ApplyEvent, ApplyResult
    from faborite.apply.gc import GcPlan
    from faborite.apply.rollback import RollbackPlan
    from faborite.compiler.manifest import Manifest
    from faborite.config.loader import Project
    from faborite.plan.drift import Drift
    from faborite.plan.model import Plan
    from faborite.state.backend import StateBackend
    from faborite.state.lock import LockInfo
    from faborite.state.migrate import MigrationResult
    from faborite.state.model import HistoryEntry, State
    from faborite.state.observed import Observed
    from faborite.sync.snapshot import SourceSnapshot
    from faborite.target import TargetConnection

#: Where faborite keeps its own files inside a project.
WORK_DIR = ".faborite"


@dataclass
class Workspace:
    """A project directory and the target commands act on."""

    root: Path
    target_name: str | None = None
    vars_override: dict[str, Any] = field(default_factory=dict)
    #: Seconds apply, rollback, gc and sync wait for a held state lock (0: fail at once).
    lock_timeout: float = 0.0

    @classmethod
    def open(cls, project_dir: Path | None = None, target: str | None = None,
             vars_override: dict[str, Any] | None = None, *, lock_timeout: float = 0.0) -> "Workspace":
        """Find the project at or above ``project_dir`` (default: the current directory)."""
        from faborite.config.loader import find_project_root

        root = find_project_root(Path(project_dir) if project_dir else Path.cwd())
        return cls(root=root, target_name=target, vars_override=dict(vars_override or {}),
                   lock_timeout=lock_timeout)

    # -- project and compile ---------------------------------------------------

    @cached_property
    def project(self) -> "Project":
        """The loaded, validated project files."""
        from faborite.config.loader import load_project

        return load_project(self.root)

    def with_target(self, name: str) -> "Workspace":
        """The same project (already loaded files shared) acting on target ``name``."""
        other = Workspace(root=self.root, target_name=name, vars_override=dict(self.vars_override))
        if "project" in self.__dict__:
            other.__dict__["project"] = self.project
        return other

    @property
    def target(self) -> str:
        """The target commands act on: ``--target`` or the project's default."""
        return self.target_name or self.project.config.default_target

    def refresh(self) -> "SourceSnapshot":
        """Read every sync source's tables and versions (network), and cache the result."""
        from faborite.sync.refresh import refresh_sources
        from faborite.sync.snapshot import save_snapshot

        snapshot = refresh_sources(self.project)
        save_snapshot(snapshot, self._snapshot_path)
        return snapshot

    @property
    def _snapshot_path(self) -> Path:
        return self.root / WORK_DIR / "cache" / "sources.json"

    def sources_snapshot(self, *, refresh: bool) -> "SourceSnapshot | None":
        """The source tables syncs expand to: read now (``refresh``), else the cached read."""
        if not self.project.syncs:
            return None
        if refresh:
            return self.refresh()
        from faborite.sync.snapshot import load_snapshot

        cached = load_snapshot(self._snapshot_path)
        if cached is None:
            raise StateError("the sources have not been read yet, so syncs cannot be planned offline",
                             hint="plan once with refresh (drop --no-refresh)")
        return cached

    def compile(self, *, write_manifest: bool = True, refresh: bool | None = None) -> "Manifest":
        """Compile the project; by default also write ``.faborite/manifest.json``.

        Syncs need the source tables: ``refresh=True`` reads them now, ``False``
        only uses the cached read (offline), ``None`` uses the cache when there
        is one and reads otherwise.
        """
        from faborite.compiler import compile_project, write_manifest as write

        snapshot = None
        if self.project.syncs:
            from faborite.sync.snapshot import load_snapshot

            cached = None if refresh else load_snapshot(self._snapshot_path)
            snapshot = cached or self.sources_snapshot(refresh=refresh is not False)
        manifest = compile_project(self.project, self.target, vars_override=self.vars_override,
                                   cache_dir=self.root / WORK_DIR / "cache", sources_snapshot=snapshot)
        self._check_target()  # a typo in the target block should fail validate/plan, not apply
        if write_manifest:
            write(manifest, self.root / WORK_DIR / "manifest.json")
        return manifest

    # -- state ---------------------------------------------------------------------

    @cached_property
    def state_backend(self) -> "StateBackend":
        """Where this target's state lives: its ``state:`` key, else its provider's default."""
        from faborite.config.targets import resolve_target
        from faborite.state.selection import open_state_backend, state_type

        target = resolve_target(self.project, self.target)
        if state_type(target) != "local":  # the state is behind a connection: credentials needed
            target = resolve_target(self.project, self.target, with_secrets=True)
        return open_state_backend(target, self.root)

    def state(self) -> "State | None":
        """The target's current state (None before the first apply)."""
        return self.state_backend.read()

    def history(self) -> list["HistoryEntry"]:
        """Every serial, oldest first."""
        return self.state_backend.history()

    def pull_state(self) -> bytes:
        """The current state in the state file format (``state pull``)."""
        from faborite.state.transfer import pull

        return pull(self.state_backend)

    def push_state(self, data: bytes, source: str, *, force: bool = False) -> "State | None":
        """Record the state file ``data`` as the next serial, under the lock (``state push``)."""
        from faborite.state.transfer import push

        return push(self.state_backend, data, source, target=self.target, force=force)

    def migrate_state(self, to: dict[str, Any]) -> "MigrationResult":
        """Copy the whole history into the backend the ``state:`` block ``to`` names, verify it, and
        mark the current backend read-only (``state migrate``); faborite.yml is not changed."""
        from faborite.config.targets import resolve_target
        from faborite.state.migrate import migrate
        from faborite.state.selection import open_state_backend, state_type

        target = resolve_target(self.project, self.target, with_secrets=state_type(
            resolve_target(self.project, self.target), to) != "local")
        destination = open_state_backend(target, self.root, to)
        return migrate(self.state_backend, destination, moved_to=inline_yaml(to), lock_timeout=self.lock_timeout)

    def force_unlock(self, lock_id: str) -> "LockInfo":
        """Remove a lock left by a crashed process; returns what was removed."""
        info = self.state_backend.lock_info()
        if info is None:
            raise StateError("the state is not locked", hint="nothing to unlock")
        self.state_backend.unlock(lock_id)
        return info

    # -- plan and apply --------------------------------------------------------------

    def plan(self, *, refresh: bool = True, select: "set[str] | None" = None,
             manifest: "Manifest | None" = None) -> "Plan":
        """Compile (unless ``manifest`` is given) and diff against the current state.

        ``refresh`` reads the sync sources and looks at the target: an
        interrupted apply is resolved (in memory) and drift is found.
        ``refresh=False`` plans offline, against the last read of the sources
        and the state as recorded. ``select`` limits the plan to those node ids
        (others deferred).
        """
        from faborite.plan.planner import make_plan

        # No manifest.json here: plan is read-only, and writing 10,000 nodes costs a third of a second.
        manifest = manifest or self.compile(refresh=refresh, write_manifest=False)
        if not refresh:
            return make_plan(manifest, self.state(), select=select)
        state, drift = self.refreshed_state()
        return make_plan(manifest, state, select=select, drift=drift)

    def refreshed_state(self) -> "tuple[State | None, tuple[Drift, ...]]":
        """The state held against the target, read-only: a pending intent resolved as the next
        command will resolve it, and every node whose version or published name is not there."""
        from faborite.plan.drift import find_drift
        from faborite.state.journal import journal_nodes, resolve_intent

        backend = self.state_backend
        state, intent = backend.read(), backend.read_intent()
        if state is None and intent is None:
            return None, ()  # nothing recorded: nothing to check
        observed = self.observe(journal_nodes(state, intent))
        state, _ = resolve_intent(state, intent, observed)
        return state, find_drift(state, observed)

    def observe(self, nodes, connection: "TargetConnection | None" = None) -> "Observed":
        """What the target really holds for ``nodes`` (one introspection; read-only unless a
        ``connection`` is given). A target whose database does not exist holds nothing."""
        from faborite.errors import ProviderError, TargetMissingError
        from faborite.state.observed import observe

        nodes = list(nodes)
        if connection is not None:
            return observe(connection, nodes, self.root)
        try:
            connection = self.connect(read_only=True)
        except TargetMissingError:
            return observe(None, nodes, self.root)
        except ProviderError as exc:
            exc.hint = "; ".join(filter(None, [exc.hint, "plan looks at the target to find drift; "
                                               "`faborite plan --refresh=false` plans without it"]))
            raise
        try:
            return observe(connection, nodes, self.root)
        finally:
            connection.close()

    def _recover(self, connection: "TargetConnection") -> "State | None":
        """Under the lock: resolve an interrupted apply or rollback; the current state after it.
        Refuses (before anything is built or published) a state that ``state migrate`` moved away."""
        from faborite.state.backend import check_not_moved
        from faborite.state.journal import journal_nodes, recover

        backend = self.state_backend
        state, intent = backend.read(), backend.read_intent()
        check_not_moved(state)
        if intent is None:
            return state
        return recover(backend, state, intent, self.observe(journal_nodes(state, intent), connection))

    def recover(self) -> "State | None":
        """Resolve an interrupted apply or rollback now, under the lock (no-op when none is pending)."""
        from faborite.state.backend import locked

        if self.state_backend.read_intent() is None:
            return self.state()
        with locked(self.state_backend, "recover", self.lock_timeout):
            connection = self.connect()
            try:
                return self._recover(connection)
            finally:
                connection.close()

    def sync_node_ids(self, manifest: "Manifest", names: "list[str]") -> set[str]:
        """Node ids of the named syncs (all syncs when ``names`` is empty)."""
        from faborite.errors import ConfigError, did_you_mean

        for name in names:
            if name not in self.project.syncs:
                raise ConfigError(f"no sync named {name!r}", hint=did_you_mean(name, self.project.syncs) or
                                  "syncs: " + (", ".join(self.project.syncs) or "none declared"))
        wanted = set(names) or set(self.project.syncs)
        return {n.id for n in manifest.nodes.values() if n.sync is not None and n.sync.sync in wanted}

    def list_source_tables(self, name: str) -> "list":
        """The tables of a sync source, read now (``faborite sources list``)."""
        from faborite.sync.refresh import list_tables, open_source

        source = open_source(self.project, name)
        try:
            return list(list_tables(self.project, name, source))
        finally:
            source.close()

    def _source_opener(self):
        def open_source(name: str):
            from faborite.sync.refresh import open_source as open_

            return open_(self.project, name)
        return open_source

    def check_saved_plan(self, plan: "Plan") -> None:
        """Refuse early a saved plan that no longer applies (stale serial, other lineage or target)."""
        from faborite.plan.planfile import check_plan_applies

        check_plan_applies(plan, self.state(), target=self.target)

    def _check_target(self) -> None:
        """Validate the target block and its ``state:`` key, connecting to nothing."""
        from faborite.config.targets import resolve_target
        from faborite.state.selection import state_settings

        state_settings(resolve_target(self.project, self.target))

    def target_config(self, *, with_secrets: bool = False):
        """The target's provider and its config block, validated by the provider's model
        (located errors). Credentials are read from the environment only ``with_secrets``."""
        from faborite.config.targets import resolve_target

        resolved = resolve_target(self.project, self.target, with_secrets=with_secrets)
        return resolved.provider, resolved.config

    def connect(self, *, read_only: bool = False) -> "TargetConnection":
        """Open the target's provider with its validated config."""
        provider, config = self.target_config(with_secrets=True)
        return provider.connect(config, self.root, read_only=read_only)

    def apply(self, plan: "Plan", *, threads: int | None = None,
              on_event: "Callable[[ApplyEvent], None] | None" = None, fail_fast: bool = False) -> "ApplyResult":
        """Apply ``plan`` under the state lock; refuses a stale or foreign plan. The plan is not
        changed: what was built, failed or deferred is in the returned result."""
        from faborite.apply.context import ApplyContext
        from faborite.apply.runner import run_stages
        from faborite.plan.planfile import check_plan_applies
        from faborite.state.backend import locked

        backend = self.state_backend
        with locked(backend, "apply", self.lock_timeout):
            connection = self.connect()
            try:
                state = self._recover(connection)
                check_plan_applies(plan, state, target=self.target)
                ctx = ApplyContext(
                    plan=plan, state=state, connection=connection, project_root=self.root,
                    open_source=self._source_opener(),
                    state_writer=backend, threads=threads or self.project.config.threads, fail_fast=fail_fast,
                    on_event=on_event or (lambda event: None),
                )
                return run_stages(ctx).result
            finally:
                connection.close()

    # -- rollback and gc ---------------------------------------------------------------

    def plan_rollback(self, to_serial: int | None = None) -> "RollbackPlan":
        """What ``rollback`` would do (reads state; first resolves an interrupted apply)."""
        from faborite.apply.rollback import plan_rollback

        self.recover()
        return plan_rollback(self.state_backend, to_serial)

    def rollback(self, plan: "RollbackPlan") -> "State":
        """Republish ``plan.goal``'s versions under the lock; returns the new state."""
        from faborite.apply.rollback import execute_rollback, plan_rollback
        from faborite.state.backend import locked

        with locked(self.state_backend, "rollback", self.lock_timeout):
            connection = self.connect()
            try:
                self._recover(connection)
                fresh = plan_rollback(self.state_backend, plan.goal.serial)
                if fresh.current.serial != plan.current.serial:
                    raise StateError("state changed while you were deciding", hint="run `faborite rollback` again")
                return execute_rollback(fresh, connection, self.state_backend, self.root)
            finally:
                connection.close()

    def plan_gc(self, keep: int) -> "GcPlan":
        """Which physical versions ``gc --keep N`` would drop."""
        from faborite.apply.gc import plan_gc

        self.recover()  # an unresolved intent's versions may be published: never drop them
        connection = self.connect()
        try:
            return plan_gc(self.state_backend, connection, keep, self.root)
        finally:
            connection.close()

    def gc(self, keep: int) -> "GcPlan":
        """Drop physical versions no kept state uses, under the lock."""
        from faborite.apply.gc import execute_gc, plan_gc
        from faborite.state.backend import locked

        with locked(self.state_backend, "gc", self.lock_timeout):
            connection = self.connect()
            try:
                self._recover(connection)
                plan = plan_gc(self.state_backend, connection, keep, self.root)
                execute_gc(plan, connection, self.root)
                return plan
            finally:
                connection.close()

    # -- query ---------------------------------------------------------------------

    def query(self, sql: str) -> "pa.Table":
        """Run a read-only query against the published relations (one SELECT; no writes, and no
        files beyond the project's files sources: see faborite/query_guard.py)."""
        from faborite.query_guard import check_read_only_sql, source_directories

        if self.state() is None:
            raise StateError(f"nothing is published on target {self.target!r} yet", hint="run `faborite apply` first")
        connection = self.connect(read_only=True)
        try:
            confined = getattr(connection, "fetch_read_only", None)
            check_read_only_sql(sql, connection.dialect.sqlglot_dialect, strict=confined is None)
            if confined is None:  # a provider that cannot confine file access relies on the check above
                return connection.fetch_arrow(sql)
            return confined(sql, source_directories(self.project))
        finally:
            connection.close()


def inline_yaml(block: dict[str, Any]) -> str:
    """``block`` as one line of YAML, the way a user writes it: ``{type: postgres, url_env: STATE_URL}``."""
    import yaml

    return yaml.safe_dump(block, default_flow_style=True, sort_keys=False, width=1_000).strip()


def init_project(destination: Path, name: str | None = None) -> Path:
    """Copy the project template into ``destination`` (which must not exist or be empty)."""
    from importlib import resources

    destination = Path(destination)
    if destination.exists() and any(destination.iterdir()):
        raise ConfigError(f"{destination} already exists and is not empty", hint="choose a new directory name")
    project_name = (name or destination.resolve().name).replace("-", "_")
    if not project_name.replace("_", "").isalnum():
        raise ConfigError(f"{project_name!r} is not a valid project name", hint="use letters, digits and '_'")
    template = Path(str(resources.files("faborite.project_template")))
    shutil.copytree(template, destination, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__init__.py", "__pycache__", ".faborite"))
    config = destination / "faborite.yml"
    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    config.write_text("".join(f"name: {project_name}\n" if line.startswith("name:") else line for line in lines),
                      encoding="utf-8")
    return destination


def project_json_schema(kind: str = "project") -> dict[str, Any]:
    """JSON Schema for editors: of ``faborite.yml`` (``kind="project"``) or of
    properties files (``kind="properties"``: ``models/**/*.yml``, ``seeds/*.yml``,
    ``sources/*.yml``).

    Generated from the pydantic models the loader validates with. Checks are
    described as users write them (``not_null``, ``{accepted_values: {values:
    [...]}}``, ``{sql: ..., name: ...}``) under ``checks``, ``tests`` or
    ``data_tests``, not in the normalised form the loader turns them into.
    """
    from faborite.config.project import ProjectConfig
    from faborite.config.properties import PropertiesFile

    if kind == "project":
        schema = ProjectConfig.model_json_schema()
        title = "faborite.yml"
    elif kind == "properties":
        schema = PropertiesFile.model_json_schema()
        title = "faborite properties file"
        defs = schema["$defs"]
        del defs["CheckSpec"]
        severity = {"enum": ["error", "warn"], "default": "error",
                    "description": "error stops the apply; warn prints a warning and goes on"}
        common = {
            "name": {"type": "string", "description": "the check's label (default e.g. not_null(id))"},
            "severity": severity,
            "column": {"type": "string", "description": "the column checked (default: the column it is listed under)"},
        }

        def named(check: str, description: str, args: dict[str, Any] | None = None,
                  required: list[str] | None = None) -> dict[str, Any]:
            options: dict[str, Any] = {"type": "object", "additionalProperties": False,
                                       "properties": {**(args or {}), **common}}
            if required:
                options["required"] = required
            else:  # `- not_null:` (no options) is null in YAML
                options = {"anyOf": [options, {"type": "null"}]}
            return {"type": "object", "description": description, "additionalProperties": False,
                    "required": [check], "properties": {check: options}}

        defs["Check"] = {
            "description": "A data check: a query returning failing rows. Written as a name "
                           "(not_null), a one-key mapping ({accepted_values: {values: [...]}}) "
                           "or a custom {sql, name, severity}.",
            "anyOf": [
                {"enum": ["not_null", "unique"], "description": "a built-in check without options"},
                named("not_null", "fails on rows where the column is null"),
                named("unique", "fails on non-null values that appear more than once"),
                named("accepted_values", "fails on non-null values not in the list",
                      {"values": {"type": "array", "description": "the accepted values"}}, ["values"]),
                named("relationships", "fails on non-null values with no match in the other node's field",
                      {"to": {"type": "string", "description": "the other node: ref('x') or x"},
                       "field": {"type": "string", "description": "the other node's column"}}, ["to", "field"]),
                {"type": "object", "description": "a custom check: SQL (Jinja allowed) returning the failing rows",
                 "additionalProperties": False, "required": ["sql"],
                 "properties": {"sql": {"type": "string", "description": "returns the failing rows"}, **common}},
            ],
        }
        checks = {"type": "array", "items": {"$ref": "#/$defs/Check"}, "default": []}
        for owner in ("ColumnDoc", "NodeDoc"):
            properties = defs[owner]["properties"]
            properties["checks"] = {**checks, "title": "Checks", "description": "data checks run on apply"}
            properties["tests"] = {**checks, "title": "Tests", "description": "dbt's name for checks"}
            properties["data_tests"] = {**checks, "title": "Data Tests", "description": "dbt's name for checks"}
        for key in ("models", "seeds", "sources"):  # an empty `models:` is null in YAML
            entry = schema["properties"][key]
            listed = {k: v for k, v in entry.items() if k not in ("title", "default")}
            schema["properties"][key] = {"title": entry["title"], "default": entry["default"],
                                         "anyOf": [listed, {"type": "null"}]}
    else:
        raise ValueError(f"unknown schema kind {kind!r}: expected 'project' or 'properties'")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema, "title": title}
