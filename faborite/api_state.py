"""The state half of :class:`faborite.api.Workspace`: reading, moving and looking after the state.

A base class of ``Workspace`` (the API is that one class); kept apart because
it is its own job: where the state lives, its history, the lock, moving it
between machines, resolving an interrupted apply, dropping old versions.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faborite.errors import StateError

if TYPE_CHECKING:
    from faborite.apply.gc import GcPlan
    from faborite.config.loader import Project
    from faborite.plan.drift import Drift
    from faborite.state.backend import StateBackend
    from faborite.state.lock import LockInfo
    from faborite.state.migrate import MigrationResult
    from faborite.state.model import HistoryEntry, State
    from faborite.state.schema_history import SchemaEntry
    from faborite.state.observed import CatalogView, Observed
    from faborite.target import TargetConnection


class StateCare:
    """The state of a :class:`faborite.api.Workspace`'s target (use it through ``Workspace``)."""

    root: Path
    #: Seconds apply, rollback, gc and sync wait for a held state lock (0: fail at once).
    lock_timeout: float
    if TYPE_CHECKING:
        project: Project
        target: str
        env: str | None

        def sibling_states(self) -> list[StateBackend]: ...

        def connect(self, *, read_only: bool = False) -> TargetConnection: ...

    @cached_property
    def state_backend(self) -> "StateBackend":
        """Where this target's state lives: its ``state:`` key, else its provider's default.

        Raises:
            ConfigError: the ``state:`` key is invalid, or a credential it needs is not set.
        """
        from faborite.config.targets import resolve_target
        from faborite.state.selection import open_state_backend, state_type

        target = resolve_target(self.project, self.target)
        if state_type(target) != "local":  # the state is behind a connection: credentials needed
            target = resolve_target(self.project, self.target, with_secrets=True)
        return open_state_backend(target, self.root, env=self.env)

    def state(self) -> "State | None":
        """The target's current state, as recorded.

        Returns:
            The latest snapshot (serial, lineage, every node's version and relation), or None before
            the first apply.

        Raises:
            StateError: the state cannot be read.
        """
        return self.state_backend.read()

    def history(self) -> list["HistoryEntry"]:
        """Every serial of the target's state, oldest first.

        Returns:
            One entry per serial: the event that made it (operation, who, when, changes) and its node count.

        Raises:
            StateError: the state cannot be read.
        """
        return self.state_backend.history()

    def schema_history(self, name: str) -> list["SchemaEntry"]:
        """Node ``name``'s columns and types at every serial that records it (``state show --schema``).

        Args:
            name: a node name (``orders``) or id (``model.orders``).

        Returns:
            One entry per serial, oldest first: serial, time, version, physical relation, columns.

        Raises:
            StateError: the state cannot be read, or no serial records the node.
        """
        from faborite.state.schema_history import schema_history

        return schema_history(self.state_backend, name)

    def pull_state(self) -> bytes:
        """The current state in the state file format, as ``faborite state pull`` prints it.

        Returns:
            The state file's bytes (JSON).

        Raises:
            StateError: there is no state yet, or it cannot be read.
        """
        from faborite.state.transfer import pull

        return pull(self.state_backend)

    def push_state(self, data: bytes, source: str, *, force: bool = False) -> "State | None":
        """Record the state file ``data`` as the next serial, under the lock (``faborite state push``).

        Args:
            data: a state file's bytes (from :meth:`pull_state`).
            source: where ``data`` came from, for messages.
            force: accept another lineage or target, or an older serial.

        Returns:
            The new state, or None when ``data`` is the current state already.

        Raises:
            StateError: the file is not a state, or is of another lineage, target or an older serial.
            LockError: another process holds the lock.
        """
        from faborite.state.transfer import push

        return push(self.state_backend, data, source, target=self.target, force=force)

    def migrate_state(self, to: dict[str, Any]) -> "MigrationResult":
        """Move the state to another backend (``state migrate``); faborite.yml is not changed.

        Copies every serial into the backend the ``state:`` block ``to`` names, under both
        locks, verifies each copy, then marks the current backend read-only (one final
        ``migrate`` serial that names the new one).

        Args:
            to: a ``state:`` block, e.g. ``{"type": "postgres", "url_env": "STATE_URL"}``.

        Returns:
            What was copied.

        Raises:
            ConfigError: ``to`` is not a valid ``state:`` block.
            StateError: the destination holds another state, or is the same storage.
            LockError: either lock is held.
        """
        from faborite.config.targets import resolve_target
        from faborite.state.migrate import migrate
        from faborite.state.selection import open_state_backend, state_type

        target = resolve_target(self.project, self.target, with_secrets=state_type(
            resolve_target(self.project, self.target), to) != "local")
        destination = open_state_backend(target, self.root, to, env=self.env)
        return migrate(self.state_backend, destination, moved_to=inline_yaml(to), lock_timeout=self.lock_timeout)

    def force_unlock(self, lock_id: str) -> "LockInfo":
        """Remove a lock left by a crashed process.

        Args:
            lock_id: the ID of the held lock (as the lock error printed it).

        Returns:
            The lock that was removed.

        Raises:
            StateError: the state is not locked, or ``lock_id`` is not the held lock's ID.
        """
        info = self.state_backend.lock_info()
        if info is None:
            raise StateError("the state is not locked", hint="nothing to unlock")
        self.state_backend.unlock(lock_id)
        return info

    def refreshed_state(self) -> "tuple[State | None, tuple[Drift, ...]]":
        """The state held against the target, read-only.

        Returns:
            The state with a pending intent resolved as the next command will resolve it, and
            every node whose version or published name is not there (drift).

        Raises:
            ProviderError: the target cannot be reached.
        """
        from faborite.plan.drift import find_drift
        from faborite.state.journal import journal_nodes, resolve_intent

        backend = self.state_backend
        state, intent = backend.read(), backend.read_intent()
        if state is None and intent is None:
            return None, ()  # nothing recorded: nothing to check
        nodes = journal_nodes(state, intent)
        observed = self.observe(nodes)
        self.__dict__["_last_observation"] = (nodes, observed)  # what a no-change plan remembers (api_no_change.py)
        state, _ = resolve_intent(state, intent, observed)
        return state, find_drift(state, observed)

    def observe(self, nodes, connection: "TargetConnection | None" = None) -> "Observed":
        """What the target really holds for ``nodes``, in one introspection.

        Args:
            nodes: state nodes to look for.
            connection: an open connection to use; by default a read-only one is opened and closed.

        Returns:
            The relations, view pointers and files found. A target whose database does not
            exist holds nothing.

        Raises:
            ProviderError: the target cannot be reached.
        """
        from faborite.errors import ProviderError, TargetMissingError
        from faborite.state.observed import observe

        nodes = list(nodes)
        if connection is not None:
            return observe(connection, nodes, self.root)
        from faborite.state.observed import target_schemas

        schemas = target_schemas(nodes)
        remembered_at, recalled = self._remembered_catalog(schemas)
        if recalled is not None:  # the catalog's files are as they were when it was last asked
            return observe(None, nodes, self.root, recalled=recalled, schemas=schemas)
        try:
            connection = self.connect(read_only=True)
        except TargetMissingError:
            return observe(None, nodes, self.root)
        except ProviderError as exc:
            exc.hint = "; ".join(filter(None, [exc.hint, "plan looks at the target to find drift; "
                                               "`faborite plan --refresh=false` plans without it"]))
            raise
        try:
            observed = observe(connection, nodes, self.root, schemas=schemas)
        finally:
            connection.close()
        if remembered_at is not None:
            from faborite.state.remembered_catalog import remember

            remember(remembered_at, schemas, observed.catalog)
        return observed

    def _remembered_catalog(self, schemas: list[str]) -> "tuple[Path | None, CatalogView | None]":
        """Where what the catalog query of ``schemas`` said is remembered (None: the target's
        provider names no catalog files), and what it said while those files are unchanged."""
        from faborite.api_sources import WORK_DIR
        from faborite.config.targets import resolve_target
        from faborite.state import remembered_catalog

        target = resolve_target(self.project, self.target)
        files = remembered_catalog.catalog_files(target.provider, target.config, self.root)
        if not files:
            return None, None
        path = remembered_catalog.remembered_at(self.root / WORK_DIR / "cache", files, schemas)
        return path, remembered_catalog.recall(path, files, schemas)

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
        """Resolve an interrupted apply or rollback now, under the lock (a no-op when none is pending).

        Returns:
            The current state afterwards.

        Raises:
            LockError: another process holds the lock.
            ProviderError: the target cannot be reached.
        """
        from faborite.state.backend import locked

        if self.state_backend.read_intent() is None:
            return self.state()
        with locked(self.state_backend, "recover", self.lock_timeout):
            connection = self.connect()
            try:
                return self._recover(connection)
            finally:
                connection.close()

    def plan_gc(self, keep: int) -> "GcPlan":
        """Which physical versions :meth:`gc` would drop (first resolves an interrupted apply).

        Args:
            keep: keep the versions of the newest ``keep`` states.

        Returns:
            The serials kept and the relations and version folders to drop.

        Raises:
            ProviderError: the target cannot be reached.
        """
        from faborite.apply.gc import plan_gc

        self.recover()  # an unresolved intent's versions may be published: never drop them
        connection = self.connect()
        try:
            return plan_gc(self.state_backend, connection, keep, self.root, others=self.sibling_states())
        finally:
            connection.close()

    def gc(self, keep: int) -> "GcPlan":
        """Drop physical versions that none of the newest ``keep`` states use, under the lock.

        Args:
            keep: keep the versions of the newest ``keep`` states (rollback can reach them).

        Returns:
            What was dropped.

        Raises:
            LockError: another process holds the lock.
            ProviderError: the target cannot be reached.
        """
        from faborite.apply.gc import execute_gc, plan_gc
        from faborite.state.backend import locked

        with locked(self.state_backend, "gc", self.lock_timeout):
            connection = self.connect()
            try:
                self._recover(connection)
                plan = plan_gc(self.state_backend, connection, keep, self.root, others=self.sibling_states())
                execute_gc(plan, connection, self.root)
                return plan
            finally:
                connection.close()


def inline_yaml(block: dict[str, Any]) -> str:
    """``block`` as one line of YAML, the way a user writes it: ``{type: postgres, url_env: STATE_URL}``."""
    import yaml

    return yaml.safe_dump(block, default_flow_style=True, sort_keys=False, width=1_000).strip()
