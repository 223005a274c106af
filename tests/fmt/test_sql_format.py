"""One model's canonical text: idempotent, Jinja verbatim, comments kept, or left alone with a reason."""

from __future__ import annotations

import pytest

from faborite.fmt.sql_format import format_model_text


def test_a_model_is_printed_by_sqlglot_with_its_jinja_verbatim() -> None:
    text = ("{{ config(materialized='table') }}\nselect c.id, {{ money('o.cents') }} as amount\n"
            "from {{ ref('customers') }} c join {{ ref('orders') }} o on o.cid = c.id\n"
            "where o.day >= date '{{ var(\"start\") }}'\n")
    outcome = format_model_text(text, "duckdb")
    assert outcome.status == "formatted"
    assert outcome.text == (
        "{{ config(materialized='table') }}\n"
        "SELECT\n  c.id,\n  {{ money('o.cents') }} AS amount\n"
        "FROM {{ ref('customers') }} AS c\nJOIN {{ ref('orders') }} AS o\n  ON o.cid = c.id\n"
        "WHERE\n  o.day >= CAST('{{ var(\"start\") }}' AS DATE)\n"
    )
    again = format_model_text(outcome.text, "duckdb")
    assert again.status == "unchanged" and again.text == outcome.text


def test_comment_texts_survive_in_order() -> None:
    outcome = format_model_text("-- about\nselect a, -- the key\n  b /* second */, c\nfrom t\n", "duckdb")
    assert outcome.status == "formatted"
    assert outcome.text == "-- about\nSELECT\n  a, -- the key\n  b, /* second */\n  c\nFROM t\n"
    assert format_model_text(outcome.text, "duckdb").status == "unchanged"


@pytest.mark.parametrize("text, reason", [
    ("select 1 {% if x %} where a {% endif %}", "Jinja control flow"),
    ("select * from t {{ limit_clause }} where", "does not parse"),
    ("select 1; select 2", "not one query"),
    ("insert into t values (1)", "not one query"),
])
def test_a_model_that_cannot_be_formatted_safely_is_skipped(text: str, reason: str) -> None:
    outcome = format_model_text(text, "duckdb")
    assert outcome.status == "skipped" and reason in (outcome.reason or "") and outcome.text == text


def test_an_empty_model_is_unchanged() -> None:
    assert format_model_text("{{ config(enabled=false) }}\n", "duckdb").status == "unchanged"


def test_the_project_dialect_is_used() -> None:
    outcome = format_model_text("select `a b` from t", "mysql")
    assert outcome.status == "formatted" and "`a b`" in outcome.text
