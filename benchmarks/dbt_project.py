"""A deterministic dbt project of 1,000+ models that looks like a real one, packages vendored.

The model shapes are :mod:`benchmarks.generate`'s (staging over seeds, then
joins, aggregates, CASE, windows over unions); around them, what a real dbt
repository holds and dbt parses:

- ``dbt_project.yml`` with nested ``models:``/``seeds:``/``snapshots:`` configs
  (``+`` keys, tags, a custom schema, Jinja in a value), ``vars``, ``dispatch:``;
  a duckdb ``profiles.yml``;
- sources in YAML (with descriptions, ``loaded_at_field``, freshness), staging
  models reading some of them;
- ``schema.yml`` per folder: a description per model and column, generic tests
  (``not_null``, ``unique``, ``accepted_values``, ``relationships``, a project
  generic test and a package's, some with ``config:`` and ``arguments:``);
- seeds with properties, project macros (a dispatched override, a
  ``generate_schema_name``), a singular test, an analysis, two snapshots
  (timestamp and check strategies);
- ephemeral models, incremental models (``is_incremental()``), and models calling
  dbt's cross-database macros (``dbt.hash``, ``dbt.type_string`` ...);
- a vendored package ``dbt_packages/bench_utils`` written here (no third-party
  code): ~30 macros, each dispatched through ``adapter.dispatch`` to a
  ``default__``/``duckdb__`` implementation as dbt_utils does, a generic test,
  and dbt_utils-style macros (``generate_surrogate_key``, ``safe_divide``,
  ``star`` ...) that models call.

The same size and seed give byte-identical files.
"""

from __future__ import annotations

import random
from pathlib import Path

from benchmarks.generate import MACRO, SEEDS, model_sqls, seed_csv

PROJECT = "bench"
PACKAGE = "bench_utils"

DBT_PROJECT_YML = f"""name: {PROJECT}
version: "1.0.0"
config-version: 2
profile: {PROJECT}
require-dbt-version: [">=1.8.0", "<2.0.0"]

model-paths: ["models"]
analysis-paths: ["analyses"]
test-paths: ["tests"]
seed-paths: ["seeds"]
macro-paths: ["macros"]
snapshot-paths: ["snapshots"]
clean-targets: ["target", "dbt_packages"]

vars:
  min_amount: 0
  only_recent: false
  lookback_days: 3
  {PROJECT}:
    high_value: 250

dispatch:
  - macro_namespace: {PACKAGE}
    search_order: ["{PROJECT}", "{PACKAGE}"]

on-run-start:
  - "{{{{ log('starting', info=False) }}}}"

models:
  {PROJECT}:
    +materialized: table
    +tags: ["{PROJECT}"]
    +persist_docs:
      relation: true
    staging:
      +materialized: view
      +tags: ["staging"]
      +enabled: "{{{{ var('enable_staging', true) }}}}"
    intermediate:
      +tags: ["intermediate"]
      +docs:
        show: false
    marts:
      +tags: ["marts"]
      +schema: marts
      +meta:
        owner: analytics

seeds:
  {PROJECT}:
    +quote_columns: false
    +tags: ["raw"]

snapshots:
  {PROJECT}:
    +target_schema: snapshots
"""

PROFILES_YML = f"""{PROJECT}:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{{{ env_var('DBT_DUCKDB_PATH', 'dev.duckdb') }}}}"
      threads: 2
    ci:
      type: duckdb
      path: ci.duckdb
      threads: 4
"""

#: Project macros besides :data:`benchmarks.generate.MACRO` (``scaled``).
PROJECT_MACROS = {
    "generate_schema_name.sql": """{% macro generate_schema_name(custom_schema_name, node) -%}
    {#- the usual override: custom schemas as given, not prefixed with the target's -#}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
""",
    "overrides.sql": """{# The project's own implementation wins over the package's (dispatch: search_order). #}
{% macro default__clean_text(column) -%}
    lower(trim(cast({{ column }} as {{ dbt.type_string() }})))
{%- endmacro %}
""",
    "amounts.sql": """{% macro amount_band(column, high) -%}
    {%- set bands = [] -%}
    {%- for limit in [10, 50, high] -%}
        {%- do bands.append("when " ~ column ~ " <= " ~ limit ~ " then " ~ loop.index) -%}
    {%- endfor -%}
    case {{ bands | join(' ') }} else {{ bands | length + 1 }} end
{%- endmacro %}

{% macro lookback_filter(column) -%}
    {{ column }} >= {{ dbt.dateadd('day', -1 * var('lookback_days'), "date '2024-12-31'") }}
{%- endmacro %}
""",
    "positive_amount.sql": """{% test positive_amount(model, column_name) %}
select * from {{ model }} where {{ column_name }} < 0
{% endtest %}
""",
}

