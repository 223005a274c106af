"""One failing model fails that model and what depends on it; one compile reports every failure."""

from __future__ import annotations

from faborite.errors import CompileError, CompileErrors
from tests.config.projects import edit, error_of, write


def test_every_failing_model_is_reported_at_its_line_with_a_count(proj):
    write(proj, "models/marts/broken_sql.sql", "select 1 as a\nfrom where\n")
    write(proj, "models/marts/broken_jinja.sql", "select {{ nope(1) }} as b\n")
    write(proj, "models/marts/after_broken.sql", "select * from {{ ref('broken_sql') }}\n")
    error = error_of(proj)
    assert isinstance(error, CompileErrors)
    assert error.message.startswith("2 models failed to compile; 1 more depend on them")
    assert {e.file for e in error.errors} == {"models/marts/broken_sql.sql", "models/marts/broken_jinja.sql"}
    assert all(e.line for e in error.errors)
    assert error.skipped == {"after_broken": "broken_sql"}
    assert "after_broken (needs broken_sql)" in error.message
    assert error.to_dict()["errors"][0]["file"]


def test_a_single_failure_is_raised_as_it_is(proj):
    edit(proj, "models/marts/orders.sql", 'ref("stg_orders")', 'ref("stg_order")')
    error = error_of(proj)
    assert type(error) is CompileError and error.file == "models/marts/orders.sql"


def test_downstream_of_a_failure_is_not_reported_twice(proj):
    edit(proj, "models/staging/stg_orders.sql", "    status,", "    status from where,")
    error = error_of(proj)
    # Every mart reads stg_orders: one failure, the rest not compiled, so the error is the model's own.
    assert type(error) is CompileError and error.file == "models/staging/stg_orders.sql"
