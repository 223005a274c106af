"""Benchmark 5: apply overhead on PostgreSQL, faborite vs the same SQL run through ``psql`` in one session.

The project (``write_project``) is deterministic and sized by ``rows``: three
seeds loaded by COPY (regions, products, customers: ``rows / 20`` customers),
three staging views, one ``events`` table of ``rows`` rows made by
``generate_series`` (a fact table: customer, product, time, amount, channel,
returns) and 26 table models over it (joins to the seeds, daily and monthly
aggregates, window functions, CTEs, rankings, a final KPI union): 33 nodes,
in ``dialect: postgres``.

The SQL psql runs is the SQL faborite ran, recorded, not rewritten: one
recording apply (not timed) on a scratch database runs faborite in-process
with every statement the postgres connection sends logged (its ``_errors``
wrapper sees each one: ``execute``, fetches, catalog queries and the COPY),
and each seed table faborite loads dumped as CSV. The psql file keeps every
statement that changes the database, in faborite's order: ``SET search_path``,
``CREATE SCHEMA``, ``BEGIN``/``COMMIT``, the seeds' ``CREATE TABLE`` and
``COPY ... FROM STDIN`` (here ``WITH (FORMAT csv)``, the rows inline), each
model's ``CREATE TABLE ... AS`` and ``CREATE VIEW``, and publish's one
transaction of ``DROP VIEW IF EXISTS`` + ``CREATE VIEW``. It leaves out what
only faborite needs: its catalog queries and each new table's ``COUNT(*)``;
they are counted and reported. The same is recorded for an apply after one
edit (``customer_totals``, mid-DAG: it and the models reading it are rebuilt).

In the same run, ``runs`` rounds, each on fresh databases of the same server:

- faborite: ``faborite apply --auto-approve --threads 1`` on a fresh
  ``.faborite/`` and an empty database (first apply), then the edit, then
  ``faborite apply`` again (after one edit); wall time of the whole command,
  its peak RSS, and the apply stage alone ("Apply complete! ... in X.XXs").
- psql: ``psql -X -q -v ON_ERROR_STOP=1 -f first.sql`` on another empty
  database, then ``-f edit.sql``: wall time of each command.

Figures are medians of the rounds; the ratio is faborite / psql. Afterwards
every published relation's row count is compared between the two databases.

The server is ``tests/postgres.py``'s ``run_postgres()`` (this machine's
``initdb``/``pg_ctl``, ``fsync=off``, default memory settings), or a running
one named by ``--host/--port/--user``.

    python -m benchmarks.postgres_apply --rows 2000000 --runs 5
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import re
import shutil
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.measure import Measurement, publish_figures, run

FABORITE = [sys.executable, "-m", "faborite", "--no-color"]
WORK = Path(__file__).parent / ".work" / "postgres-apply"
DB_VARIABLE = "FABORITE_BENCH_PGDB"
_APPLY_DONE = re.compile(r"Apply complete!.*? in ([0-9.]+)s")

#: The edit between the two applies: a logic change in a mid-DAG model.
EDITED_MODEL = "customer_totals"
EDIT = ("sum(amount) as revenue", "sum(amount) filter (where not is_return) as revenue")

# -- the project -------------------------------------------------------------------------

SEGMENTS = ("consumer", "small business", "enterprise", "public sector")
CATEGORIES = ("books", "games", "garden", "grocery", "kitchen", "music", "outdoor", "tools", "toys", "video")
REGIONS = ("north", "south", "east", "west", "central", "islands", "mountains", "coast")

STAGING = {
    "stg_regions": "select cast(region_id as integer) as region_id, region_name\nfrom {{ ref('regions') }}\n",
    "stg_products": """select
    cast(product_id as integer) as product_id,
    category,
    product_name,
    cast(list_price as numeric(10, 2)) as list_price
from {{ ref('products') }}
""",
    "stg_customers": """select
    cast(customer_id as integer) as customer_id,
    cast(region_id as integer) as region_id,
    segment,
    cast(signup_date as date) as signup_date
