"""What a webhook receives: one JSON summary per apply, rollback or sync, success or failure.

The summary is data (:class:`Summary`, ``format_version`` 1; fields are only
ever added). :class:`Report` collects it while the operation runs, so a
failure half-way still reports what was planned and what went wrong.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from faborite.apply.context import ApplyResult
    from faborite.apply.rollback import RollbackPlan
    from faborite.plan.model import Plan
    from faborite.state.model import State

#: At most this many nodes are listed; the rest are counted in ``nodes_omitted``
#: (a chat webhook refuses large bodies, and a 10,000-node list helps nobody there).
MAX_NODES = 50
#: Bump only for an incompatible change; adding a field keeps the version.
FORMAT_VERSION = 1


class NodeOutcome(BaseModel):
    """One node the operation touched: what the plan did to it and how it ended."""

    model_config = ConfigDict(frozen=True)

    id: str
    action: str  # create | replace | update | delete (apply, sync); moved | restored | removed (rollback)
    outcome: str  # built | reused | published | failed | skipped | deferred | not_published


class Summary(BaseModel):
    """The JSON body POSTed to every webhook."""

    model_config = ConfigDict(frozen=True)

    format_version: int = FORMAT_VERSION
    operation: Literal["apply", "rollback", "sync"]
    #: succeeded; partial (some sync tables failed, the rest was published); failed (nothing published).
    status: Literal["succeeded", "partial", "failed"]
    project: str
    target: str
    #: The environment the operation acted on, by name (the default one's too: ``prod``).
    environment: str | None = None
    serial_before: int | None
    serial_after: int | None
    counts: dict[str, int]
    started_at: datetime
    duration_seconds: float
    who: str
    host: str
    faborite_version: str
    error: str | None = None
    nodes: tuple[NodeOutcome, ...] = ()
    nodes_omitted: int = 0


@dataclass
class Report:
    """Collects one operation's summary while it runs (the Workspace fills it in)."""

    operation: str
    project: str
    target: str
    serial_before: int | None
    environment: str | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    _started: float = field(default_factory=time.monotonic)
    status: str = "succeeded"
    serial_after: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    nodes: list[NodeOutcome] = field(default_factory=list)
    error: str | None = None

    def planned(self, plan: "Plan") -> None:
        """Record what ``plan`` is about to change: reported as not published if the operation fails."""
        self.nodes = [NodeOutcome(id=c.node_id, action=c.action.value, outcome="not_published")
                      for c in plan.visible_changes()]
        self.counts = {"changes": len(self.nodes)}

    def applied(self, plan: "Plan", result: "ApplyResult") -> None:
        """Record how each of ``plan``'s changes ended in ``result``."""
        self.nodes = [NodeOutcome(id=c.node_id, action=c.action.value, outcome=_outcome(c.node_id, result))
                      for c in plan.visible_changes()]
        outcomes = [node.outcome for node in self.nodes]
        self.counts = {"changes": len(self.nodes),
                       **{kind: outcomes.count(kind) for kind in ("built", "reused", "failed", "skipped", "deferred")}}
        self.serial_after = result.new_state.serial if result.new_state else None
        self.status = "partial" if result.failed else "succeeded"

    def rolled_back(self, plan: "RollbackPlan", new: "State") -> None:
        """Record a finished rollback: which nodes moved, came back or went."""
        self.nodes = [NodeOutcome(id=node_id, action=action, outcome="published")
                      for action, ids in (("moved", plan.moved), ("restored", plan.restored),
                                          ("removed", plan.removed)) for node_id in ids]
        self.counts = {"changes": plan.changes, "moved": len(plan.moved), "restored": len(plan.restored),
                       "removed": len(plan.removed)}
        self.serial_after = new.serial

    def failed(self, error: BaseException) -> None:
        """Record that the operation stopped with ``error`` (nothing past the failure was published)."""
        from faborite.errors import FaboriteError

        self.status = "failed"
        self.serial_after = None
        # Only a FaboriteError's message is written for users; anything else is a bug whose text
        # (a driver's exception, say) may quote connection details.
        self.error = error.message if isinstance(error, FaboriteError) else (
            f"unexpected {type(error).__name__}; run the command with --debug for details")

    def summary(self) -> Summary:
        """The summary as it stands now, with the node list capped at :data:`MAX_NODES`."""
        from faborite import __version__
        from faborite.state.lock import current_host, current_user

        return Summary(
            operation=self.operation, status=self.status, project=self.project, target=self.target,
            environment=self.environment, serial_before=self.serial_before, serial_after=self.serial_after, counts=self.counts,
            started_at=self.started_at, duration_seconds=round(time.monotonic() - self._started, 3),
            who=current_user(), host=current_host(), faborite_version=__version__, error=self.error,
            nodes=tuple(self.nodes[:MAX_NODES]), nodes_omitted=max(0, len(self.nodes) - MAX_NODES),
        )


def _outcome(node_id: str, result: "ApplyResult") -> str:
    if node_id in result.failed:
        return "failed"
    if node_id in result.skipped:
        return "skipped"
    if node_id in result.deferred:
        return "deferred"
    built = result.built.get(node_id)
    if built is not None:
        return "reused" if built.reused else "built"
    return "published"  # a delete or a metadata-only update: nothing to build
