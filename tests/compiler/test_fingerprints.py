"""Fingerprints: stable across formatting, moved by logic, metadata kept apart, versions flow downstream."""

from __future__ import annotations

import pytest

from faborite.compiler import fingerprint
from faborite.compiler.sql import canonical_text
from tests.config.projects import compile_, edit, write

STG = "models/staging/stg_orders.sql"
DOWNSTREAM_OF_STG_ORDERS = {"model.stg_orders", "model.orders", "model.customers", "model.daily_revenue",
                            "model.customer_segments"}


def _versions(manifest) -> dict[str, str]:
    return {node_id: node.version for node_id, node in manifest.nodes.items()}


def _changed(before, after) -> set[str]:
    return {node_id for node_id in before if before[node_id] != after.get(node_id)}


# -- canonical_text ----------------------------------------------------------------------


@pytest.mark.parametrize("variant", [
    "select a, b from t where a > 1",
    "SELECT a, b FROM t WHERE a > 1",
    "select   a,\n       b\nfrom t\n\nwhere a > 1",
    "select a, b -- the columns\nfrom t /* the table */ where a > 1",
    "Select A, B From T Where A > 1",
])
def test_canonical_text_ignores_formatting_comments_and_case(variant):
    assert canonical_text(variant, "duckdb") == canonical_text("select a, b from t where a > 1", "duckdb")


@pytest.mark.parametrize("changed", [
    "select a, b from t where a > 2",  # a literal
    "select a, c from t where a > 1",  # a column
    "select a, b from u where a > 1",  # a table
    "select a, b from t where a >= 1",  # an operator
    "select a, b from t",  # a clause
])
def test_canonical_text_changes_with_logic(changed):
    assert canonical_text(changed, "duckdb") != canonical_text("select a, b from t where a > 1", "duckdb")


def test_canonical_text_keeps_case_of_strings_and_quoted_names():
    base = canonical_text("select 'Gold' as s, \"Mixed\" from t", "duckdb")
    assert canonical_text("SELECT 'Gold' AS s, \"Mixed\" FROM T", "duckdb") == base
    # An alias names the published column, so its case counts.
    assert canonical_text("select 'Gold' as S, \"Mixed\" from t", "duckdb") != base
    assert canonical_text("select 'gold' as s, \"Mixed\" from t", "duckdb") != base
    assert canonical_text("select 'Gold' as s, \"mixed\" from t", "duckdb") != base


def test_fingerprint_helpers_are_deterministic():
    assert fingerprint.sha256_json({"b": 1, "a": [1, 2]}) == fingerprint.sha256_json({"a": [1, 2], "b": 1})
    data = fingerprint.data_hash("model", "select 1", {"materialized": "view"})
    assert data != fingerprint.data_hash("model", "select 1", {"materialized": "table"})
    # Parent order does not matter; parent versions do.
    assert fingerprint.version(data, [("a", "1"), ("b", "2")]) == fingerprint.version(data, [("b", "2"), ("a", "1")])
    assert fingerprint.version(data, [("a", "1")]) != fingerprint.version(data, [("a", "2")])


# -- through compile -------------------------------------------------------------------------


def test_compile_is_deterministic(proj):
    assert _versions(compile_(proj)) == _versions(compile_(proj))
    assert compile_(proj).hash == compile_(proj).hash


def test_reformatting_a_model_changes_no_version(proj):
    before = compile_(proj)
    write(proj, STG, """\
-- staging: orders
SELECT id,
       customer_id,
       CAST(ordered_at AS DATE) AS ordered_at,   /* day precision */
       status,
       {{ cents_to_dollars("amount_cents") }} AS amount
FROM {{ ref("raw_orders") }}
WHERE CAST(ordered_at AS DATE) >= DATE '{{ var("start_date") }}'
""")
    after = compile_(proj)
    assert after.nodes["model.stg_orders"].sql != before.nodes["model.stg_orders"].sql
    assert _versions(after) == _versions(before)
    assert after.nodes["model.stg_orders"].data_hash == before.nodes["model.stg_orders"].data_hash


