"""Ephemeral models are inlined as CTEs into the models that ref them and are never nodes."""

from __future__ import annotations

import pytest

from faborite.compiler.ephemeral import with_ctes
from faborite.errors import ApplyError
from tests.config.projects import compile_, edit, write


def test_ephemeral_model_is_inlined_and_not_built(proj):
    write(proj, "models/staging/eph_paid.sql",
          "{{ config(materialized='ephemeral') }}\nselect * from {{ ref('stg_orders') }} where amount > 0\n")
    write(proj, "models/marts/paid_total.sql", "select sum(amount) as total from {{ ref('eph_paid') }}\n")
    manifest = compile_(proj)
    assert "model.eph_paid" not in manifest.nodes
    node = manifest.nodes["model.paid_total"]
    assert node.sql.startswith("with __dbt__cte__eph_paid as (")
    assert node.parents == ("model.stg_orders",)


def test_editing_an_ephemeral_model_changes_its_users_versions(proj):
    write(proj, "models/staging/eph_paid.sql", "{{ config(materialized='ephemeral') }}\nselect 1 as a\n")
    write(proj, "models/marts/uses_eph.sql", "select a from {{ ref('eph_paid') }}\n")
    before = compile_(proj).nodes["model.uses_eph"].version
    edit(proj, "models/staging/eph_paid.sql", "select 1 as a", "select 2 as a")
    assert compile_(proj).nodes["model.uses_eph"].version != before


def test_ctes_go_ahead_of_a_models_own():
    sql = with_ctes("-- note\nWITH x as (select 1) select * from x", [("e", "select 2")])
    assert sql == "-- note\nwith __dbt__cte__e as (\nselect 2\n),\nx as (select 1) select * from x"
    assert with_ctes("select 1", [("e", "select 2")]).startswith("with __dbt__cte__e as (")


def test_a_relationships_check_may_point_at_an_ephemeral_model(proj):
    # dbt inlines the ephemeral parent into the test's SQL; it failed here as an unknown node.
    from faborite.api import Workspace

    write(proj, "models/staging/eph_customers.sql",
          "{{ config(materialized='ephemeral') }}\nselect * from {{ ref('stg_customers') }}\n")
    edit(proj, "models/staging/schema.yml", 'ref("stg_customers"), field: id', 'ref("eph_customers"), field: id')
    check = next(c for c in compile_(proj).nodes["model.stg_orders"].checks if c.kind == "relationships")
    assert check.sql.startswith("with __dbt__cte__eph_customers as (")
    ws = Workspace(root=proj)
    ws.apply(ws.plan(), threads=1)  # every order's customer is there
    # The check runs at apply, against the built versions: orders of customer 1 now have no parent.
    edit(proj, "models/staging/eph_customers.sql", "stg_customers') }}", "stg_customers') }} where id <> 1")
    ws = Workspace(root=proj)
    with pytest.raises(ApplyError, match="relationships"):
        ws.apply(ws.plan(), threads=1)
