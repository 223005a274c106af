"""What the Spark and Delta apply benchmarks share: the project, CPU time of a process tree, rounds.

The project is benchmark 5's (:mod:`benchmarks.postgres_apply`): the same three
seeds, three staging views, an ``events`` fact table of ``rows`` rows and 26
table models over it (33 nodes), with the few models that use PostgreSQL-only
SQL (``percentile_cont ... within group``, ``::numeric``, ``isodow``, the
average of an interval) rewritten in SQL both Spark and DuckDB run, and
``events`` generated with each engine's ``range``.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.postgres_apply import MARTS as PG_MARTS, STAGING, _stat, write_seeds

#: The fact table, per engine: ``g`` runs 1..rows; every column is a function of it.
_EVENT_COLUMNS = """select
    g as event_id,
    (g * 7919) % {customers} + 1 as customer_id,
    (g * 104729) % {products} + 1 as product_id,
    {timestamp} as event_ts,
    cast(((g * 48271) % 100000) / 100.0 as decimal(12, 2)) as amount,
    (g * 3 + 1) % 11 + 1 as quantity,
    g % 13 = 0 as is_return,
    case g % 4 when 0 then 'web' when 1 then 'app' when 2 then 'store' else 'phone' end as channel
from (select {column} as g from range(1, {rows} + 1)) as numbers
"""
_SECONDS = "(g * 2654435761) % 31536000"
EVENTS = {
    "spark": {"column": "id", "timestamp": f"timestamp_seconds(1735689600 + {_SECONDS})"},
    "duckdb": {"column": "range", "timestamp": f"make_timestamp(1735689600000000 + {_SECONDS} * 1000000)"},
}

MARTS = PG_MARTS | {
    "customer_cohorts": """select date_trunc('month', c.signup_date) as cohort, count(*) as customers,
    avg(t.revenue) as avg_revenue, avg(t.units) as avg_units
from {{ ref('customer_totals') }} as t
join {{ ref('stg_customers') }} as c on c.customer_id = t.customer_id
group by 1
""",
    "segment_summary": """select c.segment, count(*) as customers, sum(t.revenue) as revenue,
    max(t.revenue) as max_revenue
from {{ ref('customer_totals') }} as t
join {{ ref('stg_customers') }} as c on c.customer_id = t.customer_id
group by c.segment
""",
    "returns_by_category": """select p.category, sum(t.returns) as returns, sum(t.events) as events,
    round(cast(sum(t.returns) as double) / nullif(sum(t.events), 0), 4) as return_rate
from {{ ref('product_totals') }} as t
join {{ ref('stg_products') }} as p on p.product_id = t.product_id
group by p.category
""",
    "weekday_profile": """select dayofweek(event_ts) as weekday, count(*) as events, sum(amount) as revenue