def test_logic_change_moves_the_node_and_everything_downstream(proj):
    before = _versions(compile_(proj))
    edit(proj, STG, ">= date", "> date")
    after = _versions(compile_(proj))
    assert _changed(before, after) == DOWNSTREAM_OF_STG_ORDERS


def test_parent_data_change_changes_child_version_but_not_child_data_hash(proj):
    before = compile_(proj)
    edit(proj, STG, "status,", "upper(status) as status,")
    after = compile_(proj)
    assert after.nodes["model.orders"].data_hash == before.nodes["model.orders"].data_hash
    assert after.nodes["model.orders"].version != before.nodes["model.orders"].version
    # A grandchild moves too (customers -> customer_segments).
    assert after.nodes["model.customer_segments"].version != before.nodes["model.customer_segments"].version


def test_description_change_is_metadata_only(proj):
    before = compile_(proj)
    edit(proj, "models/staging/schema.yml", "Orders since var('start_date')", "All orders since var('start_date')")
    after = compile_(proj)
    node_b, node_a = before.nodes["model.stg_orders"], after.nodes["model.stg_orders"]
    assert node_a.description.startswith("All orders")
    assert node_a.metadata_hash != node_b.metadata_hash
    assert (node_a.data_hash, node_a.version) == (node_b.data_hash, node_b.version)
    assert _versions(after) == _versions(before)


@pytest.mark.parametrize("change", [
    ("{{ config(materialized=\"table\", tags=[\"daily\"]) }}", "{{ config(materialized=\"table\", tags=[\"hourly\"]) }}"),
    ("{{ config(materialized=\"table\", tags=[\"daily\"]) }}",
     "{{ config(materialized=\"table\", tags=[\"daily\"], owner=\"ana\", meta={\"tier\": 1}) }}"),
])
def test_tags_owner_and_meta_are_metadata(proj, change):
    before = compile_(proj).nodes["model.orders"]
    edit(proj, "models/marts/orders.sql", *change)
    after = compile_(proj).nodes["model.orders"]
    assert after.metadata_hash != before.metadata_hash
    assert after.version == before.version


def test_materialization_is_data(proj):
    before = compile_(proj)
    edit(proj, "models/marts/orders.sql", 'materialized="table"', 'materialized="view"')
    after = compile_(proj)
    assert after.nodes["model.orders"].data_config["materialized"] == "view"
    assert after.nodes["model.orders"].data_hash != before.nodes["model.orders"].data_hash
    assert _changed(_versions(before), _versions(after)) == {"model.orders"}


def test_check_change_is_metadata_only(proj):
    before = compile_(proj)
    edit(proj, "models/marts/schema.yml", "where amount <= 0", "where amount < 0")
    after = compile_(proj)
    assert after.nodes["model.orders"].metadata_hash != before.nodes["model.orders"].metadata_hash
    assert _versions(after) == _versions(before)


def test_seed_content_change_moves_the_seed_and_its_descendants(proj):
    before = _versions(compile_(proj))
    with (proj / "seeds" / "raw_orders.csv").open("a", encoding="utf-8") as handle:
        handle.write("999,1,2024-03-01,placed,100\n")
    after = _versions(compile_(proj))
    assert _changed(before, after) == {"seed.raw_orders"} | DOWNSTREAM_OF_STG_ORDERS


def test_macro_change_that_changes_sql_moves_users_of_the_macro(proj):
    before = _versions(compile_(proj))
    edit(proj, "macros/money.sql", "100.0, 2", "100.0, 3")
    after = _versions(compile_(proj))
    assert _changed(before, after) == DOWNSTREAM_OF_STG_ORDERS


def test_var_change_moves_models_that_use_it(proj):
    before = _versions(compile_(proj))
    after = _versions(compile_(proj, vars_override={"start_date": "2024-02-01"}))
    assert _changed(before, after) == DOWNSTREAM_OF_STG_ORDERS
