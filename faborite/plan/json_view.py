"""The machine-readable view of a plan (``--json``), its types and its JSON Schema.

Shaped like Terraform's JSON plan: ``format_version``, ``applyable``,
``errored``, and per-node ``resource_changes`` with action lists. The view is
built through the pydantic models below, so the published schema
(:func:`plan_json_schema`, ``docs/plan-schema.json``, ``faborite schema plan``)
is generated from the same code that writes the output and cannot drift from it.

Compatibility (docs/plan-json.md): ``format_version`` is ``MAJOR.MINOR``. A
minor version only adds fields; consumers must ignore fields they do not know.
Removing or renaming a field, or changing its meaning, bumps the major version.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from faborite.plan.atomicity import PublishStrategy
from faborite.plan.drift import DriftKind
from faborite.plan.model import Category, Change, Plan, ReasonCode

#: 1.1 added `refreshed` and `resource_drift`; 1.2 `publish`; 1.3 `files_hash` and `selection`, and per
#: change `old_relation`, `deferred` and `destructive`; 1.4 per change `incremental_from`, `destroys` and
#: `moved_from`, and the reason codes `incremental`, `full_rebuild`, `schedule` and `moved`; 1.5 `environment`
#: and the reason code `environment` (minor versions only add fields).
JSON_PLAN_FORMAT_VERSION = "1.5"
SCHEMA_ID = "https://faborite.dev/schemas/plan.json"

ActionName = Literal["create", "update", "replace", "delete", "no-op"]


class _View(BaseModel):
    # Producers write every field; the schema allows more so consumers written against an
    # older minor version still validate newer output.
    model_config = ConfigDict(frozen=True)


class JsonReason(_View):
    """Why a node changes."""

    code: ReasonCode = Field(description="machine-readable reason")
    detail: str = Field(description="the sentence the text plan prints")


class JsonDrift(_View):
    """Something the state records that the target does not hold (changed outside faborite)."""

    address: str = Field(description="node id, e.g. model.orders")
    relation: str = Field(description="the relation concerned")
    kind: DriftKind
    detail: str


class JsonSummary(_View):
    """How many visible changes of each action."""

    create: int = Field(ge=0)
    replace: int = Field(ge=0)
    update: int = Field(ge=0)
    delete: int = Field(ge=0)


class JsonResourceChange(_View):
    """What the plan does to one built node (no-ops included)."""

    address: str = Field(description="node id, e.g. model.orders")
    name: str
    kind: str = Field(description="model, seed, sync ...")
    relation: str = Field(description="the virtual relation readers query")
    materialized: str
    action: ActionName
    actions: list[ActionName] = Field(description="Terraform's action list: replace is [delete, create]")
    category: Category | None = None
    reasons: list[JsonReason]
    old_version: str | None
    new_version: str | None
    rebuild: bool = Field(description="apply builds a new physical relation")
    sql_diff: str | None
    old_relation: str | None = Field(description="the relation it was published as before a rename (1.3)")
    deferred: bool = Field(description="not selected for this run: keeps what the state records (1.3)")
    destructive: bool = Field(description="readers lose what they read today: a delete, a rename, "
                                          "or published columns dropped or retyped; apply refuses it "
                                          "without --allow-destructive (1.3)")
    destroys: list[str] = Field(default_factory=list,
                                description="what readers lose, one phrase each, e.g. 'column amount dropped' (1.4)")
    moved_from: str | None = Field(default=None, description="the old name, for a `moved:` rename (1.4)")
    incremental_from: str | None = Field(default=None,
                                         description="an incremental model's update: the physical version "
                                                     "its new version is built from (that version plus the "
                                                     "new rows); null when built whole (1.4)")


class JsonSelection(_View):
    """A partial plan's selection (``-s``/``--exclude``, or ``sync``)."""

    label: str = Field(description="the selector as flags, e.g. '-s orders+ --exclude tag:slow'; "
                                   "empty when a command chose the nodes (sync)")
    nodes: list[str] = Field(description="ids of the built nodes selected; every other node is deferred")


