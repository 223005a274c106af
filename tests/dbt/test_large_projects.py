"""What large real dbt projects use, read unchanged: each failure is one model's, never the project's.

Found by running ``faborite validate`` on slices of large public dbt projects
(docs/migrating-from-dbt.md, "Large real projects"); each test is a small
project written here for one construct.
"""

from __future__ import annotations

from pathlib import Path

from faborite.errors import CompileErrors
from tests.config.projects import compile_, error_of, write

PROFILE = "p:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: db.duckdb, schema: main}\n" \
          "    prod: {type: duckdb, path: db.duckdb, schema: main}\n"


def dbt_project(root: Path, models: dict[str, str], macros: dict[str, str] | None = None,
                project_yml: str = "", files: dict[str, str] | None = None) -> Path:
    """A dbt project folder (dbt_project.yml, profiles.yml) with ``models/<name>.sql`` and ``macros/``."""
    write(root, "dbt_project.yml", "name: big\nprofile: p\n" + project_yml)
    write(root, "profiles.yml", PROFILE)
    for name, text in models.items():
        write(root, f"models/{name}.sql", text)
    for name, text in (macros or {}).items():
        write(root, f"macros/{name}.sql", text)
    for rel, text in (files or {}).items():
        write(root, rel, text)
    return root


def test_generate_schema_name_for_env_is_dbt_s_built_in(tmp_path):
    root = dbt_project(tmp_path / "p", {"m": "{{ config(schema='marts') }}select 1 as x"},
                       {"names": "{% macro generate_schema_name(custom_schema_name, node) -%}\n"
                                 "{{ generate_schema_name_for_env(custom_schema_name, node) }}\n{%- endmacro %}"})
    assert compile_(root).nodes["model.m"].relation == "main.m"
    assert compile_(root, "prod").nodes["model.m"].relation == "marts.m"


def test_a_failing_naming_macro_fails_its_model_only(tmp_path):
    root = dbt_project(tmp_path / "p", {
        "good": "select 1 as x", "bad": "{{ config(schema='nope') }}select 1 as x",
        "also_bad": "{{ config(schema='nope') }}select 2 as x",
    }, {"names": "{% macro generate_schema_name(custom_schema_name, node) -%}\n"
                 "{%- if custom_schema_name == 'nope' %}{{ exceptions.raise_compiler_error('no such schema') }}"
                 "{% endif %}{{ target.schema }}\n{%- endmacro %}"})
    error = error_of(root)
    assert isinstance(error, CompileErrors)
    assert error.message.startswith("2 models failed to compile")
    # The error is in the macro's file: each line names the model it failed.
    assert "(model bad)" in error.message and "(model also_bad)" in error.message


def test_dbt_utils_introspection_finds_no_relations_at_plan_time(tmp_path):
    root = dbt_project(tmp_path / "p", {
        "unioned": "{% set rels = dbt_utils.get_relations_by_pattern('raw%', 'events%') %}"
                   "{{ dbt_utils.union_relations(relations=rels) }}",
        "types": "select {{ dbt_utils.get_table_types_sql() }} from information_schema.tables",
        "fine": "select 1 as x",
    })
    error = error_of(root)
    assert error.file == "models/unioned.sql" and "renders to no SQL" in error.message
    assert "plan time" in error.hint


def test_dbt_utils_0x_names_still_compile(tmp_path):
    root = dbt_project(tmp_path / "p", {
        "m": "select {{ dbt_utils.surrogate_key(['a', 'b']) }} as k, "
             "{{ dbt_utils.datediff('a', 'b', 'day') }} as d, "
             "cast(a as {{ dbt_utils.type_string() }}) as s, {{ dbt_utils.current_timestamp() }} as t "
             "from (select date '2024-01-01' as a, date '2024-01-03' as b)",
    })
    sql = compile_(root).nodes["model.m"].sql
    assert "md5" in sql.lower() and "date_diff" in sql.lower()


