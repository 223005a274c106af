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
from faborite.state.model import State
from faborite.target import Column, TargetConnection

if TYPE_CHECKING:
    from faborite.sync.source import TableSource


def writes_files(node: Node) -> bool:
    """Whether a node's output is files (published by symlink), not a relation in the target."""
    return node.sync is not None and node.sync.format != "target"


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
    #: Sync nodes that failed (id -> message) and nodes skipped because they read one.
    failed: dict[str, str] = field(default_factory=dict)
    skipped: set[str] = field(default_factory=set)
    on_event: Callable[[ApplyEvent], None] = lambda event: None
    built: dict[str, BuiltNode] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    new_state: State | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _changes: dict[str, Change] | None = None

    @property
    def manifest(self) -> Manifest:
        return self.plan.manifest

    def emit(self, kind: str, node: str | None = None, message: str = "", seconds: float | None = None,
             **counts: int | None) -> None:
        """Report progress (thread-safe)."""
        with self._lock:
            self.on_event(ApplyEvent(kind=kind, node=node, message=message, seconds=seconds, **counts))

    def changes_by_node(self) -> dict[str, Change]:
        """The plan's changes keyed by node id (computed once)."""
        if self._changes is None:
            self._changes = {c.node_id: c for c in self.plan.changes}
        return self._changes

    def defer(self, node_ids: set[str]) -> None:
        """Take nodes out of this apply: they keep exactly what the state records."""
        changes = self.changes_by_node()
        old_nodes = self.state.nodes if self.state else {}
        for node_id in node_ids:
            old = old_nodes.get(node_id)
            changes[node_id] = changes[node_id].model_copy(update={
                "action": Action.NOOP, "deferred": True, "rebuild": False,
                "kept_physical": old.physical if old else None})

    def rebuilt(self) -> list[Node]:
        """Nodes this apply builds, in topological order."""
        changes = self.changes_by_node()
        return [n for n in self.manifest.built_nodes() if changes.get(n.id) and changes[n.id].rebuild]

    def physical_key(self, node: Node) -> str:
        """Where ``node``'s data lives after this apply, as stored in state: a relation
        ``schema.name``, or for a file output the version folder's path."""
        change = self.changes_by_node().get(node.id)
        if change is not None and not change.rebuild and change.kept_physical:
            return change.kept_physical
        if writes_files(node):
            return version_folder(node.relation, node.version)
        return self.physical_of(node).key

    def physical_of(self, node: Node) -> Relation:
        """Where ``node``'s data lives after this apply: a new version, or the kept one."""
        change = self.changes_by_node().get(node.id)
        if change is not None and not change.rebuild and change.kept_physical:
            return Relation.parse(change.kept_physical)
        return Relation.parse(node.relation).physical(node.version)

    def relation_map(self) -> dict[str, Relation]:
        """Virtual ``schema.name`` -> physical relation for every built node, for rewriting SQL."""
        return {n.relation: self.physical_of(n) for n in self.manifest.built_nodes() if not writes_files(n)}

    def deletes(self) -> list[Change]:
        return [c for c in self.plan.changes if c.action is Action.DELETE]
