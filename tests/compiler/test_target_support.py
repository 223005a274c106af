"""Compiling for a target: its schema, and one located error for what it cannot run.

A PostgreSQL target needs no server here: compile reads only the target's
config (dialect, schema), never connects and never reads its password.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from faborite.errors import CompileError
from tests.config.projects import compile_, edit, error_of, line_with, proj, write  # noqa: F401 - proj: fixture

PG_BLOCK = """targets:
  pg:
    type: postgres
    host: 127.0.0.1
    user: postgres
    password: "{{ env_var('NEVER_SET_PG_PASSWORD') }}"
    dbname: demo
    schema: analytics
"""


def _with_pg(root: Path) -> Path:
    edit(root, "faborite.yml", "targets:\n", PG_BLOCK)
    return root


def test_nodes_go_to_the_targets_schema_and_compile_reads_no_secret(proj):
    manifest = compile_(_with_pg(proj), "pg")
    assert manifest.target_dialect == "postgres" and manifest.dialect == "duckdb"
    assert {n.relation.split(".")[0] for n in manifest.built_nodes()} == {"analytics"}
    # The same project for its DuckDB target is unchanged, versions included.
    assert {n.relation.split(".")[0] for n in compile_(proj, "dev").built_nodes()} == {"main"}


@pytest.mark.parametrize(("sql", "construct"), [
    ("select id, arg_max(amount, id) as top from {{ ref('stg_orders') }} group by id", "function ARG_MAX()"),
    ("select cast(id as hugeint) as id from {{ ref('stg_orders') }}", "type INT128"),
    ("select * exclude (amount) from {{ ref('stg_orders') }}", "SELECT * EXCLUDE/REPLACE"),
    ("select o.id from {{ ref('stg_orders') }} o\nasof join {{ ref('stg_customers') }} c on o.customer_id >= c.id",
     "ASOF JOIN"),
    ("select list_transform([1, 2], x -> x + 1) as xs", "function TRANSFORM()"),
])
def test_a_construct_postgres_lacks_is_a_compile_error_naming_model_line_and_construct(proj, sql, construct):
    _with_pg(proj)
    write(proj, "models/marts/odd.sql", "-- a DuckDB-only model\n\n" + sql + "\n")
    error = error_of(proj, "pg")
    assert isinstance(error, CompileError)
    assert f"model 'odd' uses {construct}" in error.message and "target 'pg' (postgres)" in error.message
    assert error.file == "models/marts/odd.sql"
    # Two lines precede the query; the ASOF join is on the query's second line.
    assert error.line == 3 + sql.count("\n")
    # The DuckDB target runs it: the error is about the target, not the model.
    compile_(proj, "dev")


def test_sql_postgres_has_compiles(proj):
    _with_pg(proj)
    write(proj, "models/marts/portable.sql",
          "select date_trunc('month', ordered_at) as month, strftime(ordered_at, '%Y') as year,\n"
          "  median(amount) as median_amount, string_agg(status, ',') as statuses,\n"
          "  count(*) filter (where amount > 10) as big\nfrom {{ ref('stg_orders') }} group by 1, 2\n")
    compile_(proj, "pg")


def test_a_files_source_on_a_target_that_reads_no_files_is_refused(proj):
    _with_pg(proj)
    write(proj, "data/people.csv", "id,name\n1,a\n")
    write(proj, "models/sources.yml",
          "sources:\n  - name: files\n    type: files\n    tables:\n      - name: people\n        path: data/people.csv\n")
    write(proj, "models/people.sql", "select * from {{ source('files', 'people') }}\n")
    error = error_of(proj, "pg")
    assert "source('files', 'people') reads csv files, but target 'pg' cannot" in error.message
    assert error.file == "models/people.sql"
    assert "sync" in error.hint
    compile_(proj, "dev")