def test_every_model_path_is_read_also_outside_the_project(tmp_path):
    root = dbt_project(tmp_path / "repo" / "projects" / "p", {"m": "select * from {{ ref('shared_m') }}"},
                       project_yml="model-paths: [models, ../../shared_models]\n"
                                   "macro-paths: [macros, ../../shared_macros]\n")
    write(tmp_path / "repo", "shared_models/shared_m.sql", "select {{ shared_one() }} as x")
    write(tmp_path / "repo", "shared_models/sources.yml", "sources:\n  - name: raw\n    tables:\n      - name: t\n")
    write(tmp_path / "repo", "shared_macros/one.sql", "{% macro shared_one() %}1{% endmacro %}")
    write(root, "models/n.sql", "select * from {{ source('raw', 't') }}")
    nodes = compile_(root).nodes
    assert nodes["model.shared_m"].sql == "select 1 as x"
    assert nodes["model.shared_m"].file == "../../shared_models/shared_m.sql"
    assert "model.n" in nodes


def test_a_broken_macro_file_fails_only_the_models_that_call_it(tmp_path, caplog):
    root = dbt_project(tmp_path / "p", {"uses_it": "select {{ broken_one() }} as x", "fine": "select 1 as x"},
                       {"broken": "{% macro broken_one() %}\n1\n{% endif %}\n{% endmacro %}",
                        "good": "{% macro good_one() %}2{% endmacro %}"})
    with caplog.at_level("WARNING", logger="faborite"):
        error = error_of(root)
    assert (error.file, error.line) == ("macros/broken.sql", 3) and "'broken_one' is unusable" in error.message
    assert any("macros/broken.sql:3: macro file not loaded" in r.message for r in caplog.records)
    write(root, "models/uses_it.sql", "select {{ good_one() }} as x")
    assert compile_(root).nodes["model.uses_it"].sql == "select 2 as x"


def test_ref_and_source_overrides_are_called(tmp_path):
    root = dbt_project(tmp_path / "p", {
        "up": "select 1 as x",
        "m": "select * from {{ ref('up') }} join {{ source('raw', 't') }} on true",
    }, {"ref": "{% macro ref(model_name) %}{% do return(builtins.ref(model_name)) %}{% endmacro %}",
        "source": "{% macro source(s, t) %}{% set rel = builtins.source(s, t) %}"
                  "{% do return(rel.replace_path(database=none)) %}{% endmacro %}"},
        files={"models/sources.yml": "sources:\n  - name: raw\n    tables:\n      - name: t\n"})
    node = compile_(root).nodes["model.m"]
    assert "model.up" in node.parents and '"raw"."t"' in node.sql


def test_an_is_incremental_override_is_left_unused(tmp_path, caplog):
    root = dbt_project(tmp_path / "p", {
        "m": "{{ config(materialized='incremental') }}select 1 as x {% if is_incremental() %}where x > 0{% endif %}",
    }, {"inc": "{% macro is_incremental() %}{{ return(vars.get('nope')) }}{% endmacro %}"})
    with caplog.at_level("WARNING", logger="faborite"):
        assert compile_(root).nodes["model.m"].sql.strip() == "select 1 as x"
    assert any("macro 'is_incremental' is not used" in r.message for r in caplog.records)


def test_an_ephemeral_model_s_errors_are_its_own(tmp_path):
    root = dbt_project(tmp_path / "p", {
        "uses": "select * from {{ ref('eph') }}", "fine": "select 1 as x",
        "eph": "{{ config(materialized='ephemeral') }}\nselect a,\nfrom where",
        "nobody_refs_it": "{{ config(materialized='ephemeral') }}\nselect from where",
    })
    error = error_of(root)
    assert isinstance(error, CompileErrors)
    where = {(e.file, e.line) for e in error.errors}
    assert ("models/eph.sql", 3) in where and ("models/nobody_refs_it.sql", 2) in where
    assert any(e.file == "models/uses.sql" and "ephemeral model 'eph'" in e.message for e in error.errors)


def test_sql_errors_after_a_multi_line_config_name_the_file_s_line(tmp_path):
    root = dbt_project(tmp_path / "p", {"m": "{{ config(\n    materialized='table',\n    schema='x'\n) }}\n\n"
                                             "with a as (\n  select 1 as x,\n  from where\n)\nselect * from a"})
    error = error_of(root)
    assert (error.file, error.line) == ("models/m.sql", 8)


