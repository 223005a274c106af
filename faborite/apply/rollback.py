"""Rollback: republish an earlier state's versions. No rebuild: only views move.

The rollback is itself a new serial in history (``operation: rollback``), so
it can be rolled back too, and a saved plan made before it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from faborite import __version__
from faborite.apply.republish import Moves, check_exist, republish
from faborite.errors import StateError
from faborite.state.backend import StateBackend
from faborite.state.lock import current_host, current_user
from faborite.state.model import State, StateEvent, utcnow
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
    moves = Moves.between(current.nodes, goal.nodes)
    return RollbackPlan(current=current, goal=goal, moved=moves.moved, restored=moves.restored, removed=moves.removed)


def execute_rollback(plan: RollbackPlan, connection: TargetConnection, backend: StateBackend,
                     project_root: Path) -> State:
    """Republish ``plan.goal``'s physical relations and record a new serial."""
    goal, current = plan.goal, plan.current
    check_exist(goal.nodes, connection, f"cannot roll back to serial {goal.serial}",
                "they were garbage-collected or dropped by hand; roll back to a newer serial or apply")
    moves = Moves(moved=plan.moved, restored=plan.restored, removed=plan.removed)
    event = StateEvent(operation="rollback", who=current_user(), host=current_host(), at=utcnow(),
                       faborite_version=__version__, changes=moves.records(), rolled_back_to=goal.serial)
    return republish(current, goal.nodes, event=event, target=current.target, connection=connection,
                     backend=backend, project_root=project_root)
