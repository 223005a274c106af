"""dbt's selector syntax against the template project: one row per selector form."""

from __future__ import annotations

from pathlib import Path

import pytest

from faborite.api import Workspace, node_selection
from faborite.compiler.selector import SelectorError, select_nodes
from faborite.plan.planner import make_plan
from faborite.state.model import State

SEEDS = {"raw_customers", "raw_orders"}
STAGING = {"stg_customers", "stg_orders"}
MARTS = {"customers", "daily_revenue", "orders", "customer_segments"}

# The template: raw_customers -> stg_customers -> {customers, orders}; raw_orders -> stg_orders ->
# {customers, orders, daily_revenue}; customers -> customer_segments. Tags: marts (every mart), daily (orders).
CASES = [
    ("orders", {"orders"}),
    ("+customers", SEEDS | STAGING | {"customers"}),
    ("1+customers", STAGING | {"customers"}),
    ("stg_orders+", {"stg_orders", "customers", "orders", "daily_revenue", "customer_segments"}),
    ("stg_orders+1", {"stg_orders", "customers", "orders", "daily_revenue"}),
    ("2+customer_segments", STAGING | {"customers", "customer_segments"}),
    ("@stg_customers", SEEDS | STAGING | {"customers", "orders", "customer_segments"}),
    ("tag:daily", {"orders"}),
    ("tag:marts", MARTS),
    ("path:models/staging", STAGING),
    ("models/staging/stg_orders.sql", {"stg_orders"}),
    ("file:orders.sql", {"orders"}),
    ("config.materialized:view", STAGING),
    ("config.materialized:table", MARTS),
    ("resource_type:seed", SEEDS),
    ("demo.marts", MARTS),
    ("demo.staging.stg_*", STAGING),
    ("stg_*", STAGING),
    ("package:demo", SEEDS | STAGING | MARTS),
    ("tag:marts,config.materialized:table", MARTS),
    ("tag:marts,+orders", {"orders"}),
    ("orders customers", {"orders", "customers"}),
    ("state:new", SEEDS | STAGING | MARTS),
    ("state:modified", SEEDS | STAGING | MARTS),
]


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    from faborite.api import init_project

    root = init_project(tmp_path_factory.mktemp("sel") / "demo")
    return Workspace.open(root).compile(write_manifest=False)


def _names(manifest, ids: set[str]) -> set[str]:
    return {manifest.nodes[i].name for i in ids}


@pytest.mark.parametrize(("selector", "expected"), CASES, ids=[c[0] for c in CASES])
def test_selector_picks_exactly(manifest, selector, expected):
    assert _names(manifest, select_nodes(manifest, [selector])) == expected


def test_exclude_subtracts_and_an_empty_select_means_everything(manifest):
    assert _names(manifest, select_nodes(manifest, [], ["tag:marts"])) == SEEDS | STAGING
    assert _names(manifest, select_nodes(manifest, ["+orders"], ["resource_type:seed"])) == STAGING | {"orders"}


def test_state_selectors_compare_with_the_recorded_state(manifest):
    plan = make_plan(manifest, None)
    state = State(lineage="l" * 32, serial=1, target="dev", faborite_version="0", nodes={
        c.node_id: _node_state(manifest.nodes[c.node_id]) for c in plan.changes})
    assert select_nodes(manifest, ["state:modified"], state=state) == set()
    assert _names(manifest, select_nodes(manifest, ["state:old"], state=state)) == SEEDS | STAGING | MARTS
    edited = dict(state.nodes)
    edited["model.orders"] = edited["model.orders"].model_copy(update={"data_hash": "x" * 64})
    edited.pop("model.customers")
    state = state.model_copy(update={"nodes": edited})
    assert _names(manifest, select_nodes(manifest, ["state:modified"], state=state)) == {"orders", "customers"}
    assert _names(manifest, select_nodes(manifest, ["state:modified.body"], state=state)) == {"orders", "customers"}
    assert _names(manifest, select_nodes(manifest, ["state:new"], state=state)) == {"customers"}
    assert _names(manifest, select_nodes(manifest, ["state:modified+"], state=state)) == {
        "orders", "customers", "customer_segments"}


def _node_state(node):
    from datetime import datetime, timezone

    from faborite.state.model import NodeState

    return NodeState(id=node.id, kind=node.kind, version=node.version, data_hash=node.data_hash,
                     metadata_hash=node.metadata_hash, relation=node.relation, physical=f"p.{node.name}",
                     materialized=node.materialized, sql=node.sql, parents=node.parents,
                     applied_at=datetime(2026, 11, 30, tzinfo=timezone.utc))


@pytest.mark.parametrize(("selector", "message"), [
    ("tagg:x", "unknown selector method 'tagg'"),
    ("state:changed", "unknown state selector 'changed'"),
    ("@+orders", "combines @ with a leading +"),
    ("+", "does not parse"),
])
def test_bad_selectors_are_one_clear_error(manifest, selector, message):
    with pytest.raises(SelectorError, match=message) as caught:
        select_nodes(manifest, [selector])
    assert caught.value.hint


def test_a_selection_that_matches_nothing_is_an_error(manifest):
    with pytest.raises(SelectorError, match="selects no node"):
        node_selection(["no_such_model"]).resolve(manifest)


def test_source_selector(tmp_path: Path):
    from faborite.api import init_project

    root = init_project(tmp_path / "demo")
    (root / "models" / "sources.yml").write_text(
        "sources:\n  - name: raw\n    type: files\n    tables:\n      - name: events\n        path: data/events.csv\n")
    (root / "data").mkdir()
    (root / "data" / "events.csv").write_text("id\n1\n")
    (root / "models" / "events.sql").write_text("select id from {{ source('raw', 'events') }}\n")
    manifest = Workspace.open(root).compile(write_manifest=False)
    assert select_nodes(manifest, ["source:raw"]) == {"source.raw.events"}
    assert select_nodes(manifest, ["source:raw.events+"]) == {"source.raw.events", "model.events"}
    assert select_nodes(manifest, ["source:raw.other"]) == set()
