"""Vendored packages as real projects use them: a package's generic test named with its namespace,
dbt's test-context helpers, and a package's warehouse-asking ``date_spine`` (faborite/dbt/tests.py,
faborite/dbt/dbt_utils.py)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from faborite.api import Workspace
from tests.dbt.test_real_layouts import write_project

PACKAGE_YML = "name: spine_pkg\nversion: '1.0'\nconfig-version: 2\nmacro-paths: [macros]\n"
#: A package test written as dbt packages write them: dispatched, and asking dbt's test context.
PACKAGE_TEST = """{% test is_positive(model, column_name) %}
  {{ return(adapter.dispatch('test_is_positive', 'spine_pkg')(model, column_name)) }}
{% endtest %}
{% macro default__test_is_positive(model, column_name) %}
select {{ '*' if should_store_failures() else '1 as filler' }} from {{ model }} where {{ column_name }} <= 0
{% endmacro %}
"""
#: A package date spine that, like dbt_utils', asks the warehouse how many periods to generate.
PACKAGE_SPINE = """{% macro get_intervals_between(start_date, end_date, datepart) -%}
  {{ return(adapter.dispatch('get_intervals_between', 'spine_pkg')(start_date, end_date, datepart)) }}
{%- endmacro %}
{% macro default__get_intervals_between(start_date, end_date, datepart) -%}
  {%- call statement('n', fetch_result=True) %}select {{ dbt.datediff(start_date, end_date, datepart) }}{% endcall -%}
  {%- set result = load_result('n') -%}
  {{ return(result['data'][0][0] if result and result['data'] else 1) }}
{%- endmacro %}
{% macro date_spine(datepart, start_date, end_date) %}
  {{ return(adapter.dispatch('date_spine', 'spine_pkg')(datepart, start_date, end_date)) }}
{%- endmacro %}
{% macro default__date_spine(datepart, start_date, end_date) %}
with n as (select range as i from range({{ spine_pkg.get_intervals_between(start_date, end_date, datepart) }}))
select {{ dbt.dateadd(datepart, 'i', start_date) }} as date_{{ datepart }} from n
where {{ dbt.dateadd(datepart, 'i', start_date) }} <= {{ end_date }}
{% endmacro %}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DBT_DUCKDB_PATH", str(tmp_path / "out.duckdb"))
    return write_project(tmp_path / "p", {
        "dbt_project.yml": "name: shop\nprofile: shop\n",
        "dbt_packages/spine_pkg/dbt_project.yml": PACKAGE_YML,
        "dbt_packages/spine_pkg/macros/is_positive.sql": PACKAGE_TEST,
        "dbt_packages/spine_pkg/macros/date_spine.sql": PACKAGE_SPINE,
        "models/days.sql": "{{ spine_pkg.date_spine('day', \"cast('2024-01-30' as date)\", "
                           "\"cast('2024-02-02' as date)\") }}",
        "models/recent.sql": "{{ spine_pkg.date_spine('day', \"current_date - 3\", \"current_date\") }}",
        "models/amounts.sql": "select 1 as amount",
        "models/amounts.yml": "models:\n  - name: amounts\n    data_tests:\n      - spine_pkg.is_positive:\n"
                              "          arguments:\n            column_name: amount\n",
    })


def test_a_package_test_is_called_through_its_namespace(project: Path) -> None:
    manifest = Workspace.open(project, on_warning=lambda message: None).compile()
    [check] = manifest.nodes["model.amounts"].checks
    assert "where amount <= 0" in check.sql and "1 as filler" in check.sql


def test_a_package_date_spine_builds_every_period_without_the_warehouse(project: Path) -> None:
    import duckdb

    workspace = Workspace.open(project, on_warning=lambda message: None)
    workspace.apply(workspace.plan())
    con = duckdb.connect(str(project.parent / "out.duckdb"), read_only=True)
    try:
        days = [row[0] for row in con.execute("select date_day from analytics.days order by 1").fetchall()]
        recent = con.execute("select count(*), max(date_day) = current_date - 1 from analytics.recent").fetchone()
    finally:
        con.close()
    # dbt counts the periods in the warehouse (end excluded); at plan time that query answers nothing.
    assert [d.date() if isinstance(d, datetime.datetime) else d for d in days] == [
        datetime.date(2024, 1, 30), datetime.date(2024, 1, 31), datetime.date(2024, 2, 1)]
    assert recent == (3, True)


def test_a_package_sees_its_own_vars_under_the_root_projects(tmp_path: Path) -> None:
    root = write_project(tmp_path, {
        "dbt_project.yml": "name: shop\nprofile: shop\nvars:\n  region: eu\n  spine_pkg:\n    limit: 7\n",
        "dbt_packages/spine_pkg/dbt_project.yml": PACKAGE_YML + "vars:\n  limit: 1\n  unit: day\n  region: us\n",
        "dbt_packages/spine_pkg/models/pkg_model.sql": "select {{ var('limit') }} as lim, '{{ var('unit') }}' as unit, "
                                                      "'{{ var('region') }}' as region",
        "models/own.sql": "select '{{ var('region') }}' as region, {{ var('limit', 0) }} as lim",
    })
    nodes = Workspace.open(root, on_warning=lambda message: None).compile().nodes
    # Root-scoped beats the package's own; the root's global beats the package's; the package's fill in.
    assert "7 as lim" in nodes["model.pkg_model"].sql and "'day' as unit" in nodes["model.pkg_model"].sql
    assert "'eu' as region" in nodes["model.pkg_model"].sql
    # The root project never sees a package's vars, nor its own vars scoped to a package.
    assert "0 as lim" in nodes["model.own"].sql