from {{ ref('events') }}
group by 1
""",
    "category_trends": """with weekly as (
    select category, date_trunc('week', event_date) as week, sum(revenue) as revenue
    from {{ ref('category_daily') }}
    group by 1, 2
)
select category, week, revenue, revenue - lag(revenue) over (partition by category order by week) as change
from weekly
""",
}
_REF = re.compile(r"\{\{\s*ref\('([a-z_]+)'\)\s*\}\}")


def write_project(root: Path, rows: int, dialect: str, target: str, marts: int | None = None) -> dict[str, Any]:
    """The project at ``root`` (replacing it) in ``dialect`` (spark or duckdb), ``target`` the
    YAML of its one target; ``{seeds, views, tables, nodes}``. ``marts`` keeps only the first so
    many of :data:`MARTS` (the first six read only ``events`` and the staging views): for smoke tests."""
    shutil.rmtree(root, ignore_errors=True)
    (root / "models" / "staging").mkdir(parents=True)
    (root / "models" / "marts").mkdir()
    (root / "faborite.yml").write_text(
        f"name: lake_bench\ndialect: {dialect}\ntarget: dev\ntargets:\n  dev:\n{target}"
        "models:\n  +materialized: table\n  staging:\n    +materialized: view\n", encoding="utf-8")
    seeds = write_seeds(root / "seeds", rows)
    for name, sql in STAGING.items():
        (root / "models" / "staging" / f"{name}.sql").write_text(sql, encoding="utf-8")
    events = _EVENT_COLUMNS.format(rows=rows, customers=seeds["customers"], products=seeds["products"],
                                   **EVENTS[dialect])
    (root / "models" / "marts" / "events.sql").write_text(events, encoding="utf-8")
    kept = list(MARTS.items())[:marts]
    for name, sql in kept:
        (root / "models" / "marts" / f"{name}.sql").write_text(sql, encoding="utf-8")
    return {"seeds": seeds, "views": len(STAGING), "tables": 1 + len(kept),
            "nodes": len(seeds) + len(STAGING) + 1 + len(kept)}


def models_in_order(project: Path) -> list[tuple[str, str, str]]:
    """``(name, 'view' | 'table', sql with every ref() replaced by the bare name)``, dependencies first."""
    from graphlib import TopologicalSorter

    found = {}
    for path in sorted((project / "models").rglob("*.sql")):
        text = path.read_text(encoding="utf-8")
        found[path.stem] = ("view" if path.parent.name == "staging" else "table", text)
    graph = {name: {r for r in _REF.findall(text) if r in found} for name, (_, text) in found.items()}
    return [(name, found[name][0], _REF.sub(r"\1", found[name][1]))
            for name in TopologicalSorter(graph).static_order()]


def tree_cpu_seconds(pid: int | None = None) -> float:
    """CPU seconds of process ``pid`` (default: this one), the children it reaped, and every live
    descendant (a Spark driver's JVM is a child of the Python process)."""
    pid = pid or os.getpid()
    ticks = os.sysconf("SC_CLK_TCK")
    if pid == os.getpid():
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        total = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    else:
        fields = _stat(pid)
        total = sum(int(f) for f in fields[11:15]) / ticks if fields else 0.0
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields:
                parents[int(entry.name)] = int(fields[1])
    live, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - live
        live |= frontier
    for child in live:
        fields = _stat(child)
        if fields:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


@dataclass(frozen=True)
class Timing:
    """One measured run: wall seconds and CPU seconds (of this process tree)."""

    seconds: float
    cpu: float
    extra: float = float("nan")


def timed(work: Callable[[], Any]) -> tuple[Timing, Any]:
    """Run ``work()`` in this process; its wall and process-tree CPU seconds, and its result."""
    cpu, started = tree_cpu_seconds(), time.perf_counter()
    result = work()
    return Timing(time.perf_counter() - started, tree_cpu_seconds() - cpu), result


def alternate(runs: int, sides: dict[str, Callable[[int], Timing]]) -> dict[str, list[Timing]]:
    """``runs`` rounds of every side, the order reversed every other round (neither side always
    runs second, on a warmer machine)."""
    out: dict[str, list[Timing]] = {name: [] for name in sides}
    for round_ in range(runs):
        names = list(sides) if round_ % 2 == 0 else list(sides)[::-1]
        for name in names:
            out[name].append(sides[name](round_))
    return out


def ratios(faborite: list[Timing], peer: list[Timing]) -> dict[str, float]:
    """Medians of both sides and their ratios (wall, CPU, and the median of each round's own wall ratio)."""
    med = statistics.median
    fab_s, peer_s = med(t.seconds for t in faborite), med(t.seconds for t in peer)
    fab_cpu, peer_cpu = med(t.cpu for t in faborite), med(t.cpu for t in peer)
    return {"faborite_seconds": fab_s, "peer_seconds": peer_s, "ratio": fab_s / peer_s,
            "faborite_cpu_seconds": fab_cpu, "peer_cpu_seconds": peer_cpu,
            "ratio_cpu": fab_cpu / peer_cpu if peer_cpu else float("nan"),
            "ratio_median_of_rounds": med(f.seconds / p.seconds for f, p in zip(faborite, peer)),
            "faborite_all": [t.seconds for t in faborite], "peer_all": [t.seconds for t in peer],
            "faborite_cpu_all": [t.cpu for t in faborite], "peer_cpu_all": [t.cpu for t in peer]}


def load_average() -> float:
    return os.getloadavg()[0]
