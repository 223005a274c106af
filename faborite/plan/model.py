"""The plan as plain data: one :class:`Change` per node, nothing computed here.

Actions use Terraform's vocabulary. ``replace`` builds a new version of a node
beside the old one and swaps it in at publish; ``update`` changes only
metadata (and re-runs checks); ``no-op`` keeps the node's data, possibly
under a new version when an upstream change could not affect it.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict

from faborite.compiler.manifest import Manifest
from faborite.config.inputs import ProjectInputs
from faborite.plan.atomicity import PublishStrategy
from faborite.plan.drift import Drift


class Action(str, Enum):
    """What apply does to a node."""

    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    NOOP = "no-op"

    @property
    def terraform_actions(self) -> list[str]:
        """The action list Terraform's JSON plan uses for this action."""
        return {"replace": ["delete", "create"]}.get(self.value, [self.value])


Category = Literal["breaking", "non-breaking", "metadata-only"]

ReasonCode = Literal[
    "new", "sql_changed", "config_changed", "seed_changed", "upstream_changed",
    "source_changed", "metadata_changed", "removed", "drift", "incremental", "full_rebuild", "schedule", "moved",
    "environment",
]


class Reason(BaseModel):
    """Why a node changes: a code for machines and a sentence for people."""

    model_config = ConfigDict(frozen=True)

    code: ReasonCode
    detail: str


class Change(BaseModel):
    """What the plan does to one node."""

    model_config = ConfigDict(frozen=True)

    node_id: str
    name: str
    kind: str
    relation: str
    materialized: str
    action: Action
    #: The relation it was published as before, when a new alias or schema moves it.
    old_relation: str | None = None
    category: Category | None = None
    reasons: tuple[Reason, ...] = ()
    old_version: str | None = None
    new_version: str | None = None
    #: Whether apply builds a new physical relation (else it keeps ``kept_physical``).
    rebuild: bool = False
    kept_physical: str | None = None
    #: Not selected for this run: the node keeps exactly what the state records.
    deferred: bool = False
    sql_diff: str | None = None
    #: An incremental model's update: the physical version its new version is built from
    #: (that version plus the new rows); None: built whole.
    incremental_from: str | None = None
    #: Published columns this change takes away, as ``"amount dropped"`` / ``"id retyped INTEGER -> VARCHAR"``
    #: (found at plan time where the new query's columns are known; apply finds the rest after building).
    column_losses: tuple[str, ...] = ()
    #: Names the physical relation when it is not the version (a scheduled rebuild of an unchanged
    #: version gets a fresh relation: the kept one is that version's previous build).
    build_key: str | None = None
    #: Set by a ``moved:`` block: the node's old name; the node keeps its physical version (0 builds).
    moved_from: str | None = None

    @property
    def is_visible(self) -> bool:
        """Whether a reviewer needs to see this change (no-ops are hidden)."""
        return self.action is not Action.NOOP

    @property
    def repairs_drift(self) -> bool:
        """Whether it puts back what was changed outside faborite (reason ``drift``)."""
        return any(r.code == "drift" for r in self.reasons)

    @property
    def destroys(self) -> tuple[str, ...]:
        """What readers lose: a published relation deleted or renamed away, published columns
        dropped or retyped. One phrase each; empty when nothing is lost. A ``moved:`` rename is
        declared by the project and so not counted; a drift repair restores, never destroys."""
        if self.action is Action.DELETE:
            return (f"relation {self.relation} deleted",)
        if self.action is Action.NOOP or self.repairs_drift or self.incremental_from:
            return ()  # an incremental update keeps every row readers had, as the model defines them
        lost = []
        if self.old_relation is not None and self.old_relation != self.relation and self.moved_from is None:
            lost.append(f"relation {self.old_relation} dropped (now {self.relation})")
        lost += [f"column {loss}" for loss in self.column_losses]
        return tuple(lost)

    @property
    def is_destructive(self) -> bool:
        """Whether readers lose what they read today (see :attr:`destroys`). The old physical
        version is kept until ``gc``, so a rollback restores it; reviewers still need it first,
        and apply refuses it without ``--allow-destructive``."""
        return bool(self.destroys)


class PlanSelection(BaseModel):
    """A partial plan's selection: the flags that made it and the built nodes they picked."""

    model_config = ConfigDict(frozen=True)

    #: The selector as flags (``-s orders+ --exclude tag:slow``); empty when a command chose the nodes (sync).
    label: str = ""
    #: The built nodes selected; every other node is deferred.
    nodes: tuple[str, ...] = ()


class PlanEnvironment(BaseModel):
    """The environment (``--env``) a plan publishes into, and what it was planned against."""

    model_config = ConfigDict(frozen=True)

    name: str
    #: Set when the environment had no state of its own: the default environment's serial it starts from.
    base_serial: int | None = None
    #: What the default environment is called (``environments: {default_name: ...}``).
    base_name: str = "prod"

    def describe(self) -> str:
        """``environment dev (new: starts from prod serial 3)`` or ``environment dev``."""
        if self.base_serial is None:
            return f"environment {self.name}"
        return f"environment {self.name} (new: starts from {self.base_name} serial {self.base_serial})"


class Plan(BaseModel):
    """A plan: the manifest it realises and the state it was made against."""

    model_config = ConfigDict(frozen=True)

    faborite_version: str
    created_at: datetime
    target: str
    lineage: str | None  # None: no state yet
    serial: int | None
    manifest: Manifest
    changes: tuple[Change, ...]
    #: What the state records that the target does not hold (changed outside faborite).
    drift: tuple[Drift, ...] = ()
    #: Whether the target was looked at (False: ``--refresh=false``, drift unknown).
    refreshed: bool = False
    #: How the target publishes (None in plans older than the field).
    publish: PublishStrategy | None = None
    #: The project files it was compiled from (saved plans: apply refuses it once they differ).
    inputs: ProjectInputs | None = None
    #: Set on a partial plan (``-s``/``--exclude``, ``sync``): only these nodes change, none is deleted.
    selection: PlanSelection | None = None
    #: The clock ``apply --due`` judged schedules by (None: not a ``--due`` plan).
    clock: datetime | None = None
    #: Set when the plan publishes into an environment other than the default (``--env``).
    environment: PlanEnvironment | None = None

    @property
    def has_changes(self) -> bool:
        """Whether applying would change data, metadata or state."""
        return any(c.is_visible for c in self.changes)

    def summary(self) -> dict[str, int]:
        """Counts per visible action, in a fixed order."""
        counts = {a.value: 0 for a in (Action.CREATE, Action.REPLACE, Action.UPDATE, Action.DELETE)}
        for change in self.changes:
            if change.is_visible:
                counts[change.action.value] += 1
        return counts

    def destructive_changes(self) -> list[Change]:
        """The changes apply refuses without ``--allow-destructive`` (deferred ones never are)."""
        return [c for c in self.changes if c.is_destructive and not c.deferred]

    def visible_changes(self) -> list[Change]:
        """The changes a reviewer reads, in DAG order (deletes last)."""
        return [c for c in self.changes if c.is_visible]
