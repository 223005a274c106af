"""Republishing recorded versions: the step rollback, ``env promote`` and ``env delete`` share.

Each points virtual relations at physical versions that already exist (or
drops them) and records a new serial; nothing is computed. It goes through
the same journal, publish and record steps as apply (see
:mod:`faborite.state.journal`), so a kill at any point leaves a state that
describes what users read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from faborite import __version__
from faborite.apply.file_layer import publish_links
from faborite.apply.publish import publish_pointers
from faborite.errors import StateError
from faborite.relation import Relation
from faborite.state.backend import StateBackend
from faborite.state.model import NodeChangeRecord, NodeState, State, StateEvent
from faborite.target import TargetConnection


@dataclass(frozen=True)
class Moves:
    """How going from one set of recorded nodes to another changes what is published."""

    moved: tuple[str, ...]  # nodes whose version (or published name) changes
    restored: tuple[str, ...]  # nodes only the goal has
    removed: tuple[str, ...]  # nodes only the current state has

    @classmethod
    def between(cls, current: Mapping[str, NodeState], goal: Mapping[str, NodeState]) -> "Moves":
        """The moves that take ``current`` (published nodes) to ``goal``."""
        moved = tuple(i for i, n in goal.items() if i in current and
                      (current[i].physical, current[i].relation) != (n.physical, n.relation))
        return cls(moved=moved, restored=tuple(i for i in goal if i not in current),
                   removed=tuple(i for i in current if i not in goal))

    @property
    def count(self) -> int:
        """How many nodes change."""
        return len(self.moved) + len(self.restored) + len(self.removed)

    def records(self) -> tuple[NodeChangeRecord, ...]:
        """The moves as a state event's changes."""
        return tuple([NodeChangeRecord(node=i, action="replace") for i in self.moved]
                     + [NodeChangeRecord(node=i, action="create") for i in self.restored]
                     + [NodeChangeRecord(node=i, action="delete") for i in self.removed])


def missing_versions(nodes: Mapping[str, NodeState], connection: TargetConnection) -> list[str]:
    """The physical relations of ``nodes`` the target no longer holds (gc'd or dropped by hand), sorted."""
    physicals = {Relation.parse(n.physical) for n in nodes.values() if not n.extra.get("files")}
    existing = connection.list_relations(sorted({p.schema_name for p in physicals}))
    return sorted(p.key for p in physicals - existing)


def republish(current: State | None, goal: Mapping[str, NodeState], *, event: StateEvent, target: str,
              connection: TargetConnection, backend: StateBackend, project_root: Path) -> State:
    """Publish ``goal``'s versions where ``current`` publishes others, drop what only ``current``
    has, and record ``goal`` as the next serial (the first, when ``current`` is None) with ``event``.

    The caller holds ``backend``'s lock and has checked the versions exist (:func:`missing_versions`).
    """
    now = current.nodes if current is not None else {}
    moves = Moves.between(now, goal)
    is_file = lambda nodes, i: bool(nodes[i].extra.get("files"))  # noqa: E731
    changed = (*moves.moved, *moves.restored)
    pointers = {Relation.parse(goal[i].relation): Relation.parse(goal[i].physical)
                for i in changed if not is_file(goal, i)}
    links = {goal[i].relation: goal[i].physical for i in changed if is_file(goal, i)}
    # A node published under another name (alias, schema or environment changed) leaves its current name.
    leaving = [*moves.removed, *(i for i in moves.moved if now[i].relation != goal[i].relation)]
    drops = [Relation.parse(now[i].relation) for i in leaving if not is_file(now, i)]
    unlinks = [now[i].relation for i in leaving if is_file(now, i)]
    if current is None:
        new = State.first(target=target, nodes=dict(goal), event=event, faborite_version=__version__)
    else:
        new = current.next(nodes=dict(goal), event=event, faborite_version=__version__)
    backend.write_intent(new)
    publish_pointers(connection, pointers, drops)
    publish_links(project_root, links, unlinks)
    backend.write(new, expected_serial=current.serial if current is not None else None)
    backend.clear_intent()
    return new


def check_exist(nodes: Mapping[str, NodeState], connection: TargetConnection, what: str, hint: str) -> None:
    """Raise :class:`StateError` ``"<what>: N of its versions no longer exist"`` when some are gone."""
    missing = missing_versions(nodes, connection)
    if missing:
        raise StateError(f"{what}: {len(missing)} of its versions no longer exist (e.g. {missing[0]})", hint=hint)
