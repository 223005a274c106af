"""The state snapshot as plain data: what was built, where, and what produced it.

These models define *what* a state is. Storing it is :mod:`.file_format`'s job
(which owns ``format_version``) and a backend's (which owns serials on disk).
Every model is frozen: a snapshot, once written, never changes; the next one is
made with :meth:`State.next`.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from faborite.target import Column

#: The actions a :class:`NodeChangeRecord` is expected to carry, in display order.
ACTIONS = ("create", "update", "replace", "delete")


def _as_utc(value: datetime) -> datetime:
    # Naive datetimes are ambiguous across machines (CI in UTC, laptops not), so
    # refuse them; aware ones are normalised so snapshots compare and print alike.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return value.astimezone(timezone.utc)


#: A timezone-aware datetime, stored in UTC.
UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NodeState(_Frozen):
    """One built node in a state snapshot."""

    id: str  # "model.orders", "seed.customers"
    kind: str  # "model" | "seed" | "sync"
    version: str  # sha256 hex of data_hash + parents' versions
    data_hash: str
    metadata_hash: str
    relation: str  # virtual relation "schema.name" users query
    physical: str  # physical relation "schema.name" holding this version's data
    materialized: str  # "table" | "view" | "seed" ...
    sql: str | None = None  # rendered SQL, so the next plan can show a diff
    parents: tuple[str, ...] = ()
    columns: tuple[Column, ...] = ()
    row_count: int | None = None
    applied_at: UtcDatetime
    extra: dict[str, Any] = {}  # per-kind data (sync cursors etc.); must be JSON-safe


class NodeChangeRecord(_Frozen):
    """One node's change in the operation that produced a serial."""

    node: str
    action: str  # one of ACTIONS


class StateEvent(_Frozen):
    """What produced a serial: the line ``faborite state history`` prints for it."""

    operation: str  # "apply" | "rollback" | "promote" | "env-delete" | "migrate"
    who: str
    host: str
    at: UtcDatetime
    faborite_version: str
    changes: tuple[NodeChangeRecord, ...] = ()
    rolled_back_to: int | None = None
    #: Set on the last serial of a state copied elsewhere by ``state migrate``: the new backend
    #: (its ``state:`` block as inline YAML). A state whose latest serial has it is read-only.
    moved_to: str | None = None
    #: Set by ``env promote``: the environment whose versions this serial publishes.
    promoted_from: str | None = None

    def summary(self) -> dict[str, int]:
        """Number of changed nodes per action: every known action (zeros included), then any other."""
        counts = Counter(change.action for change in self.changes)
        # Known actions always present so renderers get a stable shape.
        summary = {action: counts.pop(action, 0) for action in ACTIONS}
        summary.update(sorted(counts.items()))
        return summary


NodesArg = Mapping[str, NodeState] | Iterable[NodeState]


def _node_dict(nodes: NodesArg) -> dict[str, NodeState]:
    if isinstance(nodes, Mapping):
        return dict(nodes)
    return {node.id: node for node in nodes}


class State(_Frozen):
    """A snapshot of one target: every built node, plus the event that produced it.

    ``lineage`` identifies a chain of snapshots (set once, when the first state
    is written); ``serial`` counts snapshots within it. A saved plan records
    both and is refused when either has moved.
    """

    lineage: str = Field(min_length=1)
    serial: int = Field(ge=1)
    target: str
    faborite_version: str
    nodes: dict[str, NodeState] = {}
    event: StateEvent | None = None

    @model_validator(mode="after")
    def _keys_match_ids(self) -> "State":
        # The key is redundant with NodeState.id; a mismatch means a hand-edited
        # or buggy file, and a plan keyed on the wrong id would be wrong silently.
        for key, node in self.nodes.items():
            if key != node.id:
                raise ValueError(f"node key {key!r} does not match its id {node.id!r}")
        return self

    def next(self, *, nodes: NodesArg, event: StateEvent | None, faborite_version: str) -> "State":
        """The snapshot that follows this one: same lineage and target, ``serial + 1``.

        ``nodes`` is a mapping by id or an iterable of :class:`NodeState`.
        """
        return State(
            lineage=self.lineage,
            serial=self.serial + 1,
            target=self.target,
            faborite_version=faborite_version,
            nodes=_node_dict(nodes),
            event=event,
        )

    @classmethod
    def first(
        cls, *, target: str, nodes: NodesArg, event: StateEvent | None, faborite_version: str
    ) -> "State":
        """The first snapshot of a target: a new lineage and serial 1."""
        return cls(
            lineage=uuid.uuid4().hex,
            serial=1,
            target=target,
            faborite_version=faborite_version,
            nodes=_node_dict(nodes),
            event=event,
        )


class HistoryEntry(_Frozen):
    """One serial in a target's history, without its nodes."""

    serial: int
    event: StateEvent | None
    node_count: int