from {{ ref('customers') }}
""",
}

EVENTS = """-- {rows} synthetic events, deterministic: every column is a function of the row number.
select
    g as event_id,
    (g * 7919) % {customers} + 1 as customer_id,
    (g * 104729) % {products} + 1 as product_id,
    timestamp '2025-01-01' + ((g * 2654435761) % 31536000) * interval '1 second' as event_ts,
    cast(((g * 48271) % 100000) / 100.0 as numeric(12, 2)) as amount,
    (g * 3 + 1) % 11 + 1 as quantity,
    g % 13 = 0 as is_return,
    case g % 4 when 0 then 'web' when 1 then 'app' when 2 then 'store' else 'phone' end as channel
from generate_series(cast(1 as bigint), {rows}) as g
"""

MARTS = {
    "events_enriched": """select
    e.event_id, e.event_ts, cast(e.event_ts as date) as event_date, e.amount, e.quantity, e.is_return,
    e.channel, c.customer_id, c.segment, r.region_name, p.product_id, p.category, p.list_price
from {{ ref('events') }} as e
join {{ ref('stg_customers') }} as c on c.customer_id = e.customer_id
join {{ ref('stg_regions') }} as r on r.region_id = c.region_id
join {{ ref('stg_products') }} as p on p.product_id = e.product_id
""",
    "daily_revenue": """select event_date, count(*) as events, sum(amount) as revenue, sum(quantity) as units
from {{ ref('events_enriched') }}
group by event_date
""",
    "daily_channel_revenue": """select event_date, channel, count(*) as events, sum(amount) as revenue
from {{ ref('events_enriched') }}
group by event_date, channel
""",
    "category_daily": """select event_date, category, sum(amount) as revenue, sum(quantity) as units
from {{ ref('events_enriched') }}
where not is_return
group by event_date, category
""",
    "region_monthly": """select date_trunc('month', event_ts) as month, region_name, segment,
    count(distinct customer_id) as customers, sum(amount) as revenue
from {{ ref('events_enriched') }}
group by 1, 2, 3
""",
    "customer_totals": """select customer_id, count(*) as events, sum(amount) as revenue,
    sum(quantity) as units, min(event_ts) as first_seen, max(event_ts) as last_seen
from {{ ref('events') }}
group by customer_id
""",
    "customer_rank": """select t.customer_id, c.region_id, c.segment, t.revenue,
    rank() over (partition by c.region_id order by t.revenue desc, t.customer_id) as region_rank,
    ntile(10) over (order by t.revenue) as decile
from {{ ref('customer_totals') }} as t
join {{ ref('stg_customers') }} as c on c.customer_id = t.customer_id
""",
    "top_customers": """select r.region_name, k.customer_id, k.segment, k.revenue, k.region_rank
from {{ ref('customer_rank') }} as k
join {{ ref('stg_regions') }} as r on r.region_id = k.region_id
where k.region_rank <= 25
""",
    "customer_cohorts": """select date_trunc('month', c.signup_date) as cohort, count(*) as customers,
    avg(t.revenue) as avg_revenue, avg(t.last_seen - t.first_seen) as avg_lifetime
from {{ ref('customer_totals') }} as t
join {{ ref('stg_customers') }} as c on c.customer_id = t.customer_id
group by 1
""",
    "repeat_customers": """with activity as (
    select customer_id, count(distinct cast(event_ts as date)) as active_days
    from {{ ref('events') }}
    group by customer_id
)
select a.customer_id, a.active_days, t.revenue,
    case when a.active_days >= 20 then 'loyal' when a.active_days >= 5 then 'regular' else 'occasional' end
        as tier
from activity as a
join {{ ref('customer_totals') }} as t on t.customer_id = a.customer_id
""",
    "segment_summary": """select c.segment, count(*) as customers, sum(t.revenue) as revenue,
    percentile_cont(0.5) within group (order by t.revenue) as median_revenue
