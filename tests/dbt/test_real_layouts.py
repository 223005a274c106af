"""Layouts real dbt projects use that the small comparison projects do not: several model and seed
folders, a profile's own schema, dbt's default custom-schema naming (faborite/dbt/project.py,
faborite/dbt/schema_names.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from faborite.api import Workspace

PROFILE = """shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{ env_var('DBT_DUCKDB_PATH', 'shop.duckdb') }}"
      schema: analytics
"""


def write_project(root: Path, files: dict[str, str]) -> Path:
    """A dbt project folder holding ``files`` (path -> text), with a duckdb profile unless given."""
    files = {"profiles.yml": PROFILE, **files}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def relations(root: Path) -> dict[str, str]:
    """``{node id: published relation}`` of the compiled project."""
    manifest = Workspace.open(root, on_warning=lambda message: None).compile()
    return {node_id: node.relation for node_id, node in manifest.nodes.items()}


def test_every_model_and_seed_path_is_read(tmp_path: Path) -> None:
    root = write_project(tmp_path, {
        "dbt_project.yml": "name: shop\nprofile: shop\nmodel-paths: [models, marts]\nseed-paths: [seeds, data]\n"
                           "models:\n  shop:\n    finance:\n      +materialized: table\n",
        "models/a.sql": "select * from {{ ref('raw_a') }}",
        "marts/finance/b.sql": "select * from {{ ref('a') }} join {{ ref('raw_b') }} using (id)",
        "marts/finance/b.yml": "version: 2\nmodels:\n  - name: b\n    columns:\n      - name: id\n"
                               "        tests: [not_null]\n",
        "seeds/raw_a.csv": "id\n1\n", "data/raw_b.csv": "id\n1\n",
    })
    project = Workspace.open(root, on_warning=lambda message: None).project
    by_name = {m.name: m for m in project.models}
    # The second model path is a root of the same folder tree: `finance` configures marts/finance/.
    assert by_name["b"].defaults["materialized"] == "table"
    assert {s.name for s in project.seeds} == {"raw_a", "raw_b"}
    assert project.model_docs["b"].doc.columns[0].checks
    assert not [w for w in project.warnings if "only the first folder" in w]
    assert set(relations(root)) >= {"model.a", "model.b", "seed.raw_a", "seed.raw_b"}


def test_profile_schema_and_dbt_default_custom_schema(tmp_path: Path) -> None:
    root = write_project(tmp_path, {
        "dbt_project.yml": "name: shop\nprofile: shop\nmodels:\n  shop:\n    staging:\n      +schema: staging\n",
        "models/staging/stg.sql": "select 1 as id",
        "models/final.sql": "select * from {{ ref('stg') }}",
        "models/other.sql": "{{ config(schema='  reporting ') }}select 1 as id",
        "snapshots/hist.sql": "{% snapshot hist %}{{ config(target_schema='history', unique_key='id', "
                              "strategy='check', check_cols='all') }}select * from {{ ref('final') }}"
                              "{% endsnapshot %}",
    })
    found = relations(root)
    # As `dbt build` names them: the profile's schema, and `<profile schema>_<custom>` for a custom one.
    assert found["model.final"] == "analytics.final"
    assert found["model.stg"] == "analytics_staging.stg"
    assert found["model.other"] == "analytics_reporting.other"
    # A snapshot's legacy target_schema is the schema as written (dbt does not pass it to the macro).
    assert found["model.hist"] == "history.hist"


def test_own_generate_schema_name_wins_over_dbt_default(tmp_path: Path) -> None:
    root = write_project(tmp_path, {
        "dbt_project.yml": "name: shop\nprofile: shop\n",
        "macros/naming.sql": "{% macro generate_schema_name(custom_schema_name, node) -%}"
                             "{{ custom_schema_name or target.schema }}{%- endmacro %}",
        "models/m.sql": "{{ config(schema='marts') }}select 1 as id",
    })
    assert relations(root)["model.m"] == "marts.m"


def test_import_keeps_dbt_default_schema_naming(tmp_path: Path) -> None:
    from faborite.api import import_dbt

    root = write_project(tmp_path / "dbt", {
        "dbt_project.yml": "name: shop\nprofile: shop\n",
        "models/m.sql": "{{ config(schema='marts') }}select 1 as id",
    })
    notes = import_dbt(root, tmp_path / "native")
    assert not [n for n in notes if "does not validate" in n], notes
    assert relations(tmp_path / "native")["model.m"] == relations(root)["model.m"] == "analytics_marts.m"


def test_snapshots_from_yaml_and_from_dbt_project_config(tmp_path: Path) -> None:
    root = write_project(tmp_path, {
        "dbt_project.yml": "name: shop\nprofile: shop\nsnapshots:\n  shop:\n    +strategy: timestamp\n"
                           "    legacy:\n      +target_schema: history\n      +updated_at: changed_at\n",
        "models/orders.sql": "select 1 as id, current_timestamp as changed_at",
        "snapshots/legacy/orders_hist.sql": "{% snapshot orders_hist %}\n{{ config(unique_key='id') }}\n"
                                            "select * from {{ ref('orders') }}\n{% endsnapshot %}\n",
        "snapshots/orders.yml": "snapshots:\n  - name: orders_yaml\n    relation: ref('orders')\n"
                                "    config:\n      unique_key: id\n      updated_at: changed_at\n"
                                "      schema: snaps\n      hard_deletes: ignore\n",
    })
    manifest = Workspace.open(root, on_warning=lambda message: None).compile()
    block, yaml_one = manifest.nodes["model.orders_hist"], manifest.nodes["model.orders_yaml"]
    assert block.materialized == yaml_one.materialized == "snapshot"
    assert "model.orders" in block.parents and "model.orders" in yaml_one.parents
    # The folder's target_schema is as written; a YAML snapshot's own `schema` is a custom schema (dbt 1.9).
    assert block.relation == "history.orders_hist"
    assert yaml_one.relation == "analytics_snaps.orders_yaml"


def test_project_wide_configs_real_projects_set(tmp_path: Path) -> None:
    root = write_project(tmp_path, {
        "dbt_project.yml": "name: shop\nprofile: shop\nmodels:\n  shop:\n    +tags: nightly\n"
                           "    +on_schema_change: append_new_columns\n    +incremental_strategy: delete+insert\n"
                           "    +unique_key: id\n",
        "models/plain.sql": "select 1 as id",
        "models/growing.sql": "{{ config(materialized='incremental') }}select 1 as id",
    })
    nodes = Workspace.open(root, on_warning=lambda message: None).compile().nodes
    # dbt accepts one tag as a string, and incremental keys set for every model matter to incremental ones only.
    assert nodes["model.plain"].materialized == "view" and "nightly" in nodes["model.plain"].tags
    assert nodes["model.growing"].materialized == "incremental"
    assert nodes["model.growing"].data_config["incremental_strategy"] == "delete+insert"


def test_tests_real_projects_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import duckdb

    monkeypatch.setenv("DBT_DUCKDB_PATH", str(tmp_path / "out.duckdb"))
    root = write_project(tmp_path / "p", {
        "dbt_project.yml": "name: shop\nprofile: shop\n",
        "seeds/codes.csv": "id,code,status\n1,a,live\n2,b,live\n3,z,gone\n3,z,gone\n",
        "models/sources.yml": "sources:\n  - name: raw\n    schema: analytics\n    tables:\n"
                              "      - name: codes_src\n        identifier: codes\n",
        "models/live.sql": "select * from {{ source('raw', 'codes_src') }}",
        "models/live.yml": """models:
  - name: live
    columns:
      - name: id
        data_tests:
          - unique:
              config: {where: "status = 'live'"}
          - relationships:
              arguments: {to: "source('raw', 'codes_src')", field: id}
          - not_null:
              config: {enabled: false}
      - name: code
        data_tests:
          - accepted_values:
              arguments: {values: [a, b]}
              config: {where: "status <> 'gone'", severity: error}
    data_tests:
      - dbt_utils.unique_combination_of_columns:
          arguments: {combination_of_columns: [id, code]}
          config: {where: "status = 'live'"}
""",
    })
    workspace = Workspace.open(root, on_warning=lambda message: None)
    node = workspace.compile().nodes["model.live"]
    # The seed the source reads is built first, in the same apply (a parent of the model).
    assert "seed.codes" in node.parents and "source.raw.codes_src" in node.parents
    # Disabled tests are not run; `where` filters, as in dbt; dbt_utils' test is faborite's own here.
    assert len(node.checks) == 4
    assert all("dbt_subquery" in c.sql for c in node.checks if "status" in c.sql)
    workspace.apply(workspace.plan())  # the duplicate 3 is 'gone': every check passes, as with dbt
    con = duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from analytics.live").fetchone() == (4,)
    finally:
        con.close()
