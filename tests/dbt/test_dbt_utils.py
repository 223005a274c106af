"""faborite's dbt_utils fallbacks: used only when dbt_utils is not vendored, said once, plan-time semantics."""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb

from faborite.compiler.project_compiler import compile_project
from faborite.config.loader import MacroFile, load_project
from faborite.dbt.dbt_utils import UNKNOWN_SPAN_PERIODS, intervals_between
from tests.config.projects import compile_, error_of, write
from tests.dbt.test_jinja_context import MINIMAL, _project


def test_get_column_values_answers_its_default_at_plan_time(tmp_path):
    root = _project(tmp_path / "p", {"up": "select 'a' as s", "m": "{% set v = dbt_utils.get_column_values(ref('up'), 's', "
                                                                 "default=['x', 'y']) %}select '{{ v | join(',') }}' as v"})
    assert compile_(root).nodes["model.m"].sql == "select 'x,y' as v"


def test_generic_test_macros_return_failing_rows(tmp_path):
    root = _project(tmp_path / "p", {
        "up": "select 1 as id, 5 as amount union all select 2, null union all select 2, 20",
        "range_failures": "{{ dbt_utils.test_accepted_range(ref('up'), 'amount', min_value=0, max_value=10) }}",
        "true_failures": "{{ dbt_utils.test_expression_is_true(ref('up'), 'amount > 4') }}",
        "combo_failures": "{{ dbt_utils.test_unique_combination_of_columns(ref('up'), ['id']) }}",
        "proportion_failures": "{{ dbt_utils.test_not_null_proportion(ref('up'), 'amount', at_least=0.9) }}",
    })
    nodes = compile_(root).nodes
    with duckdb.connect() as con:
        con.execute('create schema if not exists main; create table main.up as ' + nodes["model.up"].sql)
        counts = {name: len(con.execute(nodes[f"model.{name}"].sql).fetchall())
                  for name in ("range_failures", "true_failures", "combo_failures", "proportion_failures")}
    # amount 20 is out of range; 'null > 4' is not false, so only rows where it is false fail (none);
    # id 2 twice; 2 of 3 not null is below 0.9.
    assert counts == {"range_failures": 1, "true_failures": 0, "combo_failures": 1, "proportion_failures": 1}


def test_a_vendored_dbt_utils_wins(tmp_path):
    root = _project(tmp_path / "p", {"m": "select {{ dbt_utils.safe_divide('1', '2') }} as x"})
    vendored = MacroFile(path="dbt_packages/dbt_utils/macros/math.sql",
                         text="{% macro safe_divide(a, b) %}{{ a }} / {{ b }} /* vendored */{% endmacro %}")
    project = load_project(root)
    project = project.model_copy(update={"macros": (*project.macros, vendored)})
    assert compile_project(project, environ={}).nodes["model.m"].sql == "select 1 / 2 /* vendored */ as x"


def test_the_fallback_is_announced_once(tmp_path, caplog):
    root = _project(tmp_path / "p", {"a": "select {{ dbt_utils.safe_add(['1', '2']) }} as x",
                                     "b": "select {{ dbt_utils.safe_add(['1']) }} as x", "c": "select 1 as x"})
    with caplog.at_level(logging.WARNING, logger="faborite"):
        compile_(root)
    notes = [r.message for r in caplog.records if "dbt_utils" in r.message]
    assert len(notes) == 1 and "built-in implementations" in notes[0]


def test_no_announcement_without_dbt_utils(tmp_path, caplog):
    root = _project(tmp_path / "p", {"a": "select 1 as x"})
    with caplog.at_level(logging.WARNING, logger="faborite"):
        compile_(root)
    assert not [r for r in caplog.records if "dbt_utils" in r.message]


def test_intervals_between_literal_dates_else_an_overestimate():
    assert intervals_between("cast('2024-01-01' as date)", "'2024-01-05'", "day") == 4
    assert intervals_between("'2024-01-15'", "'2024-03-01'", "month") == 3
    assert intervals_between("current_date", "'2024-03-01'", "day") == UNKNOWN_SPAN_PERIODS


def test_an_unknown_dbt_utils_macro_names_itself(tmp_path):
    root = _project(tmp_path / "p", {"m": "select {{ dbt_utils.nonexistent() }} as x"})
    error = error_of(root)
    assert "dbt_utils.nonexistent" in error.message and error.file == "models/m.sql"


def test_star_of_a_model_whose_columns_come_later_is_rendered_again(tmp_path):
    root = _project(tmp_path / "p", {"up": "select 1 as a, 2 as b",
                                     "mid": "select {{ dbt_utils.star(ref('up'), except=['b']) }} from {{ ref('up') }}",
                                     "top": "select {{ dbt_utils.star(ref('mid')) }} from {{ ref('mid') }}"})
    nodes = compile_(root).nodes
    assert nodes["model.mid"].sql == 'select "a" from "main"."up"'
    assert nodes["model.top"].sql == 'select "a" from "main"."mid"'
    # A second compile (renders of these are never cached: their inputs are other models) agrees.
    write(root, "models/up.sql", "select 1 as a, 2 as b, 3 as c")
    assert _flat(compile_(root, cache_dir=root / ".cache").nodes["model.top"].sql) == \
        'select "a", "c" from "main"."mid"'
    write(root, "models/up.sql", "select 1 as a, 2 as b, 3 as c, 4 as d")
    assert _flat(compile_(root, cache_dir=root / ".cache").nodes["model.top"].sql) == \
        'select "a", "c", "d" from "main"."mid"'


def _flat(sql: str) -> str:
    return " ".join(sql.split())


def test_custom_schema_default_is_dbts_only_through_the_macro(tmp_path):
    root = _project(tmp_path / "p", {"m": "{{ config(schema='marts') }}select 1 as x"})
    assert compile_(root).nodes["model.m"].relation == "marts.m"  # faborite's naming, unchanged
    write(root, "macros/naming.sql", "{% macro generate_schema_name(custom_schema_name, node) %}"
                                     "{{ default__generate_schema_name(custom_schema_name, node) }}{% endmacro %}")
    assert compile_(root).nodes["model.m"].relation == "main_marts.m"  # dbt's default, asked for


def test_a_naming_macro_error_is_located(tmp_path):
    root = _project(tmp_path / "p", {"m": "select 1 as x"},
                    {"naming": "{% macro generate_schema_name(custom_schema_name, node) %}\n"
                               "{{ exceptions.raise_compiler_error('no schema for ' ~ node.name) }}\n{% endmacro %}"})
    error = error_of(root)
    assert error.message == "no schema for m" and (error.file, error.line) == ("macros/naming.sql", 2)


def test_minimal_is_a_faborite_project():
    assert "targets" in MINIMAL


def test_every_fallback_generic_test_is_offered_when_dbt_utils_is_not_vendored() -> None:
    # The 0.x-era tests live in the second fallback file; a YAML `dbt_utils.not_constant` was skipped.
    from faborite.dbt.dbt_utils import fallback_tests

    offered = fallback_tests(set())
    assert {"dbt_utils.expression_is_true", "dbt_utils.not_constant", "dbt_utils.recency"} <= offered
    assert fallback_tests({"dbt_utils"}) == set()
