"""The machine-readable view of a plan (``--json``), with its own format version.

Shaped like Terraform's JSON plan: ``format_version``, ``applyable``,
``errored``, and per-node ``resource_changes`` with action lists.
"""

from __future__ import annotations

from typing import Any

from faborite.plan.model import Plan

#: 1.1 added `refreshed` and `resource_drift`; 1.2 `publish`; 1.3 `selection` (minor versions only add fields).
JSON_PLAN_FORMAT_VERSION = "1.3"


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """A JSON-serialisable dict describing ``plan``."""
    return {
        "format_version": JSON_PLAN_FORMAT_VERSION,
        "faborite_version": plan.faborite_version,
        "applyable": plan.has_changes,
        "errored": False,
        "target": plan.target,
        "lineage": plan.lineage,
        "serial": plan.serial,
        "manifest_hash": plan.manifest.hash,
        "created_at": plan.created_at.isoformat(),
        "summary": plan.summary(),
        "refreshed": plan.refreshed,
        # How the target makes this apply visible, and whether readers can see half of it.
        "publish": plan.publish.model_dump() if plan.publish else None,
        # A partial plan (-s/--exclude, sync): only these nodes change; the others are "deferred".
        "selection": plan.selection.model_dump(mode="json") if plan.selection else None,
        # Terraform's name for changes made outside the tool.
        "resource_drift": [
            {"address": d.node_id, "relation": d.relation, "kind": d.kind, "detail": d.detail} for d in plan.drift
        ],
        "resource_changes": [
            {
                "address": change.node_id,
                "name": change.name,
                "kind": change.kind,
                "relation": change.relation,
                "materialized": change.materialized,
                "action": change.action.value,
                "actions": change.action.terraform_actions,
                "category": change.category,
                "reasons": [r.model_dump() for r in change.reasons],
                "old_version": change.old_version,
                "new_version": change.new_version,
                "rebuild": change.rebuild,
                "deferred": change.deferred,
                "sql_diff": change.sql_diff,
            }
            for change in plan.changes
        ],
    }