def test_api_column_translate_type(tmp_path: Path) -> None:
    root = write_project(tmp_path, {
        "dbt_project.yml": "name: shop\nprofile: shop\n",
        "models/m.sql": "select cast(1 as {{ api.Column.translate_type('integer') }}) as a, "
                        "cast(1 as {{ api.Column.translate_type('varchar') }}) as b",
    })
    sql = Workspace.open(root, on_warning=lambda message: None).compile().nodes["model.m"].sql.lower()
    assert "as int)" in sql and "as varchar)" in sql


def test_a_custom_materialization_block_does_not_stop_the_project(tmp_path: Path) -> None:
    root = write_project(tmp_path, {
        "dbt_project.yml": "name: shop\nprofile: shop\n",
        "dbt_packages/spine_pkg/dbt_project.yml": PACKAGE_YML,
        "dbt_packages/spine_pkg/macros/mat.sql": "{% materialization audit_table, adapter='duckdb' %}\n"
                                                 "{{ return({'relations': []}) }}\n{% endmaterialization %}\n"
                                                 "{% macro one() %}1{% endmacro %}\n",
        "models/m.sql": "select {{ spine_pkg.one() }} as a",
    })
    assert "1 as a" in Workspace.open(root, on_warning=lambda message: None).compile().nodes["model.m"].sql


def test_a_package_calls_its_private_macros_on_relations(tmp_path: Path) -> None:
    # As dbt_utils' star(): `pkg._is_relation(...)` (a private macro through the namespace), which asks
    # whether the argument is a Relation the way dbt's Relation answers (a mapping with metadata).
    root = write_project(tmp_path, {
        "dbt_project.yml": "name: shop\nprofile: shop\n",
        "dbt_packages/spine_pkg/dbt_project.yml": PACKAGE_YML,
        "dbt_packages/spine_pkg/macros/cols.sql": """
{% macro cols(from) %}
  {%- do spine_pkg._is_relation(from, 'cols') -%}
  {%- if from.is_cte %}{{ exceptions.raise_compiler_error('ephemeral') }}{% endif -%}
  {%- for c in adapter.get_columns_in_relation(from) %}{{ c.column }}{{ ', ' if not loop.last }}{% endfor -%}
{% endmacro %}
{% macro _is_relation(obj, macro) %}
  {%- if not (obj is mapping and obj.get('metadata', {}).get('type', '').endswith('Relation')) -%}
    {%- do exceptions.raise_compiler_error(macro ~ ' expected a Relation: ' ~ obj) -%}
  {%- endif -%}
{% endmacro %}
""",
        "models/base.sql": "select 1 as id, 'a' as name",
        "models/listed.sql": "select {{ spine_pkg.cols(ref('base')) }} from {{ ref('base') }}",
    })
    sql = Workspace.open(root, on_warning=lambda message: None).compile().nodes["model.listed"].sql
    assert sql.startswith("select id, name from")


def _compiled(root: Path, files: dict[str, str]):
    """The manifest of a dbt project ``p`` (profile ``shop``) holding ``files``."""
    write_project(root, {"dbt_project.yml": "name: p\nprofile: shop\n", **files})
    return Workspace.open(root, on_warning=lambda message: None).compile()


def test_a_project_macro_and_a_package_macro_may_share_a_name(tmp_path: Path) -> None:
    # The project's wins for the project's own calls; the package's namespace and its own macros
    # keep the package's (no "defined twice").
    manifest = _compiled(tmp_path / "p", {
        "dbt_packages/pkg/dbt_project.yml": "name: pkg\n",
        "dbt_packages/pkg/macros/m.sql": "{% macro cents(x) %}({{ x }} / 100){% endmacro %}\n"
                                         "{% macro pkg_use(x) %}{{ cents(x) }}{% endmacro %}\n",
        "macros/m.sql": "{% macro cents(x) %}({{ x }} / 1000){% endmacro %}\n",
        "models/m.sql": "select {{ cents(5) }} as a, {{ pkg.cents(5) }} as b, {{ pkg.pkg_use(5) }} as c\n",
    })
    assert manifest.nodes["model.m"].sql == "select (5 / 1000) as a, (5 / 100) as b, (5 / 100) as c"


def test_accepted_values_with_quote_false_compares_the_values_as_sql(tmp_path: Path) -> None:
    manifest = _compiled(tmp_path / "p", {
        "models/m.sql": "select 1 as n union all select 3\n",
        "models/m.yml": "models:\n  - name: m\n    columns:\n      - name: n\n        data_tests:\n"
                        "          - accepted_values: {values: ['1', '2'], quote: false}\n",
    })
    [check] = manifest.nodes["model.m"].checks
    assert "not in (1, 2)" in check.sql  # numbers, not the strings '1' and '2'
