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
