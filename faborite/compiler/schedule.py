"""Schedules: which nodes ``apply --due`` rebuilds at a given clock.

A node's ``schedule:`` is a cron expression (croniter's five fields, UTC). It
is *due* when the schedule fired after the node's last build: the latest
firing at or before ``now`` is later than the time the state records for the
build. The build time is the clock the building apply judged by (``--now``,
kept in the node's state as ``scheduled_at``), else ``applied_at``. A node
never built is due; a node without a schedule never is. Nothing here reads a
clock: ``now`` is always given, so the same inputs pick the same nodes.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING


if TYPE_CHECKING:
    from faborite.compiler.manifest import Manifest
    from faborite.state.model import NodeState, State

#: Where a node's state keeps the clock its last build was judged by.
SCHEDULED_AT = "scheduled_at"


def check_cron(value: str) -> str:
    """``value`` if it is a five-field cron expression; else ValueError saying what is expected."""
    from croniter import croniter  # here: every apply imports this module (SCHEDULED_AT), few use cron

    if not isinstance(value, str) or len(value.split()) != 5 or not croniter.is_valid(value):
        raise ValueError(f"{value!r} is not a cron expression: five fields, minute hour day month weekday, "
                         "e.g. '0 6 * * *' (06:00 UTC every day)")
    return value


def last_fired(schedule: str, now: datetime) -> datetime:
    """The latest time at or before ``now`` the schedule fired (UTC)."""
    from croniter import croniter

    now = now.astimezone(timezone.utc)
    if croniter.match(schedule, now.replace(second=0, microsecond=0)) and now.second == 0 and not now.microsecond:
        return now
    return croniter(schedule, now).get_prev(datetime).astimezone(timezone.utc)


def last_built(old: NodeState) -> datetime:
    """When ``old`` was last built, on the clock schedules are judged by."""
    at = old.extra.get(SCHEDULED_AT)
    return datetime.fromisoformat(at) if at else old.applied_at


def due_nodes(manifest: Manifest, state: State | None, now: datetime) -> dict[str, str]:
    """Node id -> why it is due at ``now``, for every scheduled node that is."""
    old_nodes = state.nodes if state else {}
    due = {}
    for node in manifest.built_nodes():
        if not node.schedule:
            continue
        old = old_nodes.get(node.id)
        fired = last_fired(node.schedule, now)
        if old is None:
            due[node.id] = f"due: schedule '{node.schedule}', never built"
        elif fired > last_built(old):
            due[node.id] = (f"due: schedule '{node.schedule}' fired at {fired:%Y-%m-%d %H:%M} UTC, "
                            f"after its last build at {last_built(old):%Y-%m-%d %H:%M} UTC")
    return due