class JsonEnvironment(_View):
    """The environment (``--env``) a plan publishes into."""

    name: str
    base_serial: int | None = Field(description="set when the environment has no state of its own yet: the default "
                                                "environment's serial it starts from")


class JsonPlan(_View):
    """A faborite plan, as ``plan --json`` and ``show --json`` print it."""

    format_version: str = Field(pattern=r"^1\.[0-9]+$", description="MAJOR.MINOR; minors only add fields")
    faborite_version: str
    applyable: bool = Field(description="applying would change something")
    errored: bool
    target: str
    lineage: str | None = Field(description="the state's lineage; null before the first apply")
    serial: int | None = Field(description="the state's serial; null before the first apply")
    manifest_hash: str
    created_at: str = Field(description="ISO 8601 timestamp")
    summary: JsonSummary
    refreshed: bool = Field(description="the target was looked at (drift known)")
    publish: PublishStrategy | None = Field(description="how the target makes the apply visible")
    resource_drift: list[JsonDrift]
    resource_changes: list[JsonResourceChange]
    files_hash: str | None = Field(description="hash of the project files a saved plan was made from; "
                                               "null when not recorded (1.3)")
    selection: JsonSelection | None = Field(description="set on a partial plan: only the selected nodes change "
                                                        "and nothing is deleted; null for a whole plan (1.3)")
    environment: JsonEnvironment | None = Field(default=None, description="set when the plan publishes into an "
                                                "environment other than the default (--env) (1.5)")


def _change(change: Change) -> JsonResourceChange:
    return JsonResourceChange(
        address=change.node_id, name=change.name, kind=change.kind, relation=change.relation,
        materialized=change.materialized, action=change.action.value, actions=change.action.terraform_actions,
        category=change.category, reasons=[JsonReason(code=r.code, detail=r.detail) for r in change.reasons],
        old_version=change.old_version, new_version=change.new_version, rebuild=change.rebuild,
        sql_diff=change.sql_diff, old_relation=change.old_relation, deferred=change.deferred,
        destructive=change.is_destructive, destroys=list(change.destroys), moved_from=change.moved_from,
        incremental_from=change.incremental_from,
    )


def plan_view(plan: Plan) -> JsonPlan:
    """The JSON view of ``plan`` as typed data."""
    return JsonPlan(
        format_version=JSON_PLAN_FORMAT_VERSION, faborite_version=plan.faborite_version,
        applyable=plan.has_changes, errored=False, target=plan.target, lineage=plan.lineage, serial=plan.serial,
        manifest_hash=plan.manifest.hash, created_at=plan.created_at.isoformat(),
        summary=JsonSummary(**plan.summary()), refreshed=plan.refreshed, publish=plan.publish,
        resource_drift=[JsonDrift(address=d.node_id, relation=d.relation, kind=d.kind, detail=d.detail)
                        for d in plan.drift],
        resource_changes=[_change(c) for c in plan.changes],
        files_hash=plan.inputs.digest if plan.inputs is not None else None,
        selection=(JsonSelection(label=plan.selection.label, nodes=list(plan.selection.nodes))
                   if plan.selection is not None else None),
        environment=(JsonEnvironment(name=plan.environment.name, base_serial=plan.environment.base_serial)
                     if plan.environment is not None else None),
    )


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """A JSON-serialisable dict describing ``plan``."""
    return plan_view(plan).model_dump(mode="json")


def plan_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of :func:`plan_to_json`'s output (``docs/plan-schema.json``)."""
    schema = JsonPlan.model_json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema,
            "title": "faborite plan (JSON view)",
            "description": "plan --json / show --json. format_version MAJOR.MINOR: a minor version only adds "
                           "fields, consumers must ignore unknown fields; removals and renames bump the major."}