from {{ ref('customer_totals') }} as t
join {{ ref('stg_customers') }} as c on c.customer_id = t.customer_id
group by c.segment
""",
    "product_totals": """select product_id, count(*) as events, sum(amount) as revenue, sum(quantity) as units,
    sum(case when is_return then 1 else 0 end) as returns
from {{ ref('events') }}
group by product_id
""",
    "product_rank": """select p.product_id, p.category, t.revenue,
    dense_rank() over (partition by p.category order by t.revenue desc) as category_rank
from {{ ref('product_totals') }} as t
join {{ ref('stg_products') }} as p on p.product_id = t.product_id
""",
    "returns_by_category": """select p.category, sum(t.returns) as returns, sum(t.events) as events,
    round(sum(t.returns)::numeric / nullif(sum(t.events), 0), 4) as return_rate
from {{ ref('product_totals') }} as t
join {{ ref('stg_products') }} as p on p.product_id = t.product_id
group by p.category
""",
    "price_bands": """select
    case when list_price < 10 then 'under 10' when list_price < 50 then '10-50'
         when list_price < 200 then '50-200' else '200+' end as band,
    count(*) as events, sum(amount) as revenue
from {{ ref('events_enriched') }}
group by 1
""",
    "hourly_profile": """select extract(hour from event_ts) as hour, channel, count(*) as events, avg(amount) as avg_amount
from {{ ref('events') }}
group by 1, 2
""",
    "weekday_profile": """select extract(isodow from event_ts) as weekday, count(*) as events, sum(amount) as revenue
from {{ ref('events') }}
group by 1
""",
    "large_orders": """select event_id, customer_id, product_id, event_ts, amount, channel
from {{ ref('events') }}
where amount >= 900 and not is_return
""",
    "large_orders_by_region": """select c.region_id, o.channel, count(*) as orders, sum(o.amount) as revenue
from {{ ref('large_orders') }} as o
join {{ ref('stg_customers') }} as c on c.customer_id = o.customer_id
group by 1, 2
""",
    "basket_sizes": """with baskets as (
    select customer_id, cast(event_ts as date) as day, count(*) as items, sum(amount) as spend
    from {{ ref('events') }}
    group by 1, 2
)
select least(items, 10) as items, count(*) as baskets, avg(spend) as avg_spend
from baskets
group by 1
""",
    "rolling_revenue": """select event_date, revenue,
    sum(revenue) over (order by event_date rows between 6 preceding and current row) as revenue_7d,
    avg(revenue) over (order by event_date rows between 27 preceding and current row) as avg_28d
from {{ ref('daily_revenue') }}
""",
    "channel_mix": """select event_date, channel, revenue,
    revenue / nullif(sum(revenue) over (partition by event_date), 0) as share
from {{ ref('daily_channel_revenue') }}
""",
    "category_trends": """select category, date_trunc('week', event_date) as week, sum(revenue) as revenue,
    sum(revenue) - lag(sum(revenue)) over (partition by category order by date_trunc('week', event_date))
        as change
from {{ ref('category_daily') }}
group by 1, 2
""",
    "region_growth": """select region_name, month, sum(revenue) as revenue,
    sum(revenue) / nullif(lag(sum(revenue)) over (partition by region_name order by month), 0) - 1 as growth
from {{ ref('region_monthly') }}
group by 1, 2
""",
    "new_vs_returning": """select e.event_date, sum(case when e.event_date = cast(t.first_seen as date) then 1 else 0 end)
    as new_customer_events, count(*) as events
from {{ ref('events_enriched') }} as e
join {{ ref('customer_totals') }} as t on t.customer_id = e.customer_id
group by e.event_date
""",
    "kpis": """select 'revenue' as kpi, sum(revenue) as value from {{ ref('daily_revenue') }}
