"""The environments half of :class:`faborite.api.Workspace`: ``--env`` and the ``env`` commands.

A base class of ``Workspace`` (the API is that one class), kept apart because
it is its own job: which environment a workspace acts on, planning a new
environment against the default one's state, and listing, comparing,
promoting and deleting environments. The rules are :mod:`faborite.environment`'s.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from faborite.errors import StateError

if TYPE_CHECKING:
    from faborite.environment_views import EnvironmentDiff, EnvironmentSummary
    from faborite.apply.promote import PromotePlan
    from faborite.config.loader import Project
    from faborite.config.project import EnvironmentsConfig
    from faborite.plan.drift import Drift
    from faborite.plan.model import Plan, PlanEnvironment
    from faborite.state.backend import StateBackend
    from faborite.state.model import NodeState, State
    from faborite.target import TargetConnection


class Environments:
    """The environments of a :class:`faborite.api.Workspace`'s target (use it through ``Workspace``)."""

    root: Path
    #: The ``--env`` given (None or the default environment's name: the default environment).
    env_name: str | None
    lock_timeout: float
    if TYPE_CHECKING:
        project: Project
        target: str
        state_backend: StateBackend

        def connect(self, *, read_only: bool = False) -> TargetConnection: ...
        def state(self) -> State | None: ...
        def refreshed_state(self) -> tuple[State | None, tuple[Drift, ...]]: ...
        def _recover(self, connection: TargetConnection) -> State | None: ...

    @property
    def environments_config(self) -> "EnvironmentsConfig":
        """faborite.yml's ``environments:`` block."""
        return self.project.config.environments

    @property
    def env(self) -> str | None:
        """The environment commands act on (None: the default one).

        Raises:
            ConfigError: ``--env`` is not a valid environment name.
        """
        return self._env_of(self.env_name)

    def _env_of(self, name: str | None) -> str | None:
        from faborite.environment import check_env_name

        default = self.environments_config.default_name
        if name is None or name == default:
            return None
        return check_env_name(name, default_name=default)

    def env_label(self, env: str | None = None) -> str:
        """What people call an environment: the default one has a name too.

        Args:
            env: an environment (None: the default one).

        Returns:
            ``env``, or the default environment's name (``environments: {default_name}``, ``prod``).
        """
        return env or self.environments_config.default_name

    def with_env(self, name: str | None):
        """The same workspace (already loaded files shared) acting on environment ``name``.

        Args:
            name: an environment (None or the default's name: the default environment).

        Returns:
            A new workspace; this one is unchanged.
        """
        other = dataclasses.replace(self, env_name=name)  # type: ignore[type-var]
        if "project" in self.__dict__:
            other.__dict__["project"] = self.project
        return other

    def _query_in_environment(self, sql: str, state: "State", dialect) -> str:
        """``query --env``: ``sql`` reading this environment's views by the default environment's
        names (``main.orders`` -> ``main__dev.orders``) in every schema the environment publishes to."""
        from faborite.environment import env_relation, logical_relation, query_in_environment

        from faborite.relation import Relation

        config, schemas = self.environments_config, {}
        default = self.with_env(None).state()
        # The schemas either environment publishes to, as the default one names them.
        names = [logical_relation(n.relation, self.env, config) for n in state.nodes.values()]
        names += [n.relation for n in (default.nodes.values() if default else ())]
        for name in names:
            if "/" not in name:  # a file output's path is not queried by name
                schema = Relation.parse(name).schema_name
                schemas[schema] = Relation.parse(env_relation(name, self.env, config)).schema_name
        return query_in_environment(sql, schemas, dialect=dialect.sqlglot_dialect,
                                    default_schema=dialect.default_schema)

    # -- planning ----------------------------------------------------------------

    def _environment_start(self, state: "State | None", drift: "tuple[Drift, ...] | None", *, refresh: bool,
                           offline: bool = False) -> "tuple[State | None, tuple[Drift, ...] | None, PlanEnvironment | None]":
        """What an environment's plan is made against: its own state, or for a new (or deleted)
        environment the default environment's latest state renamed into it (SQLMesh's rule).
        ``offline`` (``plan --state FILE``): only the given state, no other is read."""
        from faborite.environment import is_fresh, rename_state
        from faborite.plan.model import PlanEnvironment

        env = self.env
        if env is None:
            return state, drift, None
        info = PlanEnvironment(name=env, base_name=self.env_label())
        if offline or not is_fresh(state):
            return state, drift, info
        base_ws = self.with_env(None)
        if refresh:
            base, base_drift = base_ws.refreshed_state()
            # Only a missing version matters here: the default environment's views are not this one's.
            drift = tuple(d for d in base_drift if d.kind == "version_missing")
        else:
            base = base_ws.state()
        if base is None:
            return state, drift, info
        return rename_state(base, env, self.environments_config), drift, info.model_copy(
            update={"base_serial": base.serial})

    def _environment_plan(self, plan: "Plan", own: "State | None", info: "PlanEnvironment | None") -> "Plan":
        """``plan`` (made against :meth:`_environment_start`'s state) as the environment applies it:
        against its own serial, and from a base, every kept version published (0 builds)."""
        from faborite.plan.model import Action, Reason

        if info is None:
            return plan
        update: dict = {"environment": info}
        if info.base_serial is not None:
            why = Reason(code="environment", detail=f"new in environment {info.name}: publishes {info.base_name}'s "
                                                    "version (no build)")
            changes = []
            for change in plan.changes:
                if change.action is Action.DELETE:
                    continue  # the base has it, this environment never published it
                if not change.rebuild and not change.deferred:
                    change = change.model_copy(update={"action": Action.CREATE, "reasons": (*change.reasons, why)})
                changes.append(change)
            update |= {"changes": tuple(changes), "lineage": own.lineage if own else None,
                       "serial": own.serial if own else None}
        return plan.model_copy(update=update)

    def _environment_base_nodes(self, plan: "Plan") -> "dict[str, NodeState]":
        """The nodes a new environment's plan started from (renamed), for what apply records of them."""
        from faborite.environment import rename_state

        if plan.environment is None or plan.environment.base_serial is None:
            return {}
        base = self.with_env(None).state_backend.read_serial(plan.environment.base_serial)
        return dict(rename_state(base, plan.environment.name, self.environments_config).nodes)

    # -- the env commands ---------------------------------------------------------

    def _catalog_names(self) -> list[str]:
        """Every state key the target's backend keeps (each target's and environment's)."""
        backend = self.with_env(None).state_backend
        names = getattr(backend, "state_names", None)
        if names is None:
            raise StateError(f"the state backend of target {self.target!r} cannot list its environments",
                             hint="name the environment: --env NAME")
        return names()

    def environment_names(self) -> list[str | None]:
        """Every environment of the target that has a state, the default first.

        Returns:
            The names (None: the default environment, listed even before its first apply).

        Raises:
            StateError: the state cannot be read, or its backend cannot list states.
        """
        from faborite.environment import env_of_key

        found = [env_of_key(self.target, key) for key in self._catalog_names()]
        envs = sorted(e for e in found if isinstance(e, str))
        return [None, *envs]

    def environments(self) -> "list[EnvironmentSummary]":
        """``env list``: every environment with its serial, last operation and node count.

        Returns:
            One summary per environment, the default first (listed even before its first apply).

        Raises:
            StateError: the state cannot be read, or its backend cannot list states.
        """
        from faborite.environment import is_fresh, state_key
        from faborite.environment_views import EnvironmentSummary

        out = []
        for env in self.environment_names():
            state = self.with_env(env).state()
            event = state.event if state is not None else None
            out.append(EnvironmentSummary(
                name=self.env_label(env), default=env is None, state_key=state_key(self.target, env),
                serial=state.serial if state else None, last_operation=event.operation if event else None,
                last_applied_at=event.at if event else None, nodes=len(state.nodes) if state else 0,
                deleted=state is not None and is_fresh(state)))
        return out

    def diff_environments(self, a: str, b: str) -> "EnvironmentDiff":
        """``env diff A B``: nodes whose published versions differ, and nodes only one publishes.

        Args:
            a: an environment name (the default one by its name, ``prod``).
            b: another.

        Returns:
            The differences, node ids sorted.

        Raises:
            ConfigError: a name is not a valid environment name.
            StateError: a state cannot be read.
        """
        from faborite.environment_views import EnvironmentDiff, VersionDiff

        left, right = (self.with_env(self._env_of(n)).state() for n in (a, b))
        la = left.nodes if left else {}
        rb = right.nodes if right else {}
        differ = [VersionDiff(node=i, a_version=la[i].version, b_version=rb[i].version,
                              a_physical=la[i].physical, b_physical=rb[i].physical)
                  for i in sorted(la.keys() & rb.keys()) if la[i].physical != rb[i].physical]
        return EnvironmentDiff(a=a, b=b, differ=differ, only_in_a=sorted(la.keys() - rb.keys()),
                               only_in_b=sorted(rb.keys() - la.keys()),
                               same=len(la.keys() & rb.keys()) - len(differ))

    def plan_promote(self, source: str, dest: str) -> "PromotePlan":
        """What :meth:`promote` would do: DEST's nodes that would move to SOURCE's versions.

        Args:
            source: the environment whose versions are promoted (``dev``).
            dest: the environment that publishes them afterwards (``prod``).

        Returns:
            The plan: both states and the nodes that move, appear or go.

        Raises:
            ConfigError: a name is not a valid environment name, or both are the same.
            StateError: SOURCE has nothing published.
        """
        from faborite.apply.promote import plan_promote
        from faborite.errors import ConfigError

        source_env, dest_env = self._env_of(source), self._env_of(dest)
        if source_env == dest_env:
            raise ConfigError(f"cannot promote {source} to itself", hint="name two environments: env promote dev prod")
        return plan_promote(self.with_env(source_env).state(), self.with_env(dest_env).state(),
                            source_env=source_env, dest_env=dest_env, source_name=self.env_label(source_env),
                            dest_name=self.env_label(dest_env), config=self.environments_config)

    def promote(self, plan: "PromotePlan") -> "State":
        """Make DEST publish SOURCE's versions, under DEST's lock: 0 builds, one publish step.

        Args:
            plan: from :meth:`plan_promote`.

        Returns:
            DEST's new state (recorded with ``operation: promote``, ``promoted_from: SOURCE``).

        Raises:
            StateError: a state changed since ``plan`` was made, or some of SOURCE's versions no
                longer exist.
            LockError: another process holds DEST's lock.
            ProviderError: the target cannot be reached.
        """
        from faborite.apply.promote import execute_promote
        from faborite.state.backend import locked

        dest_ws = self.with_env(self._env_of(plan.dest_name))
        with locked(dest_ws.state_backend, "promote", self.lock_timeout):
            connection = dest_ws.connect()
            try:
                dest_ws._recover(connection)
                fresh = self.plan_promote(plan.source_name, plan.dest_name)
                if ((fresh.source.serial, fresh.dest.serial if fresh.dest else None)
                        != (plan.source.serial, plan.dest.serial if plan.dest else None)):
                    raise StateError("state changed while you were deciding",
                                     hint=f"run `faborite env promote {plan.source_name} {plan.dest_name}` again")
                return execute_promote(fresh, connection, dest_ws.state_backend, self.root)
            finally:
                connection.close()

    def environment_to_delete(self, name: str) -> "State":
        """What ``env delete NAME`` would unpublish: the environment's current state (checked first).

        Args:
            name: the environment (not the default one).

        Returns:
            Its state: every node in it loses its view.

        Raises:
            ConfigError: ``name`` is the default environment or not a valid name.
            StateError: it has nothing published.
        """
        from faborite.environment import check_env_name, is_fresh

        state = self.with_env(check_env_name(name, default_name=self.environments_config.default_name)).state()
        if is_fresh(state):
            raise StateError(f"environment {name!r} has nothing published", hint="`faborite env list` lists them")
        assert state is not None
        return state

    def delete_environment(self, name: str) -> "State":
        """``env delete NAME``: drop its views and (emptied) schemas, record an empty serial.

        The history stays; the next ``--env NAME`` plan starts from the default environment again.
        Physical versions are left for ``gc``.

        Args:
            name: the environment (not the default one).

        Returns:
            Its new, empty state.

        Raises:
            ConfigError: ``name`` is the default environment or not a valid name.
            StateError: it has nothing published.
            LockError: another process holds its lock.
        """
        from faborite.apply.promote import delete_environment
        from faborite.state.backend import locked

        self.environment_to_delete(name)
        ws = self.with_env(name)
        with locked(ws.state_backend, "env-delete", self.lock_timeout):
            connection = ws.connect()
            try:
                ws._recover(connection)
                return delete_environment(ws.environment_to_delete(name), connection, ws.state_backend, self.root)
            finally:
                connection.close()

    def sibling_states(self) -> "list[StateBackend]":
        """The state backends of the target's other environments (gc keeps what they use).

        Returns:
            One backend per other environment with a state (the default one's too, from an
            environment); none when the backend cannot list its states.
        """
        try:
            envs = self.environment_names()
        except StateError:
            return []
        return [self.with_env(e).state_backend for e in envs if e != self.env]
