"""Resolving an interrupted publish: the intent journal's recovery rule.

apply and rollback write the state they are about to publish as an *intent*
(:class:`~faborite.state.backend.IntentJournal`), publish, record the state,
then clear the intent. A kill can land between any two of those steps. The
next command looks at what is really published and decides:

- nothing of the intent is published: the old state is still true; the
  intent is discarded (the kill came before publish, or publish rolled back);
- any of it is published: the intent is the truth (publish committed, or got
  partway on an engine without transactional DDL); it is recorded as the next
  serial, and drift detection re-publishes whatever part did not make it.

Either way the recorded state describes what users read, so "No changes."
stays true after any kill. :func:`resolve_intent` is pure (``plan`` uses it
in memory); :func:`recover` writes its decision under the caller's lock.
"""

from __future__ import annotations

from typing import Literal

from faborite.state.backend import IntentJournal, StateWriter
from faborite.state.model import NodeState, State
from faborite.state.observed import MISSING, Observed

Resolution = Literal["none", "adopt", "discard"]


def resolve_intent(state: State | None, intent: State | None, observed: Observed) -> tuple[State | None, Resolution]:
    """The state that describes what is published, and what to do with the intent."""
    if intent is None:
        return state, "none"
    expected_serial = (state.serial if state else 0) + 1
    if intent.serial != expected_serial or (state is not None and intent.lineage != state.lineage):
        return state, "discard"  # already recorded (the kill came after record), or not ours
    return (intent, "adopt") if _published(state, intent, observed) else (state, "discard")


def _published(state: State | None, intent: State, observed: Observed) -> bool:
    """Whether any pointer the intent moves is where the intent puts it."""
    old = state.nodes if state else {}
    moved = [n for n in intent.nodes.values()
             if n.id not in old or (old[n.id].physical, old[n.id].relation) != (n.physical, n.relation)]
    gone = [n for node_id, n in old.items() if node_id not in intent.nodes]
    if not moved and not gone:
        return True  # metadata only: both states describe the same data; keep what was audited
    if any(observed.publishes(n.relation, n.physical) for n in moved):
        return True
    # Only deletions: they are published when every deleted name is gone.
    return not moved and all(observed.points_at(n.relation) == MISSING for n in gone)


def journal_nodes(state: State | None, intent: State | None) -> list[NodeState]:
    """Every node the state or the intent records: what resolving the intent must look at."""
    return [*(state.nodes.values() if state else ()), *(intent.nodes.values() if intent else ())]


def recover(backend: "StateWriter | IntentJournal", state: State | None, intent: State, observed: Observed) -> State | None:
    """Resolve ``intent`` for real, as read with ``state`` (the caller holds the lock); the current state."""
    resolved, resolution = resolve_intent(state, intent, observed)
    if resolution == "adopt":
        backend.write(intent, expected_serial=state.serial if state else None)  # type: ignore[union-attr]
    backend.clear_intent()  # type: ignore[union-attr]
    return resolved