#: ``(name, arguments, default body, duckdb body or None)``: the package's dispatched macros.
PACKAGE_MACROS: tuple[tuple[str, str, str, str | None], ...] = (
    ("generate_surrogate_key", "field_list",
     "{%- set fields = [] -%}{%- for field in field_list -%}"
     "{%- do fields.append(\"coalesce(cast(\" ~ field ~ \" as \" ~ dbt.type_string() ~ \"), '_null_')\") -%}"
     "{%- endfor -%}{{ dbt.hash(dbt.concat(fields)) }}", None),
    ("safe_divide", "numerator, denominator", "({{ numerator }}) / nullif({{ denominator }}, 0)", None),
    ("safe_add", "field_list", "{{ field_list | map('string') | map('trim') | join(' + ') }}", None),
    ("safe_subtract", "a, b", "coalesce({{ a }}, 0) - coalesce({{ b }}, 0)", None),
    ("cents_to_dollars", "column, scale=2", "round(cast({{ column }} as double) / 100, {{ scale }})",
     "round(({{ column }})::double / 100, {{ scale }})"),
    ("dollars_to_cents", "column", "cast(round({{ column }} * 100) as bigint)", None),
    ("clean_text", "column", "lower(trim({{ column }}))", None),
    ("null_if_empty", "column", "nullif(trim({{ column }}), '')", None),
    ("coalesce_zero", "column", "coalesce({{ column }}, 0)", None),
    ("is_positive", "column", "({{ column }} > 0)", None),
    ("bool_to_int", "expression", "case when {{ expression }} then 1 else 0 end", None),
    ("clamp", "column, low, high", "least(greatest({{ column }}, {{ low }}), {{ high }})", None),
    ("round_to", "column, places=2", "round({{ column }}, {{ places }})", None),
    ("percent_of", "part, total", "100.0 * ({{ part }}) / nullif({{ total }}, 0)", None),
    ("bucket", "column, size", "floor(({{ column }}) / {{ size }}) * {{ size }}", None),
    ("truncate_day", "column", "{{ dbt.date_trunc('day', column) }}", None),
    ("truncate_month", "column", "{{ dbt.date_trunc('month', column) }}", None),
    ("days_between", "start, finish", "{{ dbt.datediff(start, finish, 'day') }}", None),
    ("add_days", "column, days", "{{ dbt.dateadd('day', days, column) }}", None),
    ("year_of", "column", "extract(year from {{ column }})", "year({{ column }})"),
    ("month_of", "column", "extract(month from {{ column }})", "month({{ column }})"),
    ("as_text", "column", "cast({{ column }} as {{ dbt.type_string() }})", None),
    ("as_integer", "column", "cast({{ column }} as {{ dbt.type_int() }})", None),
    ("as_float", "column", "cast({{ column }} as {{ dbt.type_float() }})", None),
    ("first_letter", "column", "substr({{ column }}, 1, 1)", "left({{ column }}, 1)"),
    ("in_list", "column, values",
     "{{ column }} in ({% for v in values %}'{{ v }}'{% if not loop.last %}, {% endif %}{% endfor %})", None),
    ("not_in_list", "column, values", "not ({{ " + PACKAGE + ".in_list(column, values) }})", None),
    ("star", "columns, relation_alias=none",
     "{%- for c in columns -%}{% if relation_alias %}{{ relation_alias }}.{% endif %}{{ c }}"
     "{%- if not loop.last %}, {% endif %}{%- endfor -%}", None),
    ("group_by", "n", "group by {% for i in range(1, n + 1) %}{{ i }}{% if not loop.last %}, {% endif %}{% endfor %}",
     None),
    ("width_bucket_label", "column, size",
     "cast({{ " + PACKAGE + ".bucket(column, size) }} as {{ dbt.type_string() }})", None),
)

PACKAGE_TEST = """{% test expression_is_true(model, expression, column_name=none) %}
select * from {{ model }} where not ({{ column_name ~ ' ' if column_name else '' }}{{ expression }})
{% endtest %}
"""


def package_macros_sql() -> dict[str, str]:
    """``{file name: text}`` of the vendored package's macros: each dispatched, as dbt_utils writes them."""
    files: dict[str, list[str]] = {}
    for index, (name, arguments, default, duckdb) in enumerate(PACKAGE_MACROS):
        call_args = ", ".join(a.split("=")[0].strip() for a in arguments.split(","))
        text = (f"{{% macro {name}({arguments}) -%}}\n"
                f"    {{{{ return(adapter.dispatch('{name}', '{PACKAGE}')({call_args})) }}}}\n"
                f"{{%- endmacro %}}\n\n"
                f"{{% macro default__{name}({arguments}) -%}}\n    {default}\n{{%- endmacro %}}\n")
        if duckdb:
            text += f"\n{{% macro duckdb__{name}({arguments}) -%}}\n    {duckdb}\n{{%- endmacro %}}\n"
        files.setdefault(f"group_{index // 6}.sql", []).append(text)
    return {name: "\n".join(parts) for name, parts in files.items()}


