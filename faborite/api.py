"""The Python API the CLI is built on: open a project, compile, plan, apply, roll back.

A :class:`Workspace` binds a project directory to one target and knows where
that target's state lives. Each method does one command's work and returns
data; rendering and confirmation are the caller's (the CLI's) business.

The module-level functions below the class are the rest of what the CLI
needs: creating a project, JSON Schemas, and reading, saving and showing plan
files. The CLI imports nothing else from faborite's core
(tests/cli/test_cli_imports.py holds it to that). docs/api.md is the guide.

Every error a user can act on is a :class:`faborite.errors.FaboriteError`
(``ConfigError``, ``CompileError``, ``StateError``/``LockError``,
``PlanError``, ``ApplyError``, ``ProviderError``, ``QueryError``) carrying a
message, a ``file``/``line`` where there is one, and a ``hint``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from faborite.api_env import Environments
from faborite.api_inspect import Inspection
from faborite.api_no_change import NoChangePlans
from faborite.api_sources import WORK_DIR, SyncSources
from faborite.api_project import import_dbt, init_project, project_json_schema  # noqa: F401 - part of the API
from faborite.api_state import StateCare, inline_yaml  # noqa: F401 - inline_yaml: part of the API
from faborite.api_views import (  # noqa: F401 - part of the API, kept in their own module
    apply_stages,
    find_node,
    load_plan,
    node_selection,
    plan_to_json,
    plan_to_markdown,
    rebuild_options,
    refuse_destructive,
    render_findings,
    render_known_no_change,
    render_plan,
    save_plan,
    schedule_clock,
)
from faborite.errors import StateError

if TYPE_CHECKING:
    from faborite.apply.context import ApplyEvent, ApplyResult
    from faborite.apply.rollback import RollbackPlan
    from faborite.compiler.manifest import Manifest, Node
    from faborite.compiler.selector import NodeSelection
    from faborite.config.loader import Project
    from faborite.fmt import FormatReport
    from faborite.lint import LintReport
    from faborite.plan.incremental import RebuildOptions
    from faborite.plan.model import Plan
    from faborite.state.model import State
    from faborite.target import TargetConnection


def allow_warm_parser() -> None:
    """Let plans in this process fork a child that imports the SQL parser on another core while
    the cached compile loads (:mod:`faborite.compiler.warm_parser`). For a process that runs one
    command, as the ``faborite`` command does; code embedding faborite is never forked otherwise."""
    from faborite.compiler import warm_parser

    warm_parser.allow()


@dataclass
class Workspace(SyncSources, StateCare, Environments, NoChangePlans, Inspection):
    """A project directory and the target commands act on.

    Attributes:
        root: the project directory (holding ``faborite.yml``).
        target_name: the target from ``faborite.yml`` (None: the project's default target).
        vars_override: project ``vars`` to override, as ``--vars`` does.
        env_name: the environment (``--env``) to act on; None: the default one (see :attr:`env`).
        on_warning: called with each warning an operation raises on the way (an unreachable
            webhook, say); by default they go to the ``faborite`` logger.
    """

    root: Path
    target_name: str | None = None
    vars_override: dict[str, Any] = field(default_factory=dict)
    on_warning: Callable[[str], None] | None = None
    #: Seconds apply, rollback, gc and sync wait for a held state lock (0: fail at once).
    lock_timeout: float = 0.0
    env_name: str | None = None
    #: A dbt project's profile (default: its ``dbt_project.yml``'s ``profile:``); unused by faborite projects.
    profile: str | None = None

    @classmethod
    def open(cls, project_dir: Path | None = None, target: str | None = None,
             vars_override: dict[str, Any] | None = None, *,
             on_warning: Callable[[str], None] | None = None, lock_timeout: float = 0.0,
             env: str | None = None, profile: str | None = None) -> "Workspace":
        """Find the project at or above ``project_dir`` and bind it to ``target``.

        Args:
            project_dir: where to start looking for ``faborite.yml`` (default: the current directory).
            target: a target of ``faborite.yml`` (default: its ``target:``, else the first one).
            vars_override: project ``vars`` to override.
            on_warning: receives warnings (default: the ``faborite`` logger).
            lock_timeout: seconds apply, rollback, gc and sync wait for a held state lock
                (0: fail at once, naming the holder).
            env: the environment (``--env``); None: the default one.
            profile: for a dbt project read in place, the profiles.yml profile (default: its
                ``profile:``).

        Returns:
            The workspace. Nothing is loaded yet: files are read on first use.

        Raises:
            ConfigError: no ``faborite.yml`` at or above ``project_dir``.
        """
        from faborite.config.loader import find_project_root

        root = find_project_root(Path(project_dir) if project_dir else Path.cwd())
        return cls(root=root, target_name=target, vars_override=dict(vars_override or {}), on_warning=on_warning,
                   lock_timeout=lock_timeout, env_name=env, profile=profile)

    def warn(self, message: str) -> None:
        """Report a problem that does not stop the operation.

        Args:
            message: one line for people; goes to ``on_warning``, else to the ``faborite`` logger.
        """
        if self.on_warning is not None:
            self.on_warning(message)
            return
        import logging  # only here: most runs never warn, and start-up time counts

        logging.getLogger("faborite").warning(message)

    # -- project and compile ---------------------------------------------------

    @cached_property
    def project(self) -> "Project":
        """The loaded, validated project files (read once, then cached).

        Raises:
            ConfigError: a project file is invalid (at its file and line).
        """
        from faborite.config.loader import load_project

        return load_project(self.root, profile=self.profile, vars_override=self.vars_override)

    def with_target(self, name: str) -> "Workspace":
        """The same project (already loaded files shared) acting on target ``name``.

        Args:
            name: a target of ``faborite.yml``.

        Returns:
            A new workspace; this one is unchanged.
        """
        other = Workspace(root=self.root, target_name=name, vars_override=dict(self.vars_override),
                          on_warning=self.on_warning, env_name=self.env_name, profile=self.profile)
        if "project" in self.__dict__:
            other.__dict__["project"] = self.project
        return other

    @property
    def target(self) -> str:
        """The name of the target commands act on: the one given, or the project's default."""
        return self.target_name or self.project.config.default_target

    def compile(self, *, write_manifest: bool = True, refresh: bool | None = None,
                project: "Project | None" = None) -> "Manifest":
        """Compile the project for this target: render, parse, order and fingerprint every node.

        When no input changed since the last compile (files, the environment variables it read,
        vars, target, versions), the last manifest is returned without compiling; when only some
        models' text changed, only those are compiled again (``faborite/compiler/partial_parse.py``).

        Args:
            write_manifest: also write ``.faborite/manifest.json``.
            refresh: for syncs, True reads the source tables now, False only uses the cached read
                (offline), None uses the cache when there is one and reads otherwise.
            project: compile these file contents instead of the loaded project's (``fmt``
                compiles the formatted models before writing them).

        Returns:
            The manifest: every node with its rendered SQL, parents, checks and versions.

        Raises:
            ConfigError: a project file or the target block (or its ``state:``/``notify:``) is invalid.
            CompileError: a model does not render or parse, a ref is unknown, the DAG has a cycle.
        """
        from faborite.compiler import write_manifest as write
        from faborite.compiler.partial_parse import UnchangedCompile

        # The key is taken before any file is read, and only when the project is not loaded yet:
        # an edit racing this compile then changes the key, so the cache never describes it.
        skip = self._compiled_by = None  # a compile without a key is never remembered as one with
        if project is None and "project" not in self.__dict__:
            skip = self.__dict__.pop("_unused_compile_key", None) or UnchangedCompile(
                self.root / WORK_DIR / "cache", self.root, self.target_name, self.vars_override, profile=self.profile)
            hit = skip.load()
            self._compiled_by = skip
            if hit is not None:
                self.__dict__["project"], manifest = hit
                manifest = self._in_environment(manifest)
                if write_manifest:
                    write(manifest, self.root / WORK_DIR / "manifest.json")
                return manifest
        from faborite.compiler import compile_project  # not on a skipped compile: its imports cost ~0.1 s

        environ = skip.environ if skip is not None else None
        project = project or self.project
        snapshot = None
        if project.syncs:
            from faborite.sync.snapshot import load_snapshot

            cached = None if refresh else load_snapshot(self._snapshot_path)
            snapshot = cached or self.sources_snapshot(refresh=refresh is not False)
        manifest = compile_project(project, self.target, vars_override=self.vars_override, environ=environ,
                                   cache_dir=self.root / WORK_DIR / "cache", sources_snapshot=snapshot)
        self._check_target(environ)  # a typo in the target block should fail validate/plan, not apply
        if skip is not None:
            skip.save(project, manifest)
            self._compiled_by = skip
        manifest = self._in_environment(manifest)
        if write_manifest:
            write(manifest, self.root / WORK_DIR / "manifest.json")
        return manifest

    def _in_environment(self, manifest: "Manifest") -> "Manifest":
        """The manifest with relations renamed into ``--env``'s virtual layer (versions unchanged)."""
        from faborite.environment import in_environment

        return in_environment(manifest, self.env, self.environments_config)

    def format(self, *, write: bool) -> "FormatReport":
        """Format every model canonically (``faborite fmt``), keeping each model's meaning.

        Args:
            write: rewrite the files (False only reports, as ``fmt --check``).

        Returns:
            Per model: formatted, unchanged or skipped (and why).

        Raises:
            ConfigError, CompileError: as :meth:`compile` (offline: syncs use the cached source read).
        """
        from faborite.fmt import format_project

        return format_project(self.project, lambda project: self.compile(write_manifest=False, refresh=False,
                                                                         project=project), write=write)

    def lint(self) -> "LintReport":
        """Likely mistakes in the project (``faborite lint``), minus the rules faborite.yml disables.

        Returns:
            The findings, each with a rule code, file:line, message and hint.

        Raises:
            ConfigError, CompileError: as :meth:`compile` (offline).
        """
        from faborite.lint import lint_project

        return lint_project(self.project, self.compile(write_manifest=False, refresh=False))

    # -- plan and apply --------------------------------------------------------------

    def plan(self, *, refresh: bool = True, select: "set[str] | None" = None,
             manifest: "Manifest | None" = None, state_file: Path | None = None,
             record_inputs: bool = False, selection: "NodeSelection | None" = None,
             rebuild: "RebuildOptions | None" = None, due: bool = False,
             clock: "datetime | None" = None) -> "Plan":
        """Compile (unless ``manifest`` is given) and diff against the current state.

        Args:
            refresh: look at the target (one read-only introspection): an interrupted apply is
                resolved in memory and drift is found; sync sources are read now. False plans
                offline, against the recorded state and the last read of the sources.
            select: limit the plan to these node ids; other changes are deferred.
            manifest: a manifest from :meth:`compile`, to skip compiling again.
            state_file: a ``state pull`` file to plan against instead of the state backend;
                implies ``refresh=False``: nothing is connected to and no credential is read.
            record_inputs: hash the project files into the plan, as a saved plan needs.
            selection: ``-s``/``--exclude`` selectors (:func:`node_selection`), resolved against
                the state the plan is made against (``state:modified``); a partial plan defers
                every other node and deletes nothing.
            rebuild: ``--full-refresh`` / ``--allow-rebuild`` (:func:`rebuild_options`): which
                incremental models are built whole, and which protected ones may be.
            due: ``apply --due``: only nodes whose ``schedule:`` fired since their last build
                (as of ``clock``) and what reads them; the plan is partial and says why each is due.
            clock: ``--now``: the time schedules are judged by and recorded as each rebuilt
                node's build time (default: now).

        Returns:
            The plan: one change per node (action, category, reasons, SQL diff), plus drift.

        Raises:
            ConfigError, CompileError: as :meth:`compile`; ConfigError also for a bad selector
                or one that selects nothing.
            StateError: the state (or ``state_file``) cannot be read.
            PlanError: ``state_file`` is another target's state, or a selected node's parent is
                neither selected nor ever applied.
            ProviderError: ``refresh`` and the target cannot be reached.
        """
        from faborite.config.inputs import project_inputs
        from faborite.plan.planner import make_plan

        # Hashed before compiling: an edit racing the compile then makes the plan stale, never wrong.
        inputs = project_inputs(self.root) if record_inputs else None
        if state_file is not None:
            refresh = False
        # No manifest.json here: plan is read-only, and writing 10,000 nodes costs a third of a second.
        whole = manifest is None and state_file is None and select is None and rebuild is None and not due and (
            selection is None or selection.is_everything)
        manifest = manifest or self.compile(refresh=refresh, write_manifest=False)
        token = self._no_change_token(refresh=refresh, whole=whole)  # before the state is read
        drift = None
        if state_file is not None:
            state = self.read_state_file(state_file)
        elif not refresh:
            state = self.state()
        else:
            state, drift = self.refreshed_state()
        own = state  # a new --env environment is planned against the default one's state; its own serial stays
        state, drift, env = self._environment_start(state, drift, refresh=refresh, offline=state_file is not None)
        label = ""
        if selection is not None and not selection.is_everything:
            chosen = selection.resolve(manifest, state)
            select = chosen if select is None else select & chosen
            label = selection.label
        due_now = None
        if due:
            from faborite.compiler.schedule import due_nodes
            from faborite.compiler.selector import with_descendants

            clock = clock or datetime.now(timezone.utc)
            due_now = due_nodes(manifest, state, clock)
            chosen = {i for i in with_descendants(manifest, set(due_now)) if manifest.nodes[i].is_built}
            select = chosen if select is None else select & chosen
            label = " ".join(filter(None, [f"--due --now {clock.isoformat()}", label]))
        from faborite.plan.moved import resolve_moves

        plan = make_plan(manifest, state, select=select, drift=drift, selected_by=label, due=due_now, clock=clock,
                         moved=resolve_moves(self.project, manifest),
                         **({"rebuild": rebuild} if rebuild is not None else {}))
        from faborite.compiler import warm_parser

        warm_parser.stop()  # the compile's and the planner's SQL is parsed; apply does not need it
        plan = self._environment_plan(plan, own, env)
        self._remember_no_change(token, plan, refresh)
        return plan.model_copy(update={"inputs": inputs}) if inputs is not None else plan

    def select(self, manifest: "Manifest", selection: "NodeSelection") -> "list[Node]":
        """The nodes ``selection`` picks (``validate -s``, ``compile -s``).

        Args:
            manifest: from :meth:`compile`.
            selection: from :func:`node_selection`.

        Returns:
            The selected nodes in DAG order (every node for an empty selection).

        Raises:
            ConfigError: a bad selector, or one that selects nothing.
        """
        if selection.is_everything:
            return list(manifest.nodes.values())
        chosen = selection.resolve(manifest, self.state())
        return [node for node in manifest.nodes.values() if node.id in chosen]

    def read_state_file(self, path: Path) -> "State":
        """A state file written by ``state pull``.

        Args:
            path: the file.

        Returns:
            The state it holds.

        Raises:
            StateError: the file cannot be read or is not a state file.
            PlanError: it is the state of another target.
        """
        from faborite.errors import PlanError
        from faborite.state import file_format

        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise StateError(f"cannot read state file {path}: {exc.strerror or exc}",
                             hint="write one with `faborite state pull -o FILE`") from None
        state = file_format.loads(data, str(path))
        if state.target != self.target:
            raise PlanError(f"{path} is the state of target {state.target!r}, not {self.target!r}",
                            hint=f"plan with --target {state.target}, or pull the state of {self.target!r}")
        return state

    def check_saved_plan(self, plan: "Plan") -> None:
        """Refuse early a saved plan that no longer applies.

        Args:
            plan: a plan from :func:`load_plan`.

        Raises:
            PlanError: the state moved on since the plan was made (another serial or lineage),
                the project files changed since, or the plan is for another target.
        """
        from faborite.plan.planfile import check_plan_applies

        check_plan_applies(plan, self.state(), target=self.target, inputs=self._inputs_for(plan), env=self.env)

    def _inputs_for(self, plan: "Plan"):
        """The project files as they are now, when ``plan`` recorded them (saved plans) to compare."""
        from faborite.config.inputs import project_inputs

        return project_inputs(self.root) if plan.inputs is not None else None

    def _check_target(self, environ=None) -> None:
        """Validate the target block and its ``state:`` and ``notify:`` keys, connecting to nothing."""
        from faborite.config.targets import resolve_target
        from faborite.notify.config import target_webhooks
        from faborite.state.selection import state_settings

        state_settings(resolve_target(self.project, self.target, environ=environ))
        target_webhooks(self.project, self.target)

    def target_config(self, *, with_secrets: bool = False):
        """The target's provider and its config block, validated by the provider's model.

        Args:
            with_secrets: read credentials from the environment (else they read as ``***``).

        Returns:
            ``(provider, config)``.

        Raises:
            ConfigError: the block is invalid or a variable it reads is not set (at ``faborite.yml:line``).
        """
        from faborite.config.targets import resolve_target

        resolved = resolve_target(self.project, self.target, with_secrets=with_secrets)
        return resolved.provider, resolved.config

    def connect(self, *, read_only: bool = False) -> "TargetConnection":
        """Open a connection to the target (the caller closes it).

        Args:
            read_only: open without write access where the engine allows it.

        Returns:
            An open connection to the target.

        Raises:
            ConfigError: the target block is invalid.
            ProviderError: the target cannot be reached.
        """
        provider, config = self.target_config(with_secrets=True)
        return provider.connect(config, self.root, read_only=read_only)

    def apply(self, plan: "Plan", *, threads: int | None = None,
              on_event: "Callable[[ApplyEvent], None] | None" = None, fail_fast: bool = False,
              operation: Literal["apply", "sync"] = "apply", allow_destructive: bool = False) -> "ApplyResult":
        """Build, check and publish ``plan`` under the state lock; then tell the ``notify:`` webhooks.

        The plan is not changed: what was built, failed or deferred is in the returned result.

        Args:
            plan: from :meth:`plan`, :meth:`plan_sync` or :func:`load_plan`.
            threads: nodes built at once (default: the project's ``threads``).
            on_event: receives progress events (stage started, node built, check ran).
            fail_fast: stop at the first failed sync table (a failed model always stops).
            operation: how webhooks name the run: ``sync`` for a plan from :meth:`plan_sync`.
            allow_destructive: publish even when relations or published columns go away
                (``Change.destroys``, or columns the built versions no longer have).

        Returns:
            The outcome: nodes built, failed and skipped, warnings, and the new state.

        Raises:
            PlanError: the plan is stale (the state moved on) or for another target.
            LockError: another process holds the lock.
            ApplyError: a model or a check failed, or a destructive change without
                ``allow_destructive``; nothing was published.
            ProviderError: the target cannot be reached.
        """
        from faborite.apply.context import ApplyContext
        from faborite.apply.runner import run_stages
        from faborite.notify import notifying
        from faborite.plan.planfile import check_plan_applies
        from faborite.state.backend import locked

        backend = self.state_backend
        with notifying(self.project, self.target, operation, plan.serial, self.warn,
                       environment=self.env_label(self.env)) as report:
            report.planned(plan)
            with locked(backend, "apply", self.lock_timeout):
                connection = self.connect()
                try:
                    state = self._recover(connection)
                    check_plan_applies(plan, state, target=self.target, inputs=self._inputs_for(plan),
                                       env=self.env)
                    ctx = ApplyContext(
                        plan=plan, state=state, connection=connection, project_root=self.root,
                        open_source=self._source_opener(),
                        state_writer=backend, threads=threads or self.project.config.threads, fail_fast=fail_fast,
                        allow_destructive=allow_destructive, base_nodes=self._environment_base_nodes(plan),
                        on_event=on_event or (lambda event: None),
                    )
                    result = run_stages(ctx).result
                finally:
                    connection.close()
            report.applied(plan, result)
        return result

    # -- rollback ---------------------------------------------------------------

    def plan_rollback(self, to_serial: int | None = None) -> "RollbackPlan":
        """What :meth:`rollback` would do; first resolves an interrupted apply.

        Args:
            to_serial: the serial to go back to (default: the one before the current).

        Returns:
            The current and goal states and the nodes that move, come back or go.

        Raises:
            StateError: no state, no such serial, or it is not earlier than the current one.
        """
        from faborite.apply.rollback import plan_rollback

        self.recover()
        return plan_rollback(self.state_backend, to_serial)

    def rollback(self, plan: "RollbackPlan") -> "State":
        """Republish ``plan.goal``'s versions under the lock (no recompute); then tell the webhooks.

        Args:
            plan: from :meth:`plan_rollback`.

        Returns:
            The new state (serial + 1, recording the rollback).

        Raises:
            StateError: the state changed since ``plan`` was made.
            LockError: another process holds the lock.
            ProviderError: the target cannot be reached.
        """
        from faborite.apply.rollback import execute_rollback, plan_rollback
        from faborite.notify import notifying
        from faborite.state.backend import locked

        with notifying(self.project, self.target, "rollback", plan.current.serial, self.warn,
                       environment=self.env_label(self.env)) as report:
            with locked(self.state_backend, "rollback", self.lock_timeout):
                connection = self.connect()
                try:
                    self._recover(connection)
                    fresh = plan_rollback(self.state_backend, plan.goal.serial)
                    if fresh.current.serial != plan.current.serial:
                        raise StateError("state changed while you were deciding",
                                         hint="run `faborite rollback` again")
                    new = execute_rollback(fresh, connection, self.state_backend, self.root)
                finally:
                    connection.close()
            report.rolled_back(fresh, new)
        return new