union all
select 'customers', count(*) from {{ ref('customer_totals') }}
union all
select 'products sold', count(*) from {{ ref('product_totals') }}
union all
select 'large orders', sum(orders) from {{ ref('large_orders_by_region') }}
union all
select 'loyal customers', count(*) from {{ ref('repeat_customers') }} where tier = 'loyal'
""",
}


def write_seeds(seeds: Path, rows: int, seed: int = 8) -> dict[str, int]:
    """The three seed CSVs, deterministic for ``rows`` and ``seed``; ``{name: rows}``."""
    rng = random.Random(seed)
    customers, products = max(rows // 20, 100), max(rows // 200, 50)
    seeds.mkdir(parents=True, exist_ok=True)
    lines = ["region_id,region_name"] + [f"{i},{name}" for i, name in enumerate(REGIONS, 1)]
    (seeds / "regions.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = ["product_id,category,product_name,list_price"]
    for i in range(1, products + 1):
        lines.append(f"{i},{rng.choice(CATEGORIES)},product {i:06d},{rng.uniform(1, 500):.2f}")
    (seeds / "products.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = ["customer_id,region_id,segment,signup_date"]
    for i in range(1, customers + 1):
        lines.append(f"{i},{rng.randint(1, len(REGIONS))},{rng.choice(SEGMENTS)},"
                     f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
    (seeds / "customers.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"regions": len(REGIONS), "products": products, "customers": customers}


def write_project(root: Path, rows: int) -> dict[str, Any]:
    """The benchmark project at ``root`` (replacing it); its database is ``$FABORITE_BENCH_PGDB``."""
    shutil.rmtree(root, ignore_errors=True)
    (root / "models" / "staging").mkdir(parents=True)
    (root / "models" / "marts").mkdir()
    (root / "faborite.yml").write_text(
        "name: pg_bench\n"
        "dialect: postgres\n"
        "target: dev\n"
        "targets:\n"
        "  dev:\n"
        "    type: postgres\n"
        "    host: \"{{ env_var('PGHOST') }}\"\n"
        "    port: \"{{ env_var('PGPORT') }}\"\n"
        "    user: \"{{ env_var('PGUSER') }}\"\n"
        f"    dbname: \"{{{{ env_var('{DB_VARIABLE}') }}}}\"\n"
        "models:\n"
        "  +materialized: table\n"
        "  staging:\n"
        "    +materialized: view\n",
        encoding="utf-8",
    )
    seeds = write_seeds(root / "seeds", rows)
    for name, sql in STAGING.items():
        (root / "models" / "staging" / f"{name}.sql").write_text(sql, encoding="utf-8")
    events = EVENTS.format(rows=rows, customers=seeds["customers"], products=seeds["products"])
    (root / "models" / "marts" / "events.sql").write_text(events, encoding="utf-8")
    for name, sql in MARTS.items():
        (root / "models" / "marts" / f"{name}.sql").write_text(sql, encoding="utf-8")
    return {"seeds": seeds, "views": len(STAGING), "tables": 1 + len(MARTS),
            "nodes": len(seeds) + len(STAGING) + 1 + len(MARTS)}


def edit(project: Path, undo: bool = False) -> None:
    """Apply (or undo) :data:`EDIT` to :data:`EDITED_MODEL`."""
    path = project / "models" / "marts" / f"{EDITED_MODEL}.sql"
    old, new = EDIT[::-1] if undo else EDIT
    text = path.read_text(encoding="utf-8")
    if old not in text:
        raise RuntimeError(f"{path} does not hold {old!r}")
    path.write_text(text.replace(old, new), encoding="utf-8")


# -- the server ------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str
    #: The cluster's data directory when it runs on this machine (for its CPU time); else None.
    data_dir: Path | None = None

    def cpu_seconds(self) -> float:
        """CPU seconds the server has used so far: the postmaster, its live children, and the
        children it has reaped (every backend of a finished session, parallel workers, autovacuum).
        ``nan`` when the server is not local."""
        if self.data_dir is None:
            return math.nan
        pid = int((self.data_dir / "postmaster.pid").read_text().split()[0])
        ticks = os.sysconf("SC_CLK_TCK")
        fields = _stat(pid)
        total = sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                child = _stat(int(entry.name))
                if child and int(child[1]) == pid:  # ppid
                    total += int(child[11]) + int(child[12])
        return total / ticks

    def env(self, dbname: str | None = None) -> dict[str, str]:
        env = {"PGHOST": self.host, "PGPORT": str(self.port), "PGUSER": self.user}
        return env | ({DB_VARIABLE: dbname, "PGDATABASE": dbname} if dbname else {})

    def admin(self, sql: str, dbname: str = "postgres") -> list[tuple]:
        import psycopg

        with psycopg.connect(host=self.host, port=self.port, user=self.user, dbname=dbname,
                             autocommit=True) as con:
            cur = con.execute(sql)
            return cur.fetchall() if cur.description else []

    def create_database(self, prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        self.admin(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _stat(pid: int) -> list[str]:
    """``/proc/<pid>/stat`` fields after the command name (state is [0], ppid [1], utime [11]); [] if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return text[text.rindex(")") + 2:].split()


