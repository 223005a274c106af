"""Compile errors: bad refs, cycles, SQL syntax, Jinja, config(), macros, targets.

Each is one error naming the file and line of the mistake, what was expected,
and a hint where one helps.
"""

from __future__ import annotations

import pytest

from faborite.compiler.dag import build_graph, topological_order
from faborite.compiler.sql import parse_query
from faborite.errors import CompileError, ConfigError
from tests.config.projects import check_error, compile_, edit, error_of, line_with, write

ORDERS = "models/marts/orders.sql"


# -- ref() ----------------------------------------------------------------------------


def test_missing_ref_names_it_and_suggests_the_closest(proj):
    edit(proj, ORDERS, 'ref("stg_orders")', 'ref("stg_order")')
    error = error_of(proj)
    check_error(error, CompileError, file=ORDERS, line=line_with(proj, ORDERS, "stg_order"),
                message="ref('stg_order') names no model or seed")
    assert error.hint == "did you mean 'stg_orders'?"


def test_missing_ref_with_nothing_close(proj):
    write(proj, "models/x.sql", "select *\nfrom {{ ref('zzzz') }}\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=2, message="ref('zzzz')",
                hint="check the file name under models/ or seeds/")


def test_ref_with_bad_arguments(proj):
    write(proj, "models/x.sql", "select *\nfrom {{ ref() }}\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=2, message="ref() takes a model or seed name")


def test_ref_to_a_disabled_model(proj):
    write(proj, "models/off.sql", "{{ config(enabled=false) }}\nselect 1 as x\n")
    write(proj, "models/x.sql", "select *\nfrom {{ ref('off') }}\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=None, message="names a disabled model",
                hint="enable it")


def test_relationships_check_to_unknown_node(proj):
    rel = "models/staging/schema.yml"
    edit(proj, rel, 'ref("stg_customers")', 'ref("stg_customer")')
    error = error_of(proj)
    # Located at the check itself, not only at its node's entry.
    check_error(error, CompileError, file=rel, line=line_with(proj, rel, 'ref("stg_customer")'),
                message="refers to unknown node 'stg_customer'")
    assert error.hint == "did you mean 'stg_customers'?"


# -- cycles ----------------------------------------------------------------------------------


def test_two_model_cycle_prints_the_path(proj):
    write(proj, "models/a.sql", "select *\nfrom {{ ref('b') }}\n")
    write(proj, "models/b.sql", "select * from {{ ref('a') }}\n")
    check_error(error_of(proj), CompileError, file="models/a.sql", line=2, message="dependency cycle: a -> b -> a",
                hint="break the cycle")


def test_three_model_cycle_follows_refs(proj):
    # a refs b, b refs c, c refs a: printed in ref() order, starting at the smallest name.
    write(proj, "models/c.sql", "select * from {{ ref('a') }}\n")
    write(proj, "models/b.sql", "select 1 as x\n\nunion all select * from {{ ref('c') }}\n")
    write(proj, "models/a.sql", "\nselect * from {{ ref('b') }}\n")
    check_error(error_of(proj), CompileError, file="models/a.sql", line=2,
                message="dependency cycle: a -> b -> c -> a")


def test_self_reference_is_a_cycle(proj):
    write(proj, "models/a.sql", "select 1 as x\nunion all\nselect * from {{ ref('a') }}\n")
    check_error(error_of(proj), CompileError, file="models/a.sql", line=3, message="dependency cycle: a -> a")


def test_cycle_without_ref_lines_still_names_the_file():
    parents = {"model.a": ["model.b"], "model.b": ["model.a"], "model.c": []}
    with pytest.raises(CompileError) as info:
        topological_order(parents, {"model.a": "models/a.sql"})
    assert info.value.message == "dependency cycle: a -> b -> a"
    assert (info.value.file, info.value.line) == ("models/a.sql", None)


def test_topological_order_is_stable_and_parents_first():
    parents = {"model.z": [], "model.a": ["model.z"], "model.b": ["model.z", "model.a"], "seed.s": []}
    order = topological_order(parents, {})
    assert order == topological_order(dict(parents), {})
    assert order.index("model.z") < order.index("model.a") < order.index("model.b")
    graph = build_graph(parents)
    assert set(graph.successors("model.z")) == {"model.a", "model.b"}


# -- SQL syntax --------------------------------------------------------------------------


def test_select_from_where(proj):
    write(proj, "models/x.sql", "select from where\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=1,
                message=("SQL syntax error", "'where'"), hint="line 1, column")


def test_missing_closing_paren_is_reported_where_it_opened(proj):
    write(proj, "models/x.sql", "select\n    id,\n    coalesce(amount, 0 as amount\nfrom {{ ref('stg_orders') }}\n")
    error = error_of(proj)
    check_error(error, CompileError, file="models/x.sql", line=3, message=("SQL syntax error", "'(' is never closed"),
                hint="add the missing ')'")


def test_missing_closing_paren_noticed_lines_later(proj):
    # The parser only notices at 'from' on line 5; the error names line 3, where '(' opened.
    write(proj, "models/x.sql", "select\n    id,\n    (amount + 1 as amount,\n    status\nfrom t\n")
    error = error_of(proj)
    check_error(error, CompileError, file="models/x.sql", line=3, message="'(' is never closed",
                hint="stopped at line 5")


def test_extra_closing_paren(proj):
    write(proj, "models/x.sql", "select 1 as x\nfrom t\nwhere (a = 1))\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=3, message="')' without a matching '('",
                hint="remove the extra ')'")


def test_sql_error_line_counts_a_leading_config_line(proj):
    # config() renders to an empty line that is stripped before parsing; the line must still count.
    write(proj, "models/x.sql", "{{ config(materialized='table') }}\n\nselect from where\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=3, message="SQL syntax error",
                hint="line 1, column")


def test_incomplete_expression_does_not_leak_parser_internals(proj):
    edit(proj, ORDERS, "on c.id = o.customer_id", "on c.id = o.customer_id\nwhere (")
    error = error_of(proj)
    check_error(error, CompileError, file=ORDERS, line=line_with(proj, ORDERS, "where ("), message="SQL syntax error")
    assert "<class" not in error.message and "sqlglot" not in error.message


def test_unclosed_string(proj):
    write(proj, "models/x.sql", "select 1 as x,\n    'abc as y,\n    2 as z\nfrom t\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=2, message="string opened on this line",
                hint="quotes")


def test_unclosed_comment(proj):
    write(proj, "models/x.sql", "select 1 as x -- fine\n/* not closed\nfrom t\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=2, message="comment opened on this line")


def test_model_that_is_not_a_select(proj):
    write(proj, "models/x.sql", "-- a DDL statement\ncreate table x as select 1 as a\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=1,
                message=("must be a query", "found CREATE"), hint="write only the SELECT")


def test_not_a_select_after_blank_lines(proj):
    write(proj, "models/x.sql", "\n\ninsert into t values (1)\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=3, message="found INSERT")


def test_two_statements(proj):
    write(proj, "models/x.sql", "select 1 as x;\n\nselect 2 as y\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=3,
                message="a model holds one SELECT statement, found 2", hint="remove extra ';'")


def test_trailing_semicolon_is_fine(proj):
    write(proj, "models/x.sql", "select 1 as x;\n")
    assert compile_(proj).find("x").sql == "select 1 as x;"


def test_empty_model(proj):
    write(proj, "models/x.sql", "-- todo\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=1, message="the model is empty",
                hint="write one SELECT")


def test_parse_query_direct():
    with pytest.raises(CompileError) as info:
        parse_query("select (1", "duckdb", file="m.sql", line_offset=4)
    assert (info.value.file, info.value.line) == ("m.sql", 5)
    assert parse_query("select 1 as x", "duckdb", file="m.sql").selects[0].alias == "x"


# -- Jinja ----------------------------------------------------------------------------------


def test_jinja_syntax_error(proj):
    write(proj, "models/x.sql", "select 1 as x\n{% if %}\n{% endif %}\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=2, message="Jinja syntax error",
                hint="closed")


def test_jinja_unclosed_expression(proj):
    write(proj, "models/x.sql", "select 1 as x,\n    {{ ref('orders') \n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=2, message="Jinja syntax error")


def test_undefined_variable(proj):
    write(proj, "models/x.sql", "select 1 as x,\n    {{ nope }} as y\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=2, message="'nope' is undefined",
                hint="{% set %}")


def test_sandbox_refuses_python_internals(proj):
    write(proj, "models/x.sql", "select 1 as x,\n    '{{ ''.__class__ }}' as y\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=2,
                message=("sandbox refused", "__class__"), hint="Python internals")


def test_sandbox_refuses_deeper_escape(proj):
    write(proj, "models/x.sql", "select\n\n  '{{ ref.__globals__ }}' as y\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=3, message="sandbox refused")


def test_render_time_python_error_is_located(proj):
    write(proj, "models/x.sql", "select 1 as x,\n    {{ 1 / 0 }} as y\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=2, message="ZeroDivisionError")


def test_unknown_var_without_default(proj):
    write(proj, "models/x.sql", "select 1 as x,\n    '{{ var(\"region\") }}' as y\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=2, message="var('region') is not defined",
                hint="define it under 'vars:'")


def test_misspelled_var(proj):
    write(proj, "models/x.sql", "select\n    '{{ var(\"start_dat\") }}' as y\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=2, message="var('start_dat')",
                hint="did you mean 'start_date'?")


def test_var_default_and_override(proj):
    write(proj, "models/x.sql", "select '{{ var(\"region\", \"eu\") }}' as r, '{{ var(\"start_date\") }}' as d\n")
    assert "'eu' as r, '2024-01-01' as d" in compile_(proj).find("x").sql
    sql = compile_(proj, vars_override={"start_date": "2025-06-01"}).find("x").sql
    assert "'2025-06-01' as d" in sql


def test_env_var_missing(proj):
    write(proj, "models/x.sql", "select\n    '{{ env_var(\"FABORITE_TEST_REGION\") }}' as y\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=2,
                message="environment variable 'FABORITE_TEST_REGION' is not set", hint="export FABORITE_TEST_REGION")
    sql = compile_(proj, environ={"FABORITE_TEST_REGION": "eu"}).find("x").sql
    assert "'eu' as y" in sql


def test_env_var_secret_refused(proj):
    write(proj, "models/x.sql", "select\n    '{{ env_var(\"FABORITE_SECRET_KEY\", \"x\") }}' as y\n")
    check_error(error_of(proj, environ={"FABORITE_SECRET_KEY": "s3cret"}), CompileError, file="models/x.sql", line=2,
                message="secret variables cannot be used in SQL")


def test_unknown_source(proj):
    write(proj, "models/x.sql", "select *\nfrom {{ source('raw', 'orders') }}\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=2, message="no source named 'raw'",
                hint="declare it under 'sources:'")


def test_unknown_source_table(proj):
    write(proj, "sources/raw.yml", "sources:\n  - name: raw\n    tables:\n      - name: orders\n      - name: customers\n")
    write(proj, "models/x.sql", "select *\nfrom {{ source('raw', 'order') }}\n")
    error = error_of(proj)
    check_error(error, CompileError, file="models/x.sql", line=2, message="source 'raw' has no table 'order'")
    assert error.hint == "did you mean 'orders'?"


def test_source_with_one_argument(proj):
    write(proj, "models/x.sql", "select *\nfrom {{ source('raw') }}\n")
    error = error_of(proj)
    check_error(error, CompileError, file="models/x.sql", line=2, message="source() takes a source name and a table")
    assert "TemplateContext" not in error.message


def test_wrong_call_of_a_builtin_names_it_as_written(proj):
    write(proj, "models/x.sql", "select\n  '{{ var() }}' as y\n")
    error = error_of(proj)
    check_error(error, CompileError, file="models/x.sql", line=2, message="var()")
    assert "TemplateContext" not in error.message


# -- config() --------------------------------------------------------------------------------


def test_misspelled_config_key(proj):
    write(proj, "models/x.sql", "\n{{ config(materialised='table') }}\nselect 1 as x\n")
    check_error(error_of(proj), ConfigError, file="models/x.sql", line=2, message="unknown key 'materialised' in config()",
                hint="did you mean 'materialized'?")


def test_invalid_materialized_value(proj):
    write(proj, "models/x.sql", "{{ config(materialized='tabel') }}\nselect 1 as x\n")
    error = error_of(proj)
    check_error(error, ConfigError, file="models/x.sql", line=1,
                message=("'materialized'", "got 'tabel'", "expected 'view', 'table', 'incremental', 'ephemeral' or 'snapshot'"))
    assert error.hint == "did you mean 'table'?"


def test_invalid_materialized_in_folder_defaults(proj):
    edit(proj, "faborite.yml", "+materialized: table", "+materialized: materialised_view")
    check_error(error_of(proj), ConfigError, file="faborite.yml",
                line=line_with(proj, "faborite.yml", "materialised_view"), message="got 'materialised_view'")


def test_two_models_published_as_the_same_relation(proj):
    write(proj, "models/x.sql", "{{ config(alias='orders') }}\nselect 1 as x\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=None,
                message="would both be published as main.orders", hint="different alias")


# -- macros --------------------------------------------------------------------------------------

MACRO = "macros/money.sql"


def test_macro_syntax_error_is_located_in_the_macro_file(proj):
    write(proj, "macros/bad.sql", "{% macro bad() %}\n  {% if %}\n{% endmacro %}\n")
    check_error(error_of(proj), CompileError, file="macros/bad.sql", line=2, message="Jinja syntax error")


def test_undefined_name_inside_a_macro(proj):
    edit(proj, MACRO, "round({{ column }}", "round({{ colum }}")
    check_error(error_of(proj), CompileError, file=MACRO, line=line_with(proj, MACRO, "colum }}"),
                message="'colum' is undefined")


def test_sandbox_inside_a_macro(proj):
    edit(proj, MACRO, "round({{ column }}", "round({{ column.__class__ }}")
    check_error(error_of(proj), CompileError, file=MACRO, line=line_with(proj, MACRO, "__class__"),
                message="sandbox refused")


def test_bad_ref_inside_a_macro(proj):
    write(proj, "macros/pick.sql", "{% macro pick() %}\n  {{ ref('stg_order') }}\n{% endmacro %}\n")
    write(proj, "models/x.sql", "select * from {{ pick() }}\n")
    error = error_of(proj)
    check_error(error, CompileError, file="macros/pick.sql", line=2, message="ref('stg_order')")
    assert error.hint == "did you mean 'stg_orders'?"


def test_macro_defined_twice(proj):
    write(proj, "macros/other.sql", "\n\n{% macro cents_to_dollars(c) %}{{ c }}{% endmacro %}\n")
    error = error_of(proj)
    assert isinstance(error, CompileError) and "macro 'cents_to_dollars' is defined twice" in error.message
    # Macro files load in path order; the second definition is the one reported.
    assert (error.file, error.line) == ("macros/other.sql", 3) and f"also in {MACRO}" in error.message


def test_macro_shadowing_a_builtin(proj):
    write(proj, "macros/ref.sql", "-- mine\n{% macro ref(name) %}{{ name }}{% endmacro %}\n")
    check_error(error_of(proj), CompileError, file="macros/ref.sql", line=2,
                message="macro 'ref' shadows the built-in ref()", hint="rename")


# -- checks declared in properties files ---------------------------------------------------------


def test_jinja_error_in_a_custom_check(proj):
    rel = "models/marts/schema.yml"
    edit(proj, rel, "{{ this }}", "{{ thiss }}")
    check_error(error_of(proj), CompileError, file=rel, line=line_with(proj, rel, "{{ thiss }}"),
                message="'thiss' is undefined")


def test_accepted_values_without_values(proj):
    rel = "models/marts/schema.yml"
    edit(proj, rel, "accepted_values: {values: [gold, silver, bronze]}", "accepted_values: {}")
    check_error(error_of(proj), CompileError, file=rel, line=line_with(proj, rel, "accepted_values: {}"),
                message="needs 'values: [...]'")


@pytest.mark.parametrize("sql, message", [
    ("select * from {{ this }} where AS", "SQL syntax error"),
    ("select * from {{ this }} where (amount > 0", "'(' is never closed"),
    ("select * from {{ this }} where note = 'open", "string opened on this line is never closed"),
    ("delete from {{ this }}", "a check must be a query"),
    ("select 1; select 2", "a check holds one SELECT statement"),
    ("{{ '' }}", "the check's SQL is empty"),
])
def test_a_custom_check_whose_sql_does_not_parse_fails_compile(proj, sql, message):
    """It used to pass validate and fail apply's audit ("syntax error at or near AS") with no file."""
    rel = "models/marts/schema.yml"
    edit(proj, rel, "sql: select * from {{ this }} where amount <= 0", f"sql: {sql!r}")
    check_error(error_of(proj), CompileError, file=rel, line=line_with(proj, rel, "sql:"),
                message=("check 'amounts_are_positive' on orders", message))


def test_a_multi_line_custom_check_is_parsed_too(proj):
    rel = "models/marts/schema.yml"
    edit(proj, rel, "sql: select * from {{ this }} where amount <= 0",
         "sql: |\n          select *\n          from {{ this }}\n          where amount <=")
    check_error(error_of(proj), CompileError, file=rel, line=line_with(proj, rel, "sql: |"),
                message=("check 'amounts_are_positive' on orders", "SQL syntax error"))


# -- targets and dialects ---------------------------------------------------------------------------


def test_unknown_target(proj):
    error = error_of(proj, target="nope")
    check_error(error, ConfigError, file="faborite.yml", line=line_with(proj, "faborite.yml", "targets:"),
                message="unknown target 'nope'", hint="defined targets: dev")


def test_misspelled_target(proj):
    error = error_of(proj, target="dve")
    assert error.hint == "did you mean 'dev'?"


def test_unknown_target_type(proj):
    edit(proj, "faborite.yml", "type: duckdb", "type: duckdbb")
    error = error_of(proj)
    check_error(error, ConfigError, file="faborite.yml", line=line_with(proj, "faborite.yml", "type: duckdbb"),
                message="unknown target type 'duckdbb' for target 'dev'")
    assert error.hint == "did you mean 'duckdb'?"


def test_unknown_dialect(proj):
    edit(proj, "faborite.yml", "dialect: duckdb", "dialect: duckdbb")
    check_error(error_of(proj), ConfigError, file="faborite.yml", line=line_with(proj, "faborite.yml", "dialect:"),
                message="unknown dialect 'duckdbb'", hint="did you mean 'duckdb'?")
