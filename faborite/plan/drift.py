"""Drift: what changed on the target outside faborite, found by holding the state against it.

Terraform's "Objects have changed outside of Terraform". A state node drifts
when its physical version is gone (a dropped table, a deleted database
file), or its published name is missing, replaced, or reads another version.
The planner turns each into a change: rebuild what is gone, re-point what
moved; ``apply`` then repairs it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from faborite.state.model import State
from faborite.state.observed import FOREIGN, MISSING, Observed

DriftKind = Literal["version_missing", "unpublished", "replaced", "repointed"]


class Drift(BaseModel):
    """One node whose recorded state is not what the target holds."""

    model_config = ConfigDict(frozen=True)

    node_id: str
    relation: str
    kind: DriftKind
    detail: str

    @property
    def needs_rebuild(self) -> bool:
        """Whether the node's version must be built again (else re-publishing is enough)."""
        return self.kind == "version_missing"


def find_drift(state: State | None, observed: Observed) -> tuple[Drift, ...]:
    """Every node of ``state`` whose version or published name is not as recorded."""
    if state is None:
        return ()
    drift = []
    for node in state.nodes.values():
        what = "version folder" if node.extra.get("files") else "physical relation"
        if not observed.exists(node.physical):
            where = "" if observed.target_exists else " (the target's database is missing)"
            drift.append(Drift(node_id=node.id, relation=node.relation, kind="version_missing",
                               detail=f"its {what} {node.physical} is missing{where}"))
            continue
        pointer = observed.points_at(node.relation)
        if pointer == MISSING:
            drift.append(Drift(node_id=node.id, relation=node.relation, kind="unpublished",
                               detail=f"{node.relation} is missing"))
        elif pointer == FOREIGN:
            drift.append(Drift(node_id=node.id, relation=node.relation, kind="replaced",
                               detail=f"{node.relation} was replaced by something faborite did not publish"))
        elif not observed.publishes(node.relation, node.physical):
            drift.append(Drift(node_id=node.id, relation=node.relation, kind="repointed",
                               detail=f"{node.relation} reads {pointer}, not the recorded {node.physical}"))
    return tuple(drift)
