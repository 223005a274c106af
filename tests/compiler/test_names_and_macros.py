"""Names that once compiled to the wrong relation, and macros that once depended on file order.

- ``ref('stg_shop__orders')`` beside a model ``stg_shop`` used to compile to
  ``"main"."stg_shop"orders__`` (DuckDB read ``orders__`` as an alias and the
  model silently read the wrong table). Every legal name must survive the
  placeholder round trip: a hypothesis property over generated names.
- A macro in ``macros/a.sql`` calling one in ``macros/b.sql`` used to be undefined.
- ``Customers.sql`` beside ``customers.sql`` used to validate, then publish both as one relation.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faborite.api import Workspace
from faborite.compiler.jinja import REF_PLACEHOLDER_PATTERN, placeholder_name, ref_placeholder
from faborite.dialects import get_dialect
from faborite.errors import CompileError
from tests.config.projects import compile_, error_of, write

MINIMAL = "name: p\ntargets:\n  dev: {type: duckdb, path: db.duckdb}\n"


def _project(root: Path) -> Path:
    write(root, "faborite.yml", MINIMAL)
    return root


# -- ref() placeholders -----------------------------------------------------------------


def test_double_underscore_name_beside_its_prefix_reads_the_right_table(tmp_path):
    root = _project(tmp_path / "p")
    write(root, "models/stg_shop.sql", "select 'wrong' as picked\n")
    write(root, "models/stg_shop__orders.sql", "select 'right' as picked\n")
    write(root, "models/report.sql", "select picked from {{ ref('stg_shop__orders') }}\n")
    manifest = compile_(root)
    report = manifest.nodes["model.report"]
    assert report.parents == ("model.stg_shop__orders",)
    assert '"main"."stg_shop__orders"' in report.sql
    workspace = Workspace.open(root)
    workspace.apply(workspace.plan())
    with duckdb.connect(str(root / "db.duckdb"), read_only=True) as con:
        assert con.sql("select picked from main.report").fetchall() == [("right",)]


def test_double_underscore_name_without_its_prefix_is_not_called_disabled(tmp_path):
    root = _project(tmp_path / "p")
    write(root, "models/stg_shop__orders.sql", "select 1 as id\n")
    write(root, "models/report.sql", "select id from {{ ref('stg_shop__orders') | string }}\n")  # Jinja path
    assert compile_(root).nodes["model.report"].parents == ("model.stg_shop__orders",)


_NAME_PARTS = st.sampled_from(list("ab_Z.\"' -$é字0") + ["__"])
_NAME = st.lists(_NAME_PARTS, min_size=1, max_size=8).map("".join)
_NAMES = st.lists(_NAME, min_size=1, max_size=5)


@given(_NAMES)
def test_placeholders_round_trip_any_name_next_to_any_text(names):
    text = "".join(f"{ref_placeholder(n)}{n}__" for n in names) + ref_placeholder(names[0])
    found = [placeholder_name(m) for m in REF_PLACEHOLDER_PATTERN.finditer(text)]
    assert found == [*names, names[0]]


def _legal(name: str) -> bool:
    # File names: no '/', no NUL, not '.'/'..'; a leading '.' is a hidden file the loader skips.
    return bool(name.strip()) and not name.startswith(".") and "/" not in name and name == name.strip()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_NAME.filter(_legal), min_size=2,
                max_size=5, unique_by=str.casefold))
def test_every_ref_compiles_to_its_own_relation(tmp_path, names):
    root = tmp_path / "gen"
    shutil.rmtree(root, ignore_errors=True)
    _project(root)
    for index, name in enumerate(names):
        write(root, f"models/{name}.sql", f"select {index} as id\n")
    # Both render paths: the static fast path (plain call) and Jinja (a filter).
    refs = [f"select id from {{{{ ref({name!r}) }}}}" if i % 2 else f"select id from {{{{ ref({name!r}) | string }}}}"
            for i, name in enumerate(names)]
    write(root, "models/reader__all.sql", "\nunion all\n".join(refs) + "\n")
    manifest = compile_(root)
    reader = manifest.nodes["model.reader__all"]
    assert set(reader.parents) == {f"model.{n}" for n in names}
    tables = [t.name for t in sqlglot.parse_one(reader.sql, read="duckdb").find_all(sqlglot.exp.Table)]
    assert sorted(tables) == sorted(names)


# -- macros see each other whatever the file order ----------------------------------------


@pytest.mark.parametrize("caller, callee", [("a", "b"), ("b", "a")])
def test_macro_calls_a_macro_from_any_file(tmp_path, caller, callee):
    root = _project(tmp_path / "p")
    write(root, f"macros/{caller}.sql", "{% macro outer(x) %}({{ inner(x) }} + 1){% endmacro %}\n")
    write(root, f"macros/{callee}.sql", "{% macro inner(x) %}{{ x }} * 2{% endmacro %}\n")
    write(root, "models/m.sql", "select {{ outer(3) }} as v\n")
    assert "(3 * 2 + 1)" in compile_(root).nodes["model.m"].sql


def test_macros_call_each_other_across_files_both_ways(tmp_path):
    root = _project(tmp_path / "p")
    write(root, "macros/a.sql", "{% macro first(n) %}{% if n > 0 %}{{ second(n - 1) }}{% else %}0{% endif %}{% endmacro %}\n")
    write(root, "macros/b.sql", "{% macro second(n) %}{{ n }} + {{ first(n) }}{% endmacro %}\n")
    write(root, "models/m.sql", "select {{ first(3) }} as v\n")
    assert "select 2 + 1 + 0 + 0 as v" in compile_(root).nodes["model.m"].sql


def test_macro_file_order_does_not_change_errors_either(tmp_path):
    root = _project(tmp_path / "p")
    write(root, "macros/a.sql", "{% macro outer() %}{{ nowhere() }}{% endmacro %}\n")
    write(root, "models/m.sql", "select {{ outer() }} as v\n")
    error = error_of(root)
    assert isinstance(error, CompileError) and "nowhere" in error.message
    assert error.file == "macros/a.sql" and error.line == 1


# -- names that differ only in case ---------------------------------------------------------


def test_models_differing_only_in_case_are_refused_naming_both_files(tmp_path):
    root = _project(tmp_path / "p")
    write(root, "models/Customers.sql", "select 1 as id\n")
    write(root, "models/sub/customers.sql", "select 2 as id\n")
    error = error_of(root)
    assert isinstance(error, CompileError)
    assert "models/Customers.sql" in error.message and "models/sub/customers.sql" in error.message
    assert "case" in error.message


def test_seed_and_model_differing_only_in_case_are_refused(tmp_path):
    root = _project(tmp_path / "p")
    write(root, "seeds/orders.csv", "id\n1\n")
    write(root, "models/Orders.sql", "select 1 as id\n")
    error = error_of(root)
    assert "seeds/orders.csv" in error.message and "models/Orders.sql" in error.message


def test_aliases_differing_only_in_case_are_refused(tmp_path):
    root = _project(tmp_path / "p")
    write(root, "models/a.sql", "{{ config(alias='Shared') }}select 1 as id\n")
    write(root, "models/b.sql", "{{ config(alias='shared') }}select 2 as id\n")
    assert "would both be published as" in error_of(root).message


def test_quoted_names_are_escaped_for_the_target(tmp_path):
    dialect = get_dialect("duckdb")()
    root = _project(tmp_path / "p")
    write(root, 'models/we"ird.sql', "select 1 as id\n")
    write(root, "models/r.sql", "select id from {{ ref('we\"ird') }}\n")
    sql = compile_(root).nodes["model.r"].sql
    assert dialect.quote_identifier('we"ird') in sql