def _staging_sql(name: str, sql: str, index: int) -> str:
    """A staging model: every third reads the raw source instead of the seed; some clean text."""
    seed = SEEDS[index % len(SEEDS)]
    if index % 3 == 0:
        sql = sql.replace(f'ref("{seed}")', f"source('raw', '{seed}')")
    if index % 4 == 1:
        sql = sql.replace("cast(grp as varchar) as grp", f"{{{{ {PACKAGE}.clean_text('grp') }}}} as grp")
    return sql


def _mart_sql(sql: str, index: int) -> str:
    """An intermediate or mart model, dressed as real ones are: config() calls, package and dbt macros."""
    kind = index % 20
    if kind == 3:
        return "{{ config(materialized='ephemeral') }}\n" + sql
    if kind == 7:
        return ("{{ config(materialized='incremental', unique_key='id', on_schema_change='append_new_columns') }}\n"
                f"select * from (\n{sql}) as source_rows\n"
                "{% if is_incremental() %}\n"
                "where ts > (select max(ts) from {{ this }})\n"
                "{% endif %}\n")
    if kind in (1, 11):
        return (f"select *,\n    {{{{ {PACKAGE}.generate_surrogate_key(['id', 'grp']) }}}} as row_key,\n"
                f"    {{{{ {PACKAGE}.safe_divide('amount', 100) }}}} as amount_ratio,\n"
                f"    {{{{ amount_band('amount', var('high_value')) }}}} as band\nfrom (\n{sql}) as base\n")
    if kind in (5, 15):
        return (f"{{{{ config(tags=['finance'], meta={{'tier': {index % 3}}}) }}}}\n"
                f"select {{{{ {PACKAGE}.star(['id', 'grp', 'amount', 'ts'], 'base') }}}},\n"
                f"    {{{{ {PACKAGE}.cents_to_dollars('amount') }}}} as dollars,\n"
                f"    {{{{ {PACKAGE}.truncate_month('ts') }}}} as month,\n"
                f"    {{{{ dbt.hash('grp') }}}} as grp_hash\nfrom (\n{sql}) as base\n"
                f"where {{{{ {PACKAGE}.not_in_list('grp', ['x', 'y']) }}}}\n")
    if kind == 9:
        return (f"select *,\n    {{{{ dbt.concat(['grp', \"'-'\", {PACKAGE}.as_text('id')]) }}}} as label,\n"
                f"    {{{{ {PACKAGE}.add_days('ts', 7) }}}} as due_on\nfrom (\n{sql}) as base\n")
    return sql


def dbt_models(n_models: int, seed: int = 7) -> dict[str, tuple[str, str]]:
    """``{name: (folder, sql)}``: :func:`benchmarks.generate.model_sqls` dressed as a real dbt project's."""
    dressed = {}
    for index, (name, (folder, sql)) in enumerate(model_sqls(n_models, seed).items()):
        dressed[name] = (folder, _staging_sql(name, sql, index) if folder == "staging" else _mart_sql(sql, index))
    return dressed


def _ephemeral(sql: str) -> bool:
    return "materialized='ephemeral'" in sql


def _parents(sql: str) -> list[str]:
    return [part.split('"')[0] for part in sql.split('ref("')[1:]]