def test_an_error_in_sql_a_macro_generated_names_no_line_past_the_file(tmp_path):
    root = dbt_project(tmp_path / "p", {"m": "select * from (\n{{ long_sql() }}\n)"},
                       {"gen": "{% macro long_sql() %}\nselect 1 as a\n\n\n\n\n\n, from where\n{% endmacro %}"})
    error = error_of(root)
    assert error.file == "models/m.sql" and error.line is None and "a macro generated" in error.hint


def test_incremental_keys_on_other_materializations_are_ignored_as_dbt_does(tmp_path):
    root = dbt_project(tmp_path / "p", {"v": "select 1 as x",
                                        "inc": "{{ config(materialized='incremental', unique_key='x') }}select 1 as x"},
                       project_yml="models:\n  big:\n    +on_schema_change: sync_all_columns\n"
                                   "    +incremental_strategy: merge\n")
    nodes = compile_(root).nodes
    assert nodes["model.v"].materialized == "view" and nodes["model.inc"].materialized == "incremental"


def test_a_materialization_block_leaves_the_file_s_other_macros_usable(tmp_path):
    root = dbt_project(tmp_path / "p", {"m": "select {{ one() }} as x",
                                        "custom": "{{ config(materialized='my_custom') }}select 1 as x"},
                       {"all": "{% materialization my_custom, default %}\n{% call statement('main') %}{{ sql }}"
                               "{% endcall %}\n{{ return({'relations': [this]}) }}\n{% endmaterialization %}\n"
                               "{% macro one() %}1{% endmacro %}"})
    error = error_of(root)
    assert error.file == "models/custom.sql" and "my_custom" in error.message
    write(root, "models/custom.sql", "select 2 as x")
    assert compile_(root).nodes["model.m"].sql == "select 1 as x"


def test_a_disabled_model_s_refs_are_not_resolved(tmp_path):
    root = dbt_project(tmp_path / "p", {
        "off_in_config": "{{ config(enabled=false) }}\nselect * from {{ ref('gone') }}",
        "off_in_dict": "{{ config({'enabled': False}) }}\nselect * from {{ ref('gone') }}",
        "off_in_project": "select * from {{ ref('gone') }}", "on": "select 1 as x",
    }, project_yml="models:\n  big:\n    off_in_project:\n      +enabled: false\n")
    assert set(compile_(root).nodes) == {"model.on"}
    write(root, "models/on.sql", "select * from {{ ref('gone') }}")
    assert error_of(root).file == "models/on.sql"  # an enabled model still fails


def test_run_query_columns_read_as_empty_at_plan_time(tmp_path):
    root = dbt_project(tmp_path / "p", {
        "up": "select 1 as id",
        "m": "{% set res = run_query('select id from ' ~ ref('up')) %}"
             "{% if execute %}{% set vals = res.columns[0].values() %}{% endif %}"
             "select 1 as x{% for v in vals %}, {{ v }} as c{{ v }}{% endfor %}",
    })
    assert compile_(root).nodes["model.m"].sql == "select 1 as x"


def test_every_failing_model_is_listed_however_many(tmp_path):
    root = dbt_project(tmp_path / "p", {f"broken_{i:02d}": "select 1 as x,\nfrom where" for i in range(30)})
    error = error_of(root)
    assert error.message.startswith("30 models failed to compile")
    assert all(f"models/broken_{i:02d}.sql" in error.message for i in range(30)) and "more lines" not in error.message


def test_notes_name_dbt_project_yml_and_show_when_models_fail(tmp_path):
    root = dbt_project(tmp_path / "p", {"m": "select 1 as x,\nfrom where"},
                       project_yml="models:\n  big:\n    gone_folder:\n      +materialized: table\n")
    from faborite.config.loader import load_project

    assert any(w.startswith("dbt_project.yml: 'models.gone_folder' matches no folder") for w in load_project(root).warnings)
    from click.testing import CliRunner
    from faborite.cli import cli

    result = CliRunner().invoke(cli, ["--project-dir", str(root), "validate"])
    assert result.exit_code == 1 and "matches no folder" in result.output  # printed although compile failed
