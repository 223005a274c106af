"""Templates made only of calls with literal arguments render without compiling them (faborite/compiler/jinja_calls.py),
with exactly Jinja's output, and anything else (or any failure) goes through Jinja."""

from __future__ import annotations

from pathlib import Path

import pytest

from faborite.compiler import jinja as jinja_module
from faborite.compiler.jinja_calls import calls_only
from tests.config.projects import compile_, error_of, write

MINIMAL = "name: shop\ntargets:\n  dev: {type: duckdb, path: db.duckdb}\nvars: {factor: 3}\n"
MACROS = """{% macro scaled(column, factor=1) -%}({{ column }} * {{ factor }}){%- endmacro %}
{% macro cols(names, alias=none) -%}
{%- for n in names %}{% if alias %}{{ alias }}.{% endif %}{{ n }}{% if not loop.last %}, {% endif %}{% endfor -%}
{%- endmacro %}
{% macro listed() %}{{ return(['a', 'b']) }}{% endmacro %}
{% macro boom(x) %}{{ exceptions.raise_compiler_error('bad ' ~ x) }}{% endmacro %}
"""


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the templates compiled through Jinja (macro files included)."""
    paths: list[str] = []
    real = jinja_module.TemplateContext._compile

    def counting(self, text, path, **kwargs):
        paths.append(path)
        return real(self, text, path, **kwargs)

    monkeypatch.setattr(jinja_module.TemplateContext, "_compile", counting)
    return paths


def _compile(root: Path, models: dict[str, str]):
    write(root, "faborite.yml", MINIMAL)
    write(root, "macros/m.sql", MACROS)
    for name, text in models.items():
        write(root, f"models/{name}.sql", text)
    return compile_(root)


CALLS = ("select {{ cols(['id', 'grp'], 'b') }}, {{ scaled('amount', var('factor')) }} as amount,\n"
         "  {{ listed() }} as l, {{ dbt.type_string() }} as t, {{ target.name }} as tn\n"
         "from {{ ref('base') }} as b where {{ scaled(\"amount\", 2.5) }} > {{ none }}")


def test_calls_render_as_jinja_renders_them_without_compiling_the_model(tmp_path: Path, compiled: list[str],
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _compile(tmp_path / "fast", {"base": "select 1 as id, 'a' as grp, 2 as amount", "m": CALLS})
    assert "models/m.sql" not in compiled
    # The same template through Jinja (the call path refused): the same SQL, node for node.
    monkeypatch.setattr("faborite.compiler.jinja_calls.calls_only", lambda text: None)
    slow = _compile(tmp_path / "slow", {"base": "select 1 as id, 'a' as grp, 2 as amount", "m": CALLS})
    assert "models/m.sql" in compiled
    assert fast.nodes["model.m"].sql == slow.nodes["model.m"].sql
    assert fast.nodes["model.m"].version == slow.nodes["model.m"].version
    assert "(amount * 3) as amount" in fast.nodes["model.m"].sql and "['a', 'b'] as l" in fast.nodes["model.m"].sql


@pytest.mark.parametrize("text", [
    "{{ scaled('a') | upper }}",             # a filter
    "{{ scaled('a') ~ 'x' }}",               # an operator
    "{{ scaled(r'a') }}",                    # a string prefix Jinja does not read
    "{{ scaled('a' 'b') }}",                 # adjacent literals
    "{{ scaled(0x10) }}",                    # a hex number
    "{{ scaled(-1) }}",                      # an operator on a number
    "{{ scaled(*args) }}",                   # unpacking
    "{{ scaled(x=1, **kw) }}",
    "{{ scaled('a')[0] }}",                  # a subscript
    "{{- scaled('a') }}",                    # whitespace control
    "{{ scaled('a\\\\n') }}",                # an escape
    "{{ scaled(x._private) }}",
    "{% set x = 1 %}{{ scaled(x) }}",        # a tag: names may be local
    "{# note #}{{ scaled('a') }}",
    "{{ scaled('}}') }}",                    # delimiters inside a literal
    "{{ 'a' }}",
    "select 1",
    "select\r\n{{ scaled('a') }}",           # Jinja rewrites the newlines
    "{{ scaled(" + "(" * 3000 + "1" + ")" * 3000 + ") }}",  # too deep for Python's parser
])
def test_anything_else_is_left_to_jinja(text: str) -> None:
    assert calls_only(text) is None


def test_calls_only_reads_literals_names_and_nested_calls() -> None:
    found = calls_only("{{ pkg.f(['a', 1, 2.5, true, none], {'k': (1, 2)}, g(x), key=\"v\") }} and {{ this }}")
    assert found is not None and len(found) == 2


@pytest.mark.parametrize("model", ["select 1 as a,\n{{ boom('input') }} as b",
                                   "select 1 as a,\n{{ undefined_macro('x') }} as b",
                                   "select 1 as a,\n{{ scaled() }} as b"])
def test_a_failing_call_gets_jinjas_error_at_jinjas_line(tmp_path: Path, model: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "p"
    write(root, "faborite.yml", MINIMAL)
    write(root, "macros/m.sql", MACROS)
    write(root, "models/m.sql", model)
    error = error_of(root)
    monkeypatch.setattr("faborite.compiler.jinja_calls.calls_only", lambda text: None)
    through_jinja = error_of(root)
    assert (error.message, error.file, error.line, error.hint) == \
        (through_jinja.message, through_jinja.file, through_jinja.line, through_jinja.hint)


def test_a_package_model_is_rendered_by_jinja_in_its_scope(tmp_path: Path, compiled: list[str]) -> None:
    root = tmp_path / "d"
    write(root, "dbt_project.yml", "name: d\nversion: '1'\nconfig-version: 2\nprofile: d\n")
    write(root, "profiles.yml", "d:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: d.duckdb}\n")
    write(root, "dbt_packages/pkg/dbt_project.yml", "name: pkg\nversion: '1'\nconfig-version: 2\n")
    write(root, "dbt_packages/pkg/macros/two.sql", "{% macro two() %}2{% endmacro %}")
    write(root, "dbt_packages/pkg/models/pkg_model.sql", "select {{ two() }} as n")
    write(root, "models/m.sql", "select {{ pkg.two() }} as n from {{ ref('pkg_model') }}")
    manifest = compile_(root)
    assert "select 2 as n" in manifest.nodes["model.pkg_model"].sql
    assert "dbt_packages/pkg/models/pkg_model.sql" in compiled and "models/m.sql" not in compiled
