"""Rollback: republish an earlier state's versions. No rebuild: only views move.

The rollback is itself a new serial in history (``operation: rollback``), so
it can be rolled back too, and a saved plan made before it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from faborite import __version__
from faborite.apply.file_layer import publish_links
from faborite.apply.publish import publish_pointers
from faborite.errors import StateError
from faborite.relation import Relation
from faborite.state.backend import StateBackend
from faborite.state.lock import current_host, current_user
from faborite.state.model import NodeChangeRecord, State, StateEvent, utcnow
from faborite.target import TargetConnection


@dataclass(frozen=True)
class RollbackPlan:
    """What a rollback will do: which nodes move, appear or disappear."""

    current: State
    goal: State
    moved: tuple[str, ...]  # nodes whose version changes
    restored: tuple[str, ...]  # nodes the goal has and the current state does not
    removed: tuple[str, ...]  # nodes the current state has and the goal does not

    @property
    def changes(self) -> int:
        return len(self.moved) + len(self.restored) + len(self.removed)


def plan_rollback(backend: StateBackend, to_serial: int | None) -> RollbackPlan:
    """Compare the current state with the one to go back to (default: the previous serial)."""
    current = backend.read()
    if current is None:
        raise StateError("nothing to roll back: no state yet", hint="run `faborite apply` first")
    serial = current.serial - 1 if to_serial is None else to_serial
    if to_serial is None and serial < 1:
        raise StateError("nothing to roll back to: this is the first state", hint="`faborite state history` lists serials")
    if serial < 1:
        raise StateError(f"there is no serial {serial}: serials start at 1", hint="`faborite state history` lists serials")
    if serial >= current.serial:
        raise StateError(f"serial {serial} is not earlier than the current serial {current.serial}",
                         hint="`faborite state history` lists serials")
    goal = backend.read_serial(serial)
    moved = tuple(i for i, n in goal.nodes.items() if i in current.nodes and
                  (current.nodes[i].physical, current.nodes[i].relation) != (n.physical, n.relation))
    restored = tuple(i for i in goal.nodes if i not in current.nodes)
    removed = tuple(i for i in current.nodes if i not in goal.nodes)
    return RollbackPlan(current=current, goal=goal, moved=moved, restored=restored, removed=removed)


def execute_rollback(plan: RollbackPlan, connection: TargetConnection, backend: StateBackend,
                     project_root: Path) -> State:
    """Republish ``plan.goal``'s physical relations and record a new serial."""
    goal, current = plan.goal, plan.current
    physicals = {Relation.parse(n.physical) for n in goal.nodes.values() if not n.extra.get("files")}
    existing = connection.list_relations(sorted({p.schema_name for p in physicals}))
    missing = sorted(p.key for p in physicals - existing)
    if missing:
        raise StateError(
            f"cannot roll back to serial {goal.serial}: {len(missing)} of its versions no longer exist "
            f"(e.g. {missing[0]})",
            hint="they were garbage-collected or dropped by hand; roll back to a newer serial or apply",
        )
    is_file = lambda state, i: bool(state.nodes[i].extra.get("files"))  # noqa: E731
    pointers = {Relation.parse(goal.nodes[i].relation): Relation.parse(goal.nodes[i].physical)
                for i in (*plan.moved, *plan.restored) if not is_file(goal, i)}
    links = {goal.nodes[i].relation: goal.nodes[i].physical for i in (*plan.moved, *plan.restored) if is_file(goal, i)}
    # A node published under another name (alias or schema changed) leaves its current name.
    leaving = [*plan.removed, *(i for i in plan.moved if current.nodes[i].relation != goal.nodes[i].relation)]
    drops = [Relation.parse(current.nodes[i].relation) for i in leaving if not is_file(current, i)]
    unlinks = [current.nodes[i].relation for i in leaving if is_file(current, i)]
    records = ([NodeChangeRecord(node=i, action="replace") for i in plan.moved]
               + [NodeChangeRecord(node=i, action="create") for i in plan.restored]
               + [NodeChangeRecord(node=i, action="delete") for i in plan.removed])
    event = StateEvent(operation="rollback", who=current_user(), host=current_host(), at=utcnow(),
                       faborite_version=__version__, changes=tuple(records), rolled_back_to=goal.serial)
    new = current.next(nodes=goal.nodes, event=event, faborite_version=__version__)
    # Journal, publish, record: as apply does (see faborite.state.journal).
    backend.write_intent(new)
    publish_pointers(connection, pointers, drops)
    publish_links(project_root, links, unlinks)
    backend.write(new, expected_serial=current.serial)
    backend.clear_intent()
    return new
