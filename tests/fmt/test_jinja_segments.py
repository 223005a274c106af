"""Jinja segments found, swapped for placeholders and put back byte for byte."""

from __future__ import annotations

import pytest

from faborite.fmt.jinja_segments import NotSubstitutable, jinja_segments, split_template


def test_segments_honour_quotes_and_whitespace_control() -> None:
    text = """select {{- "}}" -}} a {% set x = '%}' %}{# c #}"""
    assert [s.text for s in jinja_segments(text)] == ['{{- "}}" -}}', "{% set x = '%}' %}", "{# c #}"]


def test_a_config_header_is_kept_and_expressions_become_placeholders() -> None:
    text = '{{ config(materialized="table") }}\n\n\nselect {{ money("x") }} from {{ ref("a") }}\n'
    template = split_template(text)
    assert template.header == '{{ config(materialized="table") }}\n'
    assert template.sql.strip() == "select __fab_jinja_0__ from __fab_jinja_1__"
    assert template.restore(template.sql.lstrip()) == '{{ config(materialized="table") }}\nselect {{ money("x") }} from {{ ref("a") }}\n'


def test_header_statements_and_comments_stay_in_the_header() -> None:
    text = "{# about #}\n{% set days = 7 %}\n{{ config(tags=['x']) }}\nselect {{ days }} as d\n"
    template = split_template(text)
    assert template.header == "{# about #}\n{% set days = 7 %}\n{{ config(tags=['x']) }}\n"
    assert template.expressions == ("{{ days }}",)


def test_a_config_call_followed_by_sql_on_its_line_belongs_to_the_sql() -> None:
    template = split_template("{{ config(a=1) }} select 1")
    assert template.header == "" and template.expressions == ("{{ config(a=1) }}",)


@pytest.mark.parametrize("text, reason", [
    ("select 1 {% if x %} where a {% endif %}", "Jinja control flow"),
    ("select {# note #} 1", "a Jinja comment inside the SQL"),
    ("select {{ ref('a') ", "an unclosed Jinja {{ ... }}"),
    ("select __fab_jinja_0__", "already contains"),
])
def test_what_cannot_be_substituted_says_why(text: str, reason: str) -> None:
    with pytest.raises(NotSubstitutable, match=reason):
        split_template(text)


def test_restore_refuses_a_dropped_or_repeated_placeholder() -> None:
    template = split_template("select {{ a }}, {{ b }}")
    with pytest.raises(NotSubstitutable):
        template.restore("select __fab_jinja_0__")
    with pytest.raises(NotSubstitutable):
        template.restore("select __fab_jinja_0__, __fab_jinja_0__, __fab_jinja_1__")
