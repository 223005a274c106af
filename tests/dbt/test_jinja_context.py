"""The dbt Jinja context: do, return, exceptions, modules, this, target, adapter, run_query, versions ..."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.config.projects import compile_, error_of, write

MINIMAL = "name: shop\ntargets:\n  dev: {type: duckdb, path: db.duckdb}\n"


def _project(root: Path, models: dict[str, str], macros: dict[str, str] | None = None,
             extra: dict[str, str] | None = None) -> Path:
    write(root, "faborite.yml", MINIMAL)
    for name, text in models.items():
        write(root, f"models/{name}.sql", text)
    for name, text in (macros or {}).items():
        write(root, f"macros/{name}.sql", text)
    for rel, text in (extra or {}).items():
        write(root, rel, text)
    return root


def _sql(tmp_path: Path, text: str, macros: dict[str, str] | None = None, **more: str) -> str:
    root = _project(tmp_path / "p", {"m": text, **more}, macros)
    return compile_(root).nodes["model.m"].sql


def test_do_and_lists_and_dicts_macros_build(tmp_path):
    sql = _sql(tmp_path, "{% set cols = [] %}{% do cols.append('a') %}{% do cols.extend(['b']) %}"
                         "{% set d = {} %}{% do d.update({'c': 3}) %}{% do cols.pop() %}"
                         "select {{ cols | join(', ') }}, {{ d['c'] }} as c from (select 1 as a)")
    assert sql == "select a, 3 as c from (select 1 as a)"


def test_return_gives_the_value_not_the_text(tmp_path):
    macros = {"m": "{% macro cols() %}ignored text{{ return(['x', 'y']) }}{% endmacro %}\n"
                   "{% macro first() %}{{ return(cols()[0]) }}{% endmacro %}"}
    sql = _sql(tmp_path, "select 1 as {{ first() }}, {{ cols() | length }} as n", macros)
    assert sql == "select 1 as x, 2 as n"


def test_raise_compiler_error_is_located(tmp_path):
    root = _project(tmp_path / "p", {"m": "select 1\n{% if true %}\n{{ exceptions.raise_compiler_error('bad input') }}\n"
                                          "{% endif %}"})
    error = error_of(root)
    assert error.message == "bad input"
    assert (error.file, error.line) == ("models/m.sql", 3)


def test_warn_log_print_render_nothing(tmp_path, capsys):
    sql = _sql(tmp_path, "select 1 as a{{ exceptions.warn('w') }}{{ log('l', info=True) }}{{ print('p') }}")
    assert sql == "select 1 as a"
    assert "p" in capsys.readouterr().err


def test_modules_and_conversions(tmp_path):
    sql = _sql(tmp_path, "select '{{ modules.datetime.date(2024, 1, 2).isoformat() }}' as d, "
                         "'{{ modules.re.sub('[0-9]', 'x', 'a1') }}' as r, "
                         "{{ modules.itertools.chain([1], [2]) | list | length }} as n, "
                         "{{ 'true' | as_bool }} as b, {{ as_number('4') + 1 }} as k, "
                         "'{{ fromjson('{\"a\": 1}')['a'] }}{{ tojson([1]) }}{{ fromyaml('x: 2')['x'] }}' as j")
    assert sql == "select '2024-01-02' as d, 'ax' as r, 2 as n, True as b, 5 as k, '1[1]2' as j"


def test_modules_do_not_reach_past_the_allow_list(tmp_path):
    root = _project(tmp_path / "p", {"m": "select '{{ modules.re.enum }}' as x"})
    assert "enum" in error_of(root).message


def test_this_target_execute_and_var_none(tmp_path):
    sql = _sql(tmp_path, "{{ config(schema='marts') }}select '{{ this.name }}' as n, '{{ this.schema }}' as s, "
                         "'{{ this.identifier }}' as i, '{{ target.type }}' as t, '{{ target.name }}' as tn, "
                         "'{{ target.schema }}' as ts, {{ target.threads }} as th, {{ execute }} as e, "
                         "{{ var('nope', None) is none }} as v")
    assert sql == ("select 'm' as n, 'main' as s, 'm' as i, 'duckdb' as t, 'dev' as tn, 'main' as ts, 1 as th, "
                   "True as e, True as v")


def test_this_renders_as_the_relation(tmp_path):
    assert _sql(tmp_path, "select * from {{ this }}") == 'select * from "main"."m"'


def test_var_lists_are_copies(tmp_path):
    root = _project(tmp_path / "p", {"m": "{% set l = var('cols') %}{% do l.append('z') %}select {{ l | length }} as n",
                                     "n": "select {{ var('cols') | length }} as n"})
    write(root, "faborite.yml", MINIMAL + "vars:\n  cols: [a, b]\n")
    nodes = compile_(root).nodes
    assert nodes["model.m"].sql == "select 3 as n"
    assert nodes["model.n"].sql == "select 2 as n"


def test_relation_create_adapter_quote_and_ref_attributes(tmp_path):
    sql = _sql(tmp_path, "select {{ adapter.quote('a b') }} from {{ api.Relation.create(schema='raw', "
                         "identifier='t') }} join {{ ref('up') }} on '{{ ref('up').identifier }}' = "
                         "'{{ ref('up').schema }}'", up="select 1 as \"a b\"")
    assert sql == ('select "a b" from "raw"."t" join "main"."up" on \'up\' = \'main\'')


def test_ref_with_a_package_name_and_versions(tmp_path):
    root = _project(tmp_path / "p", {
        "dim_v1": "select 1 as v", "dim_v2": "select 2 as v",
        "m": "select * from {{ ref('shop', 'dim') }} union all select * from {{ ref('dim', v=1) }} "
             "union all select * from {{ ref('dim', version=2) }}",
    }, extra={"models/dim.yml": "models:\n  - name: dim\n    latest_version: 2\n    versions:\n      - v: 1\n"
                                "      - v: 2\n"})
    node = compile_(root).nodes["model.m"]
    assert node.sql == ('select * from "main"."dim_v2" union all select * from "main"."dim_v1" '
                        'union all select * from "main"."dim_v2"')
    assert node.parents == ("model.dim_v1", "model.dim_v2")


def test_unknown_version_names_the_versions(tmp_path):
    root = _project(tmp_path / "p", {"dim_v1": "select 1 as v", "m": "select * from {{ ref('dim', v=7) }}"},
                    extra={"models/dim.yml": "models:\n  - name: dim\n    versions:\n      - v: 1\n"})
    error = error_of(root)
    assert "no such version" in error.message and "1" in error.hint
    assert (error.file, error.line) == ("models/m.sql", 1)


def test_source_quoting_and_identifier(tmp_path):
    root = _project(tmp_path / "p", {"m": "select * from {{ source('raw', 'orders') }} join {{ source('raw', 'people') }}"},
                    extra={"sources/raw.yml": "sources:\n  - name: raw\n    quoting: {identifier: false}\n"
                                              "    tables:\n      - name: orders\n        identifier: Orders_2024\n"
                                              "      - name: people\n        quoting: {identifier: true}\n"})
    assert compile_(root).nodes["model.m"].sql == 'select * from "raw".Orders_2024 join "raw"."people"'
    write(root, "models/m.sql", "select '{{ source('raw', 'orders').identifier }}' as i, "
                                "'{{ source('raw', 'orders').schema }}' as s")
    assert compile_(root).nodes["model.m"].sql == "select 'Orders_2024' as i, 'raw' as s"


def test_run_query_statement_load_result_are_empty_and_never_run(tmp_path):
    sql = _sql(tmp_path, "{% call statement('q', fetch_result=True) %}delete from x{% endcall %}"
                         "{% set r = load_result('q') %}{% set t = run_query('drop table x') %}"
                         "select {{ r['data'] | length }} as a, {{ t.rows | length }} as b, "
                         "{{ t.columns | length }} as c")
    assert sql == "select 0 as a, 0 as b, 0 as c"


def test_config_get_and_require(tmp_path):
    sql = _sql(tmp_path, "{{ config(materialized='table') }}select '{{ config.get('materialized') }}' as m, "
                         "'{{ config.get('nothing', 'dflt') }}' as d, '{{ config.require('materialized') }}' as r")
    assert sql == "select 'table' as m, 'dflt' as d, 'table' as r"
    root = _project(tmp_path / "q", {"m": "select 1 as a\n{{ config.require('unique_key') }}"})
    assert "unique_key" in error_of(root).message


def test_adapter_dispatch_prefers_target_type_then_default_root_then_package(tmp_path):
    macros = {"m": "{% macro duckdb__greet() %}'typed'{% endmacro %}"
                   "{% macro default__other() %}'default'{% endmacro %}"}
    sql = _sql(tmp_path, "select {{ adapter.dispatch('greet')() }} as a, {{ adapter.dispatch('other', 'shop')() }} as b",
               macros)
    assert sql == "select 'typed' as a, 'default' as b"


def test_dispatch_finds_package_macros_and_honours_search_order(tmp_path):
    root = _project(tmp_path / "p", {"m": "select {{ pkg.hello() }} as a, {{ adapter.dispatch('hello', 'pkg')() }} as b"},
                    extra={"dbt_packages/pkg/macros/h.sql":
                           "{% macro hello() %}{{ return(adapter.dispatch('hello', 'pkg')()) }}{% endmacro %}"
                           "{% macro default__hello() %}'{{ helper() }}'{% endmacro %}"
                           "{% macro helper() %}from package{% endmacro %}",
                           "macros/over.sql": "{% macro default__hello() %}'root'{% endmacro %}"})
    write(root, "faborite.yml", MINIMAL + "paths: {macros: macros}\n")
    # Package macros are read from dbt_packages/ by the loader of dbt projects; here they are handed over directly.
    from faborite.compiler.project_compiler import compile_project
    from faborite.config.loader import MacroFile, load_project

    project = load_project(root)
    package = MacroFile(path="dbt_packages/pkg/macros/h.sql", text=(root / "dbt_packages/pkg/macros/h.sql").read_text())
    project = project.model_copy(update={"macros": (*project.macros, package)})
    assert compile_project(project, environ={}).nodes["model.m"].sql == "select 'root' as a, 'root' as b"
    ordered = project.model_copy(update={"raw_config": {**project.raw_config, "dispatch": [
        {"macro_namespace": "pkg", "search_order": ["pkg", "shop"]}]}})
    assert compile_project(ordered, environ={}).nodes["model.m"].sql == \
        "select 'from package' as a, 'from package' as b"


def test_get_columns_in_relation_answers_from_the_compile(tmp_path):
    sql = _sql(tmp_path, "select {% for c in adapter.get_columns_in_relation(ref('up')) %}{{ c.name }}"
                         "{{ ', ' if not loop.last }}{% endfor %} from {{ ref('up') }}",
               up="select 1 as a, 2 as b")
    assert sql == 'select a, b from "main"."up"'


def test_graph_and_builtins(tmp_path):
    sql = _sql(tmp_path, "select {{ graph.nodes | length }} as n from {{ builtins.ref('up') }}", up="select 1 as a")
    assert sql == 'select 2 as n from "main"."up"'


@pytest.mark.parametrize("text", ["{{ return(1) }}select 1"])
def test_return_at_top_level_is_a_compile_error(tmp_path, text):
    root = _project(tmp_path / "p", {"m": text})
    assert error_of(root).file == "models/m.sql"


def test_a_project_default_overrides_the_builtin_cross_db_macro(tmp_path):
    macros = {"m": "{% macro default__dateadd(datepart, interval, from_date_or_timestamp) %}mine({{ interval }})"
                   "{% endmacro %}"}
    sql = _sql(tmp_path, "select {{ dateadd('day', 1, 'd') }} as a, {{ dbt.dateadd('day', 2, 'd') }} as b, "
                         "{{ type_int() }} as c from t", macros)
    assert sql == "select mine(1) as a, mine(2) as b, INT as c from t"


def test_renders_reading_other_files_are_not_served_stale_from_the_cache(tmp_path):
    root = _project(tmp_path / "p", {"dim_v1": "select 1 as v", "dim_v2": "select 2 as v",
                                     "latest": "select * from {{ ref('dim') }}",
                                     "schema_of": "select '{{ ref('dim_v1').schema }}' as s"},
                    extra={"models/dim.yml": "models:\n  - name: dim\n    latest_version: 2\n    versions:\n"
                                             "      - v: 1\n      - v: 2\n"})
    cache = root / ".cache"
    assert compile_(root, cache_dir=cache).nodes["model.latest"].sql == 'select * from "main"."dim_v2"'
    write(root, "models/dim.yml", "models:\n  - name: dim\n    latest_version: 1\n    versions:\n      - v: 1\n"
                                  "      - v: 2\n  - name: dim_v1\n    config: {schema: other}\n")
    nodes = compile_(root, cache_dir=cache).nodes
    assert nodes["model.latest"].sql == 'select * from "other"."dim_v1"'
    assert nodes["model.schema_of"].sql == "select 'other' as s"


def test_raise_compiler_error_in_a_macro_names_the_model_too(tmp_path):
    macros = {"guard": "{% macro guard(x) %}\n{% if x > 1 %}\n{{ exceptions.raise_compiler_error('x too big') }}\n"
                       "{% endif %}\n{% endmacro %}"}
    root = _project(tmp_path / "p", {"m": "select {{ guard(2) }} 1 as a"}, macros)
    error = error_of(root)
    assert (error.file, error.line, error.message) == ("macros/guard.sql", 3, "x too big")
    assert "models/m.sql" in error.hint


def test_run_and_node_context_of_real_projects(tmp_path):
    from tests.dbt.test_real_layouts import relations, write_project
    from faborite.api import Workspace

    root = write_project(tmp_path / "p", {
        "dbt_project.yml": "name: shop\nprofile: shop\n",
        "models/audit.sql": "{{ config(materialized='table', tags=['a']) }}\n"
                            "select '{{ run_started_at.strftime('%Y') }}' as year, '{{ invocation_id | length }}' as n,\n"
                            "'{{ model.name }}|{{ model.unique_id }}|{{ model.config.materialized }}' as node,\n"
                            "'{{ schema }}|{{ dbt_version }}|{{ selected_resources | length }}' as run,\n"
                            "'{{ load_relation(ref('other')) }}' as other",
        "models/other.sql": "select 1 as id",
    })
    sql = Workspace.open(root, on_warning=lambda message: None).compile().nodes["model.audit"].sql
    assert "'36' as n" in sql and "'audit|model.shop.audit|table' as node" in sql
    assert "'analytics|1.11.0|2' as run" in sql and '\'"analytics"."other"\' as other' in sql
    assert relations(root)["model.audit"] == "analytics.audit"