@contextmanager
def server(host: str | None = None, port: int | None = None, user: str = "postgres") -> Iterator[Server]:
    """The running server named by ``host``/``port``, or a throw-away one from ``tests/postgres.py``."""
    if host:
        yield Server(host, port or 5432, user)
        return
    from tests.postgres import run_postgres

    with run_postgres() as pg:
        yield Server(pg.host, pg.port, pg.user, pg.data_dir)


def psql_executable() -> str:
    """``psql`` from PATH, else next to the server's ``initdb``."""
    found = shutil.which("psql")
    if found:
        return found
    from tests.postgres import find_pg_bin

    bin_dir = find_pg_bin()
    if bin_dir and (bin_dir / "psql").exists():
        return str(bin_dir / "psql")
    raise FileNotFoundError("psql not found: install PostgreSQL's client (Debian: postgresql-client)")


# -- recording the SQL faborite runs ----------------------------------------------------

# Run in a child process: faborite's CLI, with the postgres connection logging every
# statement it sends and dumping every table it loads with COPY as CSV.
RECORDER = r"""
import json, sys, time
from contextlib import contextmanager
from pathlib import Path
import pyarrow.csv as pacsv
from faborite.providers import postgres as pg

out = Path(sys.argv[1])
log = []
errors, load = pg.PostgresConnection._errors, pg.PostgresConnection.create_table_from_arrow

@contextmanager
def logged_errors(self, sql):
    entry = {"sql": sql, "session": id(self._con)}
    log.append(entry)
    started = time.perf_counter()
    try:
        with errors(self, sql):
            yield
    finally:
        entry["seconds"] = time.perf_counter() - started

def logged_load(self, relation, data):
    if not hasattr(data, "to_batches"):
        data = data.read_all()
    path = out.parent / f"{out.stem}-copy-{len(log)}.csv"
    pacsv.write_csv(data, path)
    log.append({"copy_data": str(path), "relation": str(relation)})
    return load(self, relation, data)

pg.PostgresConnection._errors = logged_errors
pg.PostgresConnection.create_table_from_arrow = logged_load
from faborite.cli import main
try:
    main(sys.argv[2:])
finally:
    out.write_text(json.dumps(log))
"""