def properties_yml(models: dict[str, tuple[str, str]], folder: str, seed: int = 7) -> str:
    """``schema.yml`` for ``folder``: every model described, tests on its columns (generic ones of every kind)."""
    rng = random.Random(f"{seed}-{folder}")
    lines = ["version: 2", "", "models:"]
    for index, (name, (model_folder, sql)) in enumerate(models.items()):
        if model_folder != folder:
            continue
        ephemeral = _ephemeral(sql)
        lines += [f"  - name: {name}", f"    description: \"{folder.title()} model {name}: one row per id.\""]
        if index % 6 == 0:
            lines += ["    config:", f"      tags: ['{rng.choice(['daily', 'hourly', 'weekly'])}']"]
        lines += ["    columns:", "      - name: id", "        description: Primary key."]
        if not ephemeral:
            lines.append("        data_tests:")
            lines += ["          - not_null", "          - unique"] if index % 2 == 0 else ["          - not_null"]
            parents = _parents(sql)
            # (to a built parent: faborite has no relation for an ephemeral model to compare against)
            if index % 7 == 0 and parents and parents[0] in models and not _ephemeral(models[parents[0]][1]):
                lines += ["          - relationships:", "              arguments:",
                          f"                to: ref('{parents[0]}')", "                field: id",
                          "              config:", "                severity: warn"]
        lines += ["      - name: grp", "        description: Customer group."]
        if not ephemeral and index % 5 == 0 and folder == "staging":
            lines += ["        data_tests:", "          - accepted_values:",
                      "              values: ['a', 'b', 'c', 'd', 'e']"]
        lines += ["      - name: amount", "        description: Amount in the model's currency."]
        if not ephemeral and index % 9 == 0:
            lines += ["        data_tests:", "          - positive_amount:", "              config:",
                      "                where: \"ts >= date '2024-01-01'\""]
        lines += ["      - name: ts", "        description: Event date."]
        if not ephemeral and index % 11 == 0:
            lines += ["    data_tests:", f"      - {PACKAGE}.expression_is_true:",
                      "          arguments:", "            expression: \"id is not null\""]
    return "\n".join(lines) + "\n"


SOURCES_YML = "version: 2\n\nsources:\n  - name: raw\n    description: Raw tables, loaded by the seeds.\n" \
    "    schema: main\n    loaded_at_field: ts\n    freshness:\n      warn_after: {count: 24, period: hour}\n" \
    "    tables:\n" + "".join(
        f"      - name: {seed}\n        identifier: {seed}\n        description: Raw {seed}.\n"
        "        columns:\n          - name: id\n            data_tests: [not_null]\n" for seed in SEEDS)

SEEDS_YML = "version: 2\n\nseeds:\n" + "".join(
    f"  - name: {seed}\n    description: Sample {seed}.\n    config:\n      column_types:\n"
    "        id: integer\n        amount: integer\n" for seed in SEEDS)

SNAPSHOTS = {
    "customers_history.sql": """{% snapshot customers_history %}
{{ config(unique_key='id', strategy='check', check_cols=['grp', 'amount']) }}
select id, grp, amount, ts from {{ ref('customers') }}
{% endsnapshot %}
""",
    "orders_history.sql": """{% snapshot orders_history %}
{{ config(unique_key='id', strategy='timestamp', updated_at='ts') }}
select id, grp, amount, cast(ts as timestamp) as ts from {{ ref('orders') }}
{% endsnapshot %}
""",
}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_dbt_project(root: Path, n_models: int = 1200, seed: int = 7) -> Path:
    """Write the project under ``root`` (``dbt parse`` and ``faborite validate`` read it as it is)."""
    models = dbt_models(n_models, seed)
    _write(root / "dbt_project.yml", DBT_PROJECT_YML)
    _write(root / "profiles.yml", PROFILES_YML)
    _write(root / "packages.yml", f"packages:\n  - local: dbt_packages/{PACKAGE}\n")
    _write(root / "macros" / "scaled.sql", MACRO)
    for name, text in PROJECT_MACROS.items():
        _write(root / "macros" / name, text)
    for name in SEEDS:
        _write(root / "seeds" / f"{name}.csv", seed_csv(name))
    _write(root / "seeds" / "seeds.yml", SEEDS_YML)
    _write(root / "models" / "staging" / "sources.yml", SOURCES_YML)
    for name, (folder, sql) in models.items():
        _write(root / "models" / folder / f"{name}.sql", sql)
    for folder in ("staging", "intermediate", "marts"):
        _write(root / "models" / folder / "schema.yml", properties_yml(models, folder, seed))
    for name, text in SNAPSHOTS.items():
        _write(root / "snapshots" / name, text)
    last = list(models)[-1]
    _write(root / "tests" / "assert_last_mart_has_rows.sql",
           f"select 1 as missing from (select count(*) as n from {{{{ ref('{last}') }}}}) as c where n = 0\n")
    _write(root / "analyses" / "amount_by_group.sql",
           f"select grp, sum(amount) as amount from {{{{ ref('{last}') }}}} group by grp\n")
    package = root / "dbt_packages" / PACKAGE
    _write(package / "dbt_project.yml", f"name: {PACKAGE}\nversion: \"0.3.0\"\nconfig-version: 2\n"
                                        "require-dbt-version: [\">=1.3.0\", \"<2.0.0\"]\n")
    for name, text in package_macros_sql().items():
        _write(package / "macros" / name, text)
    _write(package / "macros" / "generic_tests" / "expression_is_true.sql", PACKAGE_TEST)
    _write(package / "README.md", f"# {PACKAGE}\n\nGenerated for faborite's benchmarks.\n")
    return root


if __name__ == "__main__":
    import sys

    print(write_dbt_project(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1200))
