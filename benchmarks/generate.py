"""A deterministic synthetic project, written in faborite's format and in dbt's.

The same seed and size give byte-identical files. The DAG is layered like a
real warehouse: staging views over seeds, then marts that join, aggregate,
bucket and rank, with CTEs, CASE, window functions, a macro, var() and
if-blocks. Staging models are views; everything above is a table, as in most
warehouses (a deep DAG of views makes every engine re-expand the whole tree). Every model outputs the same four columns (id, grp, amount, ts) with unique
ids, so any model can join any earlier one, the SQL always runs, and row
counts stay small however deep the DAG gets.
"""

from __future__ import annotations

import random
from pathlib import Path

SEEDS = ("customers", "orders", "products", "events", "stores")

MACRO = """{% macro scaled(column, factor=1.0) -%}
    ({{ column }} * {{ factor }})
{%- endmacro %}
"""

STAGING = """select
    cast(id as integer) as id,
    cast(grp as varchar) as grp,
    cast(amount as double) as amount,
    cast(ts as date) as ts
from {{{{ ref("{seed}") }}}}
where amount >= {{{{ var("min_amount") }}}}
"""

TEMPLATES = (
    # projection and filter with the macro
    """select id, grp, {{{{ scaled("amount", {factor}) }}}} as amount, ts
from {{{{ ref("{p1}") }}}}
where amount > {threshold}
""",
    # CTEs and a left join
    """with base as (
    select * from {{{{ ref("{p1}") }}}}
),
other as (
    select id, amount as other_amount from {{{{ ref("{p2}") }}}}
)
select base.id, base.grp, base.amount + coalesce(other.other_amount, 0) as amount, base.ts
from base
left join other on other.id = base.id
""",
    # CASE bucketing with an if-block
    """select
    id,
    case
        when amount > {high} then 'high'
        when amount > {threshold} then 'mid'
        else grp
    end as grp,
    amount,
    ts
from {{{{ ref("{p1}") }}}}
{{% if var("only_recent", false) %}}
where ts >= date '2024-01-01'
{{% endif %}}
""",
    # aggregate
    """select
    min(id) as id,
    grp,
    sum(amount) as amount,
    max(ts) as ts
from {{{{ ref("{p1}") }}}}
group by grp
""",
    # window function over a union of two parents (ids stay unique, so joins never fan out)
    """with unioned as (
    select id, grp, amount, ts from {{{{ ref("{p1}") }}}}
    union all
    select id, grp, amount, ts from {{{{ ref("{p2}") }}}}
    where id not in (select id from {{{{ ref("{p1}") }}}})
),
ranked as (
    select
        id, grp, amount, ts,
        row_number() over (partition by grp order by amount desc, id) as rn,
        avg(amount) over (partition by grp) as grp_avg
    from unioned
)
select id, grp, amount - grp_avg as amount, ts
from ranked
where rn <= {top}
""",
    # three-way join
    """select a.id, coalesce(b.grp, a.grp) as grp, a.amount + coalesce(c.amount, 0) as amount, a.ts
from {{{{ ref("{p1}") }}}} a
left join {{{{ ref("{p2}") }}}} b on b.id = a.id
left join {{{{ ref("{p3}") }}}} c on c.id = a.id
""",
)


def seed_csv(name: str, rows: int = 20) -> str:
    """A small CSV with the four standard columns."""
    rng = random.Random(name)
    lines = ["id,grp,amount,ts"]
    for i in range(1, rows + 1):
        lines.append(f"{i},{rng.choice('abcde')},{rng.randint(1, 500)},2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}")
    return "\n".join(lines) + "\n"


def model_sqls(n_models: int, seed: int = 7) -> dict[str, tuple[str, str]]:
    """``{name: (folder, sql)}`` for ``n_models`` models in a layered DAG."""
    rng = random.Random(seed)
    models: dict[str, tuple[str, str]] = {}
    staging = max(len(SEEDS), n_models // 10)
    names: list[str] = []
    for i in range(min(staging, n_models)):
        name = f"stg_{SEEDS[i % len(SEEDS)]}_{i:05d}"
        models[name] = ("staging", STAGING.format(seed=SEEDS[i % len(SEEDS)]))
        names.append(name)
    for i in range(len(names), n_models):
        # Prefer recent models as parents, so the DAG gets deep, not just wide.
        window = names[-200:] if rng.random() < 0.8 else names
        p1, p2, p3 = (rng.choice(window) for _ in range(3))
        template = TEMPLATES[i % len(TEMPLATES)]
        sql = template.format(p1=p1, p2=p2, p3=p3, factor=round(rng.uniform(0.5, 2.0), 2),
                              threshold=rng.randint(5, 50), high=rng.randint(100, 400), top=rng.randint(3, 50))
        layer = "marts" if i > n_models * 0.6 else "intermediate"
        name = f"{layer[:3]}_{i:05d}"
        models[name] = (layer, sql)
        names.append(name)
    return models


def _checks_yaml(models: dict[str, tuple[str, str]], folder: str, key: str) -> str:
    lines = ["models:"]
    for index, (name, (model_folder, _)) in enumerate(models.items()):
        if model_folder != folder or index % 5:
            continue  # checks on ~20% of models
        lines += [f"  - name: {name}", f"    description: Model {name}.", "    columns:",
                  "      - name: id", f"        {key}: [not_null]"]
    return "\n".join(lines) + "\n" if len(lines) > 1 else "models: []\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_faborite_project(root: Path, n_models: int, seed: int = 7) -> Path:
    """Write the project in faborite's format under ``root``."""
    models = model_sqls(n_models, seed)
    _write(root / "faborite.yml", (
        "name: bench\n"
        "targets:\n  dev: {type: duckdb, path: .faborite/dev.duckdb}\n"
        "vars: {min_amount: 0, only_recent: false}\n"
        "models:\n  +materialized: table\n  staging: {+materialized: view}\n"
    ))
    _write_common(root, models)
    for folder in ("staging", "intermediate", "marts"):
        _write(root / "models" / folder / "schema.yml", _checks_yaml(models, folder, "checks"))
    return root


def write_dbt_project(root: Path, n_models: int, seed: int = 7) -> Path:
    """Write the same project in dbt's format (with a DuckDB profile) under ``root``."""
    models = model_sqls(n_models, seed)
    _write(root / "dbt_project.yml", (
        "name: bench\nversion: '1.0'\nconfig-version: 2\nprofile: bench\n"
        "vars: {min_amount: 0, only_recent: false}\n"
        "models:\n  bench:\n    +materialized: table\n    staging: {+materialized: view}\n"
    ))
    _write(root / "profiles.yml", (
        "bench:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: dev.duckdb, threads: 2}\n"
    ))
    _write_common(root, models)
    for folder in ("staging", "intermediate", "marts"):
        _write(root / "models" / folder / "schema.yml", _checks_yaml(models, folder, "data_tests"))
    return root


def _write_common(root: Path, models: dict[str, tuple[str, str]]) -> None:
    _write(root / "macros" / "scaled.sql", MACRO)
    for name in SEEDS:
        _write(root / "seeds" / f"{name}.csv", seed_csv(name))
    for name, (folder, sql) in models.items():
        _write(root / "models" / folder / f"{name}.sql", sql)


def mid_dag_model(n_models: int, seed: int = 7) -> tuple[str, str]:
    """A model in the middle of the DAG (folder, name), for one-edit plans."""
    models = model_sqls(n_models, seed)
    name = list(models)[len(models) // 2]
    return models[name][0], name
