"""Config precedence, tag accumulation, column lineage, the manifest file, and files sources."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlglot

from faborite.compiler import read_manifest, write_manifest
from faborite.compiler.lineage import column_lineage
from faborite.compiler.manifest import MANIFEST_FORMAT_VERSION
from faborite.config.folder_defaults import defaults_for
from faborite.config.node_config import ModelConfig
from faborite.errors import CompileError
from tests.config.projects import check_error, compile_, edit, error_of, load, write

MARTS_YML = "models/marts/schema.yml"


# -- config precedence: config() > properties config: > nested folder > outer folder ------------


def test_folder_defaults_nest(proj):
    manifest = compile_(proj)
    assert manifest.nodes["model.stg_orders"].materialized == "view"  # models: +materialized: view
    assert manifest.nodes["model.daily_revenue"].materialized == "table"  # marts: +materialized: table


def test_properties_config_beats_folder_defaults(proj):
    edit(proj, MARTS_YML, "  - name: daily_revenue\n", "  - name: daily_revenue\n    config:\n      materialized: view\n")
    assert compile_(proj).nodes["model.daily_revenue"].materialized == "view"


def test_config_call_beats_properties_config(proj):
    edit(proj, MARTS_YML, "  - name: daily_revenue\n", "  - name: daily_revenue\n    config:\n      materialized: view\n")
    edit(proj, "models/marts/daily_revenue.sql", "select\n", "{{ config(materialized='table') }}\nselect\n")
    assert compile_(proj).nodes["model.daily_revenue"].materialized == "table"


def test_schema_and_alias_precedence(proj):
    edit(proj, "faborite.yml", "    +tags: [marts]", "    +tags: [marts]\n    +schema: analytics")
    manifest = compile_(proj)
    assert manifest.nodes["model.daily_revenue"].relation == "analytics.daily_revenue"
    assert manifest.nodes["model.stg_orders"].relation == "main.stg_orders"
    edit(proj, MARTS_YML, "  - name: daily_revenue\n",
         "  - name: daily_revenue\n    config:\n      schema: reporting\n      alias: revenue\n")
    assert compile_(proj).nodes["model.daily_revenue"].relation == "reporting.revenue"
    edit(proj, "models/marts/daily_revenue.sql", "select\n", "{{ config(schema='final') }}\nselect\n")
    assert compile_(proj).nodes["model.daily_revenue"].relation == "final.revenue"


def test_refs_follow_the_resolved_relation(proj):
    edit(proj, "models/staging/stg_orders.sql", "select\n", "{{ config(schema='stage', alias='orders_clean') }}\nselect\n")
    manifest = compile_(proj)
    assert '"stage"."orders_clean"' in manifest.nodes["model.daily_revenue"].sql


def test_tags_accumulate_across_all_layers(proj):
    edit(proj, "faborite.yml", "  +materialized: view\n", "  +materialized: view\n  +tags: [all]\n")
    edit(proj, MARTS_YML, "  - name: orders\n", "  - name: orders\n    tags: [finance]\n    config:\n      tags: [pii]\n")
    # folder (all, marts) + properties config (pii) + config() (daily) + properties tags (finance); no duplicates.
    assert compile_(proj).nodes["model.orders"].tags == ("all", "marts", "pii", "daily", "finance")


def test_disabled_model_is_left_out(proj):
    write(proj, "models/off.sql", "{{ config(enabled=false) }}\nselect 1 as x\n")
    assert compile_(proj).find("off") is None


def test_defaults_for_merges_outer_to_inner():
    defaults = {(): {"materialized": "view", "tags": ["a"]}, ("marts",): {"materialized": "table", "tags": "b"}}
    assert defaults_for(("marts", "deep"), defaults) == {"materialized": "table", "tags": ["a", "b"]}
    assert defaults_for(("staging",), defaults) == {"materialized": "view", "tags": ["a"]}


def test_model_config_merged():
    merged = ModelConfig(tags=("a",), meta={"x": 1}).merged({"tags": "b", "meta": {"y": 2}, "alias": "z"})
    assert (merged.tags, merged.meta, merged.alias) == (("a", "b"), {"x": 1, "y": 2}, "z")


# -- column lineage -------------------------------------------------------------------------------


def test_column_lineage_through_a_join(proj):
    node = compile_(proj).nodes["model.orders"]
    assert node.column_lineage == {
        "id": ("main.stg_orders.id",),
        "amount": ("main.stg_orders.amount",),
        "name": ("main.stg_customers.name",),
    }
    assert node.output_columns == ("id", "amount", "name")
    assert node.parents == ("model.stg_customers", "model.stg_orders")


def test_column_lineage_of_expressions_and_ctes():
    query = sqlglot.parse_one(
        "with o as (select id, amount_cents / 100 as amount from raw.orders) "
        "select o.id, o.amount * 2 as doubled, c.name || o.id as label "
        "from o join raw.customers c on c.id = o.id", read="duckdb")
    assert column_lineage(query) == {
        "id": ("raw.orders.id",),
        "doubled": ("raw.orders.amount_cents",),
        "label": ("raw.customers.name", "raw.orders.id"),
    }


def test_column_lineage_leaves_out_what_it_cannot_resolve():
    # Unqualified columns over two tables: unknown, so left empty rather than guessed.
    query = sqlglot.parse_one("select id, 1 as one from a join b using (id)", read="duckdb")
    assert column_lineage(query) == {"id": (), "one": ()}
    assert column_lineage(sqlglot.parse_one("select * from a", read="duckdb")) == {}


# -- manifest file ------------------------------------------------------------------------------------


def test_manifest_roundtrip(proj, tmp_path):
    manifest = compile_(proj)
    path = tmp_path / "out" / "manifest.json"
    write_manifest(manifest, path)
    again = read_manifest(path)
    assert again == manifest
    assert again.hash == manifest.hash
    assert list(again.nodes) == list(manifest.nodes)  # topological order survives
    assert not list(path.parent.glob(".manifest-*"))  # no temp file left behind


def test_manifest_from_a_newer_faborite_is_refused(proj, tmp_path):
    path = tmp_path / "manifest.json"
    write_manifest(compile_(proj), path)
    data = json.loads(path.read_text())
    data["format_version"] = MANIFEST_FORMAT_VERSION + 1
    path.write_text(json.dumps(data))
    with pytest.raises(CompileError) as info:
        read_manifest(path)
    check_error(info.value, CompileError, file=str(path), line=None,
                message=(f"manifest format {MANIFEST_FORMAT_VERSION + 1} is not supported", "newer faborite"),
                hint="upgrade faborite")


def test_corrupt_manifest(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text("{not json")
    with pytest.raises(CompileError) as info:
        read_manifest(path)
    assert info.value.file == str(path) and "cannot read manifest" in info.value.message


# -- files sources ---------------------------------------------------------------------------------------

SOURCES = """\
sources:
  - name: landing
    type: files
    tables:
      - name: events
        path: data/events.csv
      - name: users
        path: data/users/*.parquet
        options: {hive_partitioning: false}
"""


@pytest.fixture
def files_proj(proj):
    (proj / "data" / "users").mkdir(parents=True)
    write(proj, "data/events.csv", "user_id,kind\n1,click\n2,view\n")
    pq.write_table(pa.table({"id": [1, 2], "name": ["ada", "bob"]}), proj / "data" / "users" / "part-0.parquet")
    write(proj, "sources/landing.yml", SOURCES)
    write(proj, "models/events_by_user.sql", """\
select u.name, e.kind
from {{ source('landing', 'events') }} as e
join {{ source('landing', 'users') }} as u on u.id = e.user_id
""")
    return proj


def test_files_sources_render_as_file_readers(files_proj):
    manifest = compile_(files_proj)
    node = manifest.nodes["model.events_by_user"]
    assert "read_csv(['data/events.csv'])" in node.sql
    assert "read_parquet(['data/users/*.parquet'], hive_partitioning = FALSE)" in node.sql
    assert node.parents == ("source.landing.events", "source.landing.users")
    events = manifest.nodes["source.landing.events"]
    assert (events.kind, events.relation, events.data_config["format"]) == ("source", "data/events.csv", "csv")
    assert manifest.nodes["source.landing.users"].data_config == {"format": "parquet",
                                                                  "options": {"hive_partitioning": False}}
    assert not events.is_built


def test_files_source_fingerprint_follows_file_content(files_proj):
    before = compile_(files_proj)
    write(files_proj, "data/events.csv", "user_id,kind\n1,click\n2,view\n2,click\n")
    after = compile_(files_proj)
    changed = _changed(before, after)
    assert changed == {"source.landing.events", "model.events_by_user"}


def test_new_file_matching_a_glob_changes_the_fingerprint(files_proj):
    before = compile_(files_proj)
    pq.write_table(pa.table({"id": [3], "name": ["cy"]}), files_proj / "data" / "users" / "part-1.parquet")
    after = compile_(files_proj)
    assert _changed(before, after) == {"source.landing.users", "model.events_by_user"}


def test_files_source_with_unknown_format_points_at_the_properties_file(files_proj):
    write(files_proj, "sources/landing.yml", SOURCES.replace("data/events.csv", "data/events.dat"))
    check_error(error_of(files_proj), CompileError, file="sources/landing.yml", line=2,
                message="cannot tell the file format of source table 'events'", hint="format: parquet|csv|json")


def test_database_source_renders_as_a_relation(proj):
    write(proj, "sources/erp.yml", "sources:\n  - name: erp\n    schema: erp_raw\n    tables:\n      - name: orders\n"
                                   "        identifier: ORDERS_V2\n")
    write(proj, "models/x.sql", "select * from {{ source('erp', 'orders') }}\n")
    manifest = compile_(proj)
    assert manifest.nodes["source.erp.orders"].relation == "erp_raw.ORDERS_V2"
    assert '"erp_raw"."ORDERS_V2"' in manifest.nodes["model.x"].sql
    assert load(proj).sources["erp"].line == 2


def _changed(before, after) -> set[str]:
    return {i for i, n in before.nodes.items() if after.nodes[i].version != n.version}
