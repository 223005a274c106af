"""Hostile templates stay contained: output, memory and time per template are bounded.

Each case used to take gigabytes or never end; now it is one CompileError at
the template line that asked for too much, with a hint naming the limits.
"""

from __future__ import annotations


import pytest

from faborite.compiler import jinja_limits
from faborite.errors import CompileError
from tests.config.projects import check_error, compile_, error_of, write

LIMITS_HINT = "templates are limited to 10 MB of output"


@pytest.mark.parametrize("expression, what", [
    ("'a' * 10**10", "a repeated value of 10,000,000,000"),
    ("'a' * 20000000", "a repeated value of 20,000,000"),
    ("[0] * 10**9", "a repeated value"),
    ("2 ** 999999999", "an integer of about"),
    ("'%999999999d' % 1", "a formatted string"),
    ("'{:>999999999}'.format(1)", "a formatted string"),
    ("'x'.ljust(999999999)", "ljust() with a size of 999,999,999"),
    ("'x' | center(999999999)", "the center filter"),
    ("range(100000) | join('-' * 1000)", "a joined string"),
    ("(1).to_bytes(999999999, 'big')", "to_bytes()"),
])
def test_a_huge_value_is_refused_before_it_is_built(proj, expression, what):
    write(proj, "models/x.sql", f"select 1 as x,\n    '{{{{ {expression} }}}}' as y\n")
    # The message names the limit that fired before the value was built (no timing: that is a benchmark's job).
    error = error_of(proj)
    check_error(error, CompileError, file="models/x.sql", line=2, message=("template too expensive", what),
                hint=LIMITS_HINT)


def test_doubling_a_string_in_a_loop_stops_at_the_limit(proj):
    write(proj, "models/x.sql", "{% set ns = namespace(s='a') %}\nselect 1 as x\n"
                                "{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=3, message="a string of", hint=LIMITS_HINT)


def test_output_is_bounded_while_it_is_generated(proj):
    write(proj, "models/x.sql", "select 1 as x\n-- {% for i in range(100000) %}\n{{ 'x' * 1000 }}{% endfor %}\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=3,
                message="the output passed 10,485,760 characters", hint=LIMITS_HINT)


def test_a_macro_that_builds_too_much_is_located_in_the_macro(proj):
    write(proj, "macros/bomb.sql", "{% macro bomb() %}\n{% for i in range(100000) %}{{ 'x' * 9000000 }}"
                                   "{% endfor %}\n{% endmacro %}\n")
    write(proj, "models/x.sql", "select 1 as x\n-- {{ bomb() }}\n")
    check_error(error_of(proj), CompileError, file="macros/bomb.sql", line=2, message="built in total",
                hint=LIMITS_HINT)


def test_a_loop_with_no_output_is_stopped_by_the_clock(proj, monkeypatch):
    monkeypatch.setattr(jinja_limits, "MAX_SECONDS", 0.3)
    write(proj, "models/x.sql", "select 1 as x\n{% for i in range(100000) %}{% for j in range(100000) %}"
                                "{% endfor %}{% endfor %}\n")
    error = error_of(proj)
    check_error(error, CompileError, file="models/x.sql", line=2, message="longer than 0.3 s")


def test_exponential_macro_recursion_is_stopped_by_the_clock(proj, monkeypatch):
    monkeypatch.setattr(jinja_limits, "MAX_SECONDS", 0.3)
    write(proj, "models/x.sql", "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}\n"
                                "select 1 as x {{ f(60) }}\n")
    error = error_of(proj)
    assert isinstance(error, CompileError) and "longer than 0.3 s" in error.message
    assert (error.file, error.line) == ("models/x.sql", 1)


def test_range_is_bounded_by_the_sandbox(proj):
    write(proj, "models/x.sql", "select 1 as x\n{% for i in range(10**9) %}{% endfor %}\n")
    check_error(error_of(proj), CompileError, file="models/x.sql", line=2, message="MAX_RANGE")


def test_a_macro_file_that_loops_forever_at_top_level(proj, monkeypatch):
    monkeypatch.setattr(jinja_limits, "MAX_SECONDS", 0.3)
    write(proj, "macros/slow.sql", "{% for i in range(100000) %}{% for j in range(100000) %}"
                                   "{% endfor %}{% endfor %}\n")
    check_error(error_of(proj), CompileError, file="macros/slow.sql", line=1, message="longer than 0.3 s")


def test_ordinary_jinja_is_unchanged(proj):
    write(proj, "models/x.sql", "select {{ 'a' ~ 'b' }} as a, '{{ [1, 2] | join(',') }}' as b, "
                                "{% for x in [1, 2] %}{{ loop.index }}{{ loop.length }}{% endfor %} as c, "
                                "'{{ '%05d' % 3 }}' as d, '{{ '{:>3}'.format('x') }}' as e, {{ 2 ** 10 }} as f, "
                                "'{{ 'ab' * 2 }}' as g, '{{ ([1] + [2]) | length }}' as h\n")
    assert compile_(proj).find("x").sql.startswith(
        "select ab as a, '1,2' as b, 1222 as c, '00003' as d, '  x' as e, 1024 as f, 'abab' as g, '2' as h")