#: Statements faborite sends that only read: catalog queries and row counts. Everything else is replayed.
_READS = re.compile(r"^\s*(SELECT|SHOW|WITH)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Recorded:
    """What one faborite apply sent: the psql script replaying its writes, and what it left out."""

    script: Path
    statements: int
    writes: int
    copies: int
    reads: list[str]
    #: Where the recording apply's time went: the whole command, its apply stage, the statements
    #: psql replays (COPY included), faborite's own queries (catalog, row counts, plan's look).
    cli_seconds: float
    apply_stage_seconds: float
    replayed_seconds: float
    copy_seconds: float
    read_seconds: float


def record(project: Path, env: dict[str, str], out: Path) -> Recorded:
    """Run one ``faborite apply --threads 1`` logging its SQL; write the psql script of its writes to ``out``."""
    log_file = out.with_suffix(".json")
    result = run([sys.executable, "-c", RECORDER, str(log_file), "--no-color", "apply", "--auto-approve", "--allow-destructive",
                  "--threads", "1"], project, env)
    if _APPLY_DONE.search(result.output) is None:
        raise RuntimeError(f"the recording apply failed:\n{result.output[-3000:]}")
    entries = json.loads(log_file.read_text(encoding="utf-8"))
    lines = ["-- The statements faborite apply sent that change the database, in its order,",
             "-- recorded by benchmarks/postgres_apply.py (catalog queries and row counts left out)."]
    # plan's look at the target runs in a read-only session: nothing it sends changes the database.
    read_only = {e["session"] for e in entries if "default_transaction_read_only" in e.get("sql", "")}
    reads: list[str] = []
    writes = copies = 0
    replayed_seconds = copy_seconds = read_seconds = 0.0
    pending_data: Path | None = None
    for entry in entries:
        if "copy_data" in entry:
            pending_data = Path(entry["copy_data"])
            continue
        sql = entry["sql"].strip().rstrip(";")
        if _READS.match(sql) or entry["session"] in read_only:
            reads.append(sql)
            read_seconds += entry["seconds"]
            continue
        replayed_seconds += entry["seconds"]
        if sql.upper().startswith("COPY "):
            if pending_data is None:
                raise RuntimeError(f"no data recorded for {sql}")
            # faborite writes rows with psycopg's write_row; psql reads the same rows as CSV.
            lines.append(f"{sql} WITH (FORMAT csv, HEADER true);")
            lines.append(pending_data.read_text(encoding="utf-8").rstrip("\n"))
            lines.append("\\.")
            pending_data = None
            copies += 1
            copy_seconds += entry["seconds"]
        else:
            lines.append(sql + ";")
        writes += 1
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Recorded(out, len([e for e in entries if "sql" in e]), writes, copies, reads, result.seconds,
                    float(_APPLY_DONE.search(result.output).group(1)), replayed_seconds, copy_seconds, read_seconds)


# -- the two sides ---------------------------------------------------------------------


@dataclass(frozen=True)
class Timed:
    """One measured command: wall time, peak RSS, CPU seconds of the client and of the server."""

    measured: Measurement
    client_cpu: float
    server_cpu: float
    apply_stage: float = math.nan

    @property
    def seconds(self) -> float:
        return self.measured.seconds

    @property
    def cpu(self) -> float:
        return self.client_cpu + self.server_cpu


def _timed(srv: Server, command: list[str], cwd: Path, env: dict[str, str]) -> Timed:
    """:func:`benchmarks.measure.run` plus the client's CPU time (getrusage) and the server's."""
    server_before, before = srv.cpu_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run(command, cwd, env, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    time.sleep(0.2)  # the postmaster reaps the session's backend (its CPU moves to cutime)
    server_cpu = srv.cpu_seconds() - server_before
    client_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timed(result, client_cpu, server_cpu)


def faborite_apply(srv: Server, project: Path, dbname: str) -> Timed:
    """One ``faborite apply --auto-approve --threads 1``, with its apply stage's seconds."""
    timed = _timed(srv, [*FABORITE, "apply", "--auto-approve", "--allow-destructive", "--threads", "1"], project, srv.env(dbname))
    match = _APPLY_DONE.search(timed.measured.output)
    if timed.measured.returncode != 0 or match is None:
        raise RuntimeError(f"faborite apply failed:\n{timed.measured.output[-3000:]}")
    return Timed(timed.measured, timed.client_cpu, timed.server_cpu, float(match.group(1)))


def psql(srv: Server, script: Path, dbname: str) -> Timed:
    """``psql -X -q -v ON_ERROR_STOP=1 -f script``: one session."""
    timed = _timed(srv, [psql_executable(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(script)], script.parent,
                   srv.env(dbname))
    if timed.measured.returncode != 0:
        raise RuntimeError(f"psql -f {script} failed ({timed.measured.returncode}):\n"
                           f"{timed.measured.output[-3000:]}")
    return timed


def published_rows(srv: Server, dbname: str, schema: str = "public") -> dict[str, int]:
    """``{view: rows}`` for every view faborite published in ``schema``."""
    views = [name for (name,) in srv.admin(
        f"select table_name from information_schema.views where table_schema = '{schema}' order by 1", dbname)]
    return {v: srv.admin(f'select count(*) from "{schema}"."{v}"', dbname)[0][0] for v in views}


def bench_postgres_apply(rows: int, workdir: Path, *, runs: int = 3, host: str | None = None,
                         port: int | None = None, user: str = "postgres") -> dict[str, Any]:
    """Every figure (see the module docstring): medians of ``runs`` rounds."""
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    project = workdir / "project"
    shape = write_project(project, rows)
    sql_dir = workdir / "sql"
    shutil.rmtree(sql_dir, ignore_errors=True)
    sql_dir.mkdir()
    with server(host, port, user) as srv:
        version = srv.admin("show server_version")[0][0]
        # The recording apply (first, then after the edit) on a scratch database.
        scratch = srv.create_database("record")
        try:
            shutil.rmtree(project / ".faborite", ignore_errors=True)
            first_sql = record(project, srv.env(scratch), sql_dir / "first.sql")
            edit(project)
            try:
                edit_sql = record(project, srv.env(scratch), sql_dir / "edit.sql")
            finally:
                edit(project, undo=True)
        finally:
            srv.drop_database(scratch)

        sides: dict[str, list[Timed]] = {"faborite_first": [], "faborite_edit": [], "psql_first": [], "psql_edit": []}
        rows_match = None
        fab_rows: dict[str, int] = {}
        for round_ in range(runs):
            fab_db, raw_db = srv.create_database("faborite"), srv.create_database("psql")
            try:
                # Alternate which side goes first, so neither always runs on a warmer server.
                for side in ("faborite", "psql") if round_ % 2 == 0 else ("psql", "faborite"):
                    if side == "faborite":
                        shutil.rmtree(project / ".faborite", ignore_errors=True)
                        sides["faborite_first"].append(faborite_apply(srv, project, fab_db))
                        edit(project)
                        try:
                            sides["faborite_edit"].append(faborite_apply(srv, project, fab_db))
                        finally:
                            edit(project, undo=True)
                    else:
                        sides["psql_first"].append(psql(srv, first_sql.script, raw_db))
                        sides["psql_edit"].append(psql(srv, edit_sql.script, raw_db))
                if round_ == runs - 1:
                    fab_rows, raw_rows = published_rows(srv, fab_db), published_rows(srv, raw_db)
                    rows_match = fab_rows == raw_rows and len(fab_rows) == shape["nodes"]
            finally:
                srv.drop_database(fab_db)
                srv.drop_database(raw_db)

    med = statistics.median
    figures: dict[str, Any] = {"rows": rows, "runs": runs, "server_version": version, "project": shape}
    for key, recorded in (("first", first_sql), ("edit", edit_sql)):
        fab, raw = sides[f"faborite_{key}"], sides[f"psql_{key}"]
        wall, stage, psql_wall = med([t.seconds for t in fab]), med([t.apply_stage for t in fab]), med(
            [t.seconds for t in raw])
        cpu, psql_cpu = med([t.cpu for t in fab]), med([t.cpu for t in raw])
        figures[key] = {
            "faborite_cli_seconds": wall,
            "faborite_apply_stage_seconds": stage,
            "faborite_cpu_seconds": cpu,
            "faborite_server_cpu_seconds": med([t.server_cpu for t in fab]),
            "faborite_peak_mib": med([t.measured.peak_mib for t in fab]),
            "psql_seconds": psql_wall,
            "psql_cpu_seconds": psql_cpu,
            "psql_server_cpu_seconds": med([t.server_cpu for t in raw]),
            "ratio_cli": wall / psql_wall,
            "ratio_apply_stage": stage / psql_wall,
            "ratio_cpu": cpu / psql_cpu,
            # Each round runs both sides back to back, so a round's own ratio shares its load.
            "ratio_cli_median_of_rounds": med([f.seconds / r.seconds for f, r in zip(fab, raw)]),
            "statements": recorded.statements,
            "replayed_statements": recorded.writes,
            "copies": recorded.copies,
            "faborite_only_queries": len(recorded.reads),
            "recording": {"cli_seconds": recorded.cli_seconds, "apply_stage_seconds": recorded.apply_stage_seconds,
                          "replayed_statements_seconds": recorded.replayed_seconds,
                          "copy_seconds": recorded.copy_seconds,
                          "faborite_only_queries_seconds": recorded.read_seconds},
        }
    figures["all_runs"] = {name: {"wall": [t.seconds for t in timed], "apply_stage": [t.apply_stage for t in timed],
                                  "client_cpu": [t.client_cpu for t in timed],
                                  "server_cpu": [t.server_cpu for t in timed]}
                           for name, timed in sides.items()}
    figures |= {"published_rows": fab_rows, "rows_match": rows_match,
                "sql_files": {"first": str(first_sql.script), "edit": str(edit_sql.script)}}
    return figures


def format_report(figures: dict[str, Any]) -> str:
    """A small plain-text table of ``figures``."""
    f = figures
    lines = [f"PostgreSQL {f['server_version']}: {f['project']['nodes']} nodes "
             f"({f['project']['tables']} tables, {f['project']['views']} views, seeds {f['project']['seeds']}), "
             f"{f['rows']:,} event rows; median of {f['runs']} rounds, faborite --threads 1",
             "",
             f"{'':<16}{'psql s':>8}{'faborite s':>12}{'ratio':>7}{'apply stage s':>15}{'ratio':>7}"
             f"{'psql CPU s':>12}{'faborite CPU s':>16}{'ratio':>7}{'peak MiB':>10}"]
    for key, label in (("first", "first apply"), ("edit", "after one edit")):
        g = f[key]
        lines.append(f"{label:<16}{g['psql_seconds']:>8.2f}{g['faborite_cli_seconds']:>12.2f}{g['ratio_cli']:>7.2f}"
                     f"{g['faborite_apply_stage_seconds']:>15.2f}{g['ratio_apply_stage']:>7.2f}"
                     f"{g['psql_cpu_seconds']:>12.2f}{g['faborite_cpu_seconds']:>16.2f}{g['ratio_cpu']:>7.2f}"
                     f"{g['faborite_peak_mib']:>10.0f}")
    lines += ["", "where the recording apply's time went (one run):"]
    for key, label in (("first", "first apply"), ("edit", "after one edit")):
        g, r = f[key], f[key]["recording"]
        lines.append(f"  {label}: command {r['cli_seconds']:.2f}s, apply stage {r['apply_stage_seconds']:.2f}s; "
                     f"{g['replayed_statements']} replayed statements {r['replayed_statements_seconds']:.2f}s "
                     f"(COPY {r['copy_seconds']:.2f}s), {g['faborite_only_queries']} faborite-only queries "
                     f"{r['faborite_only_queries_seconds']:.2f}s")
    lines += ["", f"CLI ratio, median of the rounds' own ratios: first {f['first']['ratio_cli_median_of_rounds']:.2f}, "
                  f"after one edit {f['edit']['ratio_cli_median_of_rounds']:.2f}",
              f"published row counts equal on both sides: {f['rows_match']}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.postgres_apply", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="rows of the events table (default 2,000,000)")
    parser.add_argument("--runs", type=int, default=3, help="rounds; medians count (default 3)")
    parser.add_argument("--workdir", type=Path, default=WORK, help=f"where the project and SQL go (default {WORK})")
    parser.add_argument("--host", help="a running server (default: start a throw-away one)")
    parser.add_argument("--port", type=int)
    parser.add_argument("--user", default="postgres")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    args = parser.parse_args(argv)
    figures = bench_postgres_apply(args.rows, args.workdir, runs=args.runs, host=args.host, port=args.port,
                                   user=args.user)
    publish_figures(figures, format_report(figures), args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
