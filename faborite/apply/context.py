"""What every apply stage reads and fills in, passed explicitly from stage to stage."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from faborite.apply.file_layer import version_folder
from faborite.compiler.manifest import Manifest, Node
from faborite.plan.model import Action, Change, Plan
from faborite.relation import Relation
from faborite.state.backend import StateBackend
from faborite.state.model import NodeState, State
from faborite.target import Column, TargetConnection

if TYPE_CHECKING:
    from faborite.sync.source import TableSource


def writes_files(node: Node) -> bool:
    """Whether a node's output is files (published by symlink), not a relation in the target."""
    from faborite.apply.node_handlers import handler_for

    return handler_for(node).output == "files"


@dataclass(frozen=True)
class ApplyEvent:
    """Progress for the UI: a stage started, a node was built, a check ran."""

    kind: str  # stage | node_start | node_done | node_reused | check | warning | sync_start | sync_progress
    node: str | None = None
    message: str = ""
    seconds: float | None = None
    rows: int = 0  # sync_progress: rows copied so far
    bytes: int = 0  # sync_progress: bytes copied so far
    total: int | None = None  # sync_start: rows expected, when the source knows


@dataclass
class BuiltNode:
    """What the build stage learned about a node's physical relation."""

    physical: Relation
    columns: tuple[Column, ...] = ()
    row_count: int | None = None
    reused: bool = False
    #: Kept in the node's state (syncs: source version, cursor, bytes copied).
    extra: dict = field(default_factory=dict)


@dataclass
class ApplyResult:
    """What one apply did. The reviewed plan is never rewritten: outcomes land here."""

    #: Nodes built (or reused) this run, by id.
    built: dict[str, BuiltNode] = field(default_factory=dict)
    #: Sync nodes that failed (id -> message) and nodes skipped because they read one.
    failed: dict[str, str] = field(default_factory=dict)
    skipped: set[str] = field(default_factory=set)
    #: Nodes the plan changed that keep exactly what the state records (failed or skipped).
    deferred: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    #: The state this apply published (set by the journal stage).
    new_state: State | None = None


@dataclass
class ApplyContext:
    """Inputs and in-progress results of one apply."""

    plan: Plan
    state: State | None
    connection: TargetConnection
    project_root: Path
    #: Writes the new serial and keeps the intent journal (a lock is not needed here: the caller holds it).
    state_writer: StateBackend | None = None
    #: Opens a sync source by name (syncs only); the Workspace supplies it.
    open_source: Callable[[str], "TableSource"] | None = None
    threads: int = 1
    #: Stop at the first failed sync table; otherwise a failed table (and what reads
    #: it) is left as it was and the rest is published. Model failures always stop.
    fail_fast: bool = False
    #: ``--allow-destructive``: publish even when columns or relations readers use go away.
    allow_destructive: bool = False
    #: A new environment (``--env``): the nodes of the state it starts from (renamed into it), whose
    #: columns, row counts and build times carry over to the versions it publishes without building.
    base_nodes: dict[str, NodeState] = field(default_factory=dict)
    on_event: Callable[[ApplyEvent], None] = lambda event: None
    result: ApplyResult = field(default_factory=ApplyResult)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _changes: dict[str, Change] | None = None
    _relation_map: tuple[frozenset[str], dict[str, Relation]] | None = None

    @property
    def manifest(self) -> Manifest:
        return self.plan.manifest

    def emit(self, kind: str, node: str | None = None, message: str = "", seconds: float | None = None,
             **counts: int | None) -> None:
        """Report progress (thread-safe)."""
        with self._lock:
            self.on_event(ApplyEvent(kind=kind, node=node, message=message, seconds=seconds, **counts))

    def changes_by_node(self) -> dict[str, Change]:
        """The plan's changes keyed by node id, as reviewed (computed once, never rewritten)."""
        if self._changes is None:
            self._changes = {c.node_id: c for c in self.plan.changes}
        return self._changes

    def is_deferred(self, node_id: str) -> bool:
        """Whether the node keeps what the state records: left out by the plan, or by this run."""
        change = self.changes_by_node().get(node_id)
        return node_id in self.result.deferred or (change is not None and change.deferred)

    def action_of(self, node_id: str) -> Action | None:
        """What this run does to the node: the plan's action, NOOP once deferred (None: not in the plan)."""
        change = self.changes_by_node().get(node_id)
        if change is None:
            return None
        return Action.NOOP if node_id in self.result.deferred else change.action

    def defer(self, node_ids: set[str]) -> None:
        """Take nodes out of this apply: they keep exactly what the state records."""
        self.result.deferred |= node_ids

    def rebuilt(self) -> list[Node]:
        """Nodes this apply builds, in topological order."""
        changes = self.changes_by_node()
        return [n for n in self.manifest.built_nodes()
                if changes.get(n.id) and changes[n.id].rebuild and not self.is_deferred(n.id)]

    def _kept(self, node: Node) -> str | None:
        """The physical key the node keeps from the state (None: it gets a new version)."""
        change = self.changes_by_node().get(node.id)
        if node.id in self.result.deferred:
            old = self.state.nodes.get(node.id) if self.state else None
            return old.physical if old else None
        if change is not None and not change.rebuild and change.kept_physical:
            return change.kept_physical
        return None

    def physical_key(self, node: Node) -> str:
        """Where ``node``'s data lives after this apply, as stored in state: a relation
        ``schema.name``, or for a file output the version folder's path."""
        kept = self._kept(node)
        if kept:
            return kept
        if writes_files(node):
            return version_folder(node.logical_relation, self._build_key(node))
        return self.physical_of(node).key

    def _build_key(self, node: Node) -> str:
        """What a new physical relation is named after: the version, or the plan's fresh key for it."""
        change = self.changes_by_node().get(node.id)
        return change.build_key if change is not None and change.build_key else node.version

    def physical_of(self, node: Node) -> Relation:
        """Where ``node``'s data lives after this apply: a new version, or the kept one."""
        kept = self._kept(node)
        if kept:
            return Relation.parse(kept)
        return Relation.parse(node.logical_relation).physical(self._build_key(node))

    def target_sql(self, node: Node, *, previous: Relation | None = None) -> str:
        """The node's query translated for the target, reading the physical versions.

        ``previous``: an incremental model's published version: the ``is_incremental()`` branch
        is translated instead, its ``{{ this }}`` reading ``previous``.
        """
        from faborite.compiler.sql import to_target_sql

        sql, relations = node.sql or "", self.relation_map()
        if previous is not None:
            sql, relations = node.incremental_sql or sql, {**relations, node.logical_relation: previous}
        return to_target_sql(sql, read=self.manifest.sql_dialect,
                             write=self.connection.dialect.sqlglot_dialect, relation_map=relations)

    def relation_map(self) -> dict[str, Relation]:
        """Virtual ``schema.name`` -> physical relation for every built node, for rewriting SQL
        (computed once per set of deferred nodes: every model's translation reads it)."""
        key = frozenset(self.result.deferred)
        if self._relation_map is None or self._relation_map[0] != key:
            mapping = {n.logical_relation: self.physical_of(n) for n in self.manifest.built_nodes() if not writes_files(n)}
            self._relation_map = (key, mapping)
        return self._relation_map[1]

    def deletes(self) -> list[Change]:
        """The plan's deletions (a deletion is never deferred)."""
        return [c for c in self.plan.changes if c.action is Action.DELETE]
