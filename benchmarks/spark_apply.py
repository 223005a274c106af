"""Benchmark 6: apply on Spark ``local[2]``, faborite vs the same SQL through ``spark.sql`` in one session.

The project is :mod:`benchmarks.lake_project`'s (33 nodes, ``rows`` events) in
``dialect: spark`` on a ``type: spark`` target (``master: local[2]``, a
warehouse folder with its Derby metastore).

The SQL the peer runs is the SQL faborite ran, recorded, not rewritten: one
recording apply (not timed) runs with every statement ``SparkConnection``
sends to ``session.sql`` logged, and each seed's Arrow table (after faborite's
own type conversion) kept. The peer replays, in faborite's order, every
statement that changes the catalog (``CREATE SCHEMA``, each ``CREATE TABLE ...
AS``, ``CREATE VIEW``, publish's ``CREATE OR REPLACE VIEW``/drops) with
``spark.sql(stmt)``, and loads each seed as faborite does (``createDataFrame``
of the Arrow table, a temporary view, the same CTAS). It leaves out what only
faborite needs: queries (``SELECT``/``SHOW``/``DESCRIBE``: the catalog look,
row counts); they are counted.

Two comparisons, each ``runs`` rounds with fresh state, the order alternating,
medians:

- **in-process** (the ratio the target is judged on): one Spark session in
  this process; faborite is ``Workspace.open(project).plan()`` +
  ``.apply(plan, threads=1)`` (compile, plan with its look at the target,
  build, audit, publish, state), the peer the replay; wall time and the CPU
  seconds of this process and its JVM. Between sides every schema and
  relation is dropped and ``.faborite/`` removed.
- **CLI** (``cli_runs`` rounds, default 1: each costs two JVM starts):
  ``faborite apply --auto-approve --threads 1`` in a child process against a
  child process that starts a session with the same settings and replays
  the statements. Wall time only (the JVM outlives the Python process it
  belongs to, so the CPU of a finished child tree is not reliably counted).

Afterwards every published relation's row count is compared between the sides.

    python -m benchmarks.spark_apply --rows 100000 --runs 3 --cli-runs 1
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.lake_project import (
    Timing, alternate, load_average, models_in_order, ratios, timed, write_project,
)
from benchmarks.measure import compile_bytecode, publish_figures, run

FABORITE = [sys.executable, "-m", "faborite", "--no-color"]
WORK = Path(__file__).parent / ".work" / "spark-apply"
#: Statements that only read; everything else is replayed.
_READS = re.compile(r"^\s*(SELECT|SHOW|WITH|DESCRIBE|DESC|EXPLAIN)\b", re.IGNORECASE)
#: SparkConnection methods whose time counts as faborite-only reads (their statements are queries).
_READ_METHODS = ("fetch_arrow", "fetch_scalar", "describe_relations", "columns")
_TEMP_VIEW = re.compile(r"faborite_load_[0-9a-f]{32}")


def target_yaml(warehouse: Path, conf: dict[str, str] | None = None) -> str:
    return (f"    type: spark\n    master: local[2]\n    warehouse: {warehouse}\n"
            f"    conf: {json.dumps(conf or {})}\n")


# -- recording -------------------------------------------------------------------------


def record(apply: Any, seconds: dict[str, float]) -> tuple[list[tuple[str, Any]], list[str]]:
    """Run ``apply()`` with SparkConnection's statements logged: the replay ops
    (``("sql", stmt)`` and ``("load", (arrow table, temporary view))``) and the reads left out.
    ``seconds`` gets where the time went: ``writes`` (the statements replayed; a Spark DDL
    statement runs when sent), ``reads`` (faborite-only queries, their rows fetched), ``total``."""
    import pyarrow as pa

    from faborite.providers import spark as spark_provider
    from faborite.providers.spark_arrow import for_spark

    cls = spark_provider.SparkConnection
    original_sql, original_load = cls._sql, cls.create_table_from_arrow
    original_reads = {name: getattr(cls, name) for name in _READ_METHODS}
    log: list[tuple[str, Any]] = []

    def logged_sql(self, sql):
        log.append(("sql", sql))
        started = time.perf_counter()
        try:
            return original_sql(self, sql)
        finally:
            if not _READS.match(sql):  # a query's time is counted by the read method running it
                seconds["writes"] += time.perf_counter() - started

    def timed_read(name):
        def read(self, *args):
            started = time.perf_counter()
            try:
                return original_reads[name](self, *args)
            finally:
                seconds["reads"] += time.perf_counter() - started
        return read

    def logged_load(self, relation, data):
        table = data if isinstance(data, pa.Table) else data.read_all()
        log.append(("load", for_spark(table)))
        return original_load(self, relation, table)

    cls._sql, cls.create_table_from_arrow = logged_sql, logged_load
    for name in _READ_METHODS:
        setattr(cls, name, timed_read(name))
    started = time.perf_counter()
    try:
        apply()
    finally:
        cls._sql, cls.create_table_from_arrow = original_sql, original_load
        for name, method in original_reads.items():
            setattr(cls, name, method)
    seconds["total"] = time.perf_counter() - started
    ops: list[tuple[str, Any]] = []
    reads: list[str] = []
    pending = None
    for kind, value in log:
        if kind == "load":
            pending = value
        elif _READS.match(value):
            reads.append(value)
        else:
            temp = _TEMP_VIEW.search(value)
            if temp and pending is not None:
                ops.append(("load", (pending, temp.group(0))))
                pending = None
            ops.append(("sql", value.strip().rstrip(";")))
    return ops, reads


def replay(session: Any, ops: list[tuple[str, Any]]) -> None:
    """The peer: every recorded write through ``session.sql``, seeds loaded as faborite loads them."""
    for kind, value in ops:
        if kind == "load":
            table, view = value
            session.createDataFrame(table).createOrReplaceTempView(view)
        else:
            session.sql(value)
            temp = _TEMP_VIEW.search(value)
            if temp:
                session.catalog.dropTempView(temp.group(0))


def _schemas(session: Any) -> set[str]:
    return {row[0] for row in session.sql("SHOW SCHEMAS").collect()}


def reset(session: Any, project: Path, names: set[str], keep: set[str]) -> None:
    """Drop what an apply of the project made: every schema not in ``keep`` (those there before the
    benchmark, e.g. a test session's), the relations ``names`` in ``default``; and faborite's state."""
    for schema in _schemas(session) - keep:
        session.sql(f"DROP SCHEMA `{schema}` CASCADE")
    for row in session.sql("SHOW TABLES IN default").collect():
        if not row.isTemporary and row.tableName in names:
            kind = session.sql(f"DESCRIBE TABLE EXTENDED default.`{row.tableName}`").where("col_name = 'Type'").collect()
            what = "VIEW" if kind and kind[0].data_type == "VIEW" else "TABLE"
            session.sql(f"DROP {what} IF EXISTS default.`{row.tableName}`")
    shutil.rmtree(project / ".faborite", ignore_errors=True)


def published_rows(session: Any, names: set[str]) -> dict[str, int]:
    """``{name: rows}`` of the relations ``names`` found in ``default``, counted by one query
    (a ``UNION ALL`` of counts: one Spark job per relation cost ~0.5 s each on a loaded machine)."""
    found = sorted(row.tableName for row in session.sql("SHOW TABLES IN default").collect()
                   if not row.isTemporary and row.tableName in names)
    if not found:
        return {}
    counts = " UNION ALL ".join(f"SELECT '{name}' AS name, COUNT(*) AS n FROM default.`{name}`" for name in found)
    return {row.name: row.n for row in session.sql(counts).collect()}


# -- in-process -------------------------------------------------------------------------


def bench_in_process(rows: int, workdir: Path, *, runs: int = 3, conf: dict[str, str] | None = None,
                     marts: int | None = None) -> dict[str, Any]:
    """faborite's plan + apply vs the replay, in one Spark session of this process (a running one,
    e.g. a test fixture's, is used with its warehouse). ``runs=0``: one pass for smoke tests, the
    (timed) recording apply standing as faborite's round, then one replay."""
    from pyspark.sql import SparkSession

    from faborite.api import Workspace
    from faborite.providers.spark import SparkProvider, SparkTargetConfig

    workdir = Path(workdir).resolve()
    project = workdir / "project"
    running = SparkSession.getActiveSession()
    warehouse = Path(running.conf.get("spark.sql.warehouse.dir").removeprefix("file:")) if running else \
        workdir / "warehouse"
    shape = write_project(project, rows, "spark", target_yaml(warehouse, conf), marts)
    started = time.perf_counter()
    owner = None
    if running is None:
        config = SparkTargetConfig.model_validate({"type": "spark", "master": "local[2]",
                                                   "warehouse": str(warehouse), "conf": conf or {}})
        owner = SparkProvider().connect(config, project_root=project)
    session = SparkSession.getActiveSession()
    startup = time.perf_counter() - started
    names = {name for name, _, _ in models_in_order(project)} | set(shape["seeds"])
    keep = _schemas(session)
    try:
        def faborite_apply() -> None:
            ws = Workspace.open(project)
            result = ws.apply(ws.plan(), threads=1, allow_destructive=True)
            if result.failed or len(result.built) != shape["nodes"]:
                raise RuntimeError(f"faborite apply built {len(result.built)} nodes, failed: {result.failed}")

        reset(session, project, names, keep)
        where: dict[str, float] = {"writes": 0.0, "reads": 0.0}
        recorded, (ops, reads) = timed(lambda: record(faborite_apply, where))
        counts: dict[str, dict[str, int]] = {}
        if runs == 0:  # the smoke test's one-pass mode: the recording apply is faborite's only round
            counts["faborite"] = published_rows(session, names)

        def side(name: str, work: Any) -> Any:
            def one(round_: int) -> Timing:
                reset(session, project, names, keep)
                timing, _ = timed(work)
                if round_ == runs - 1:  # the last round (-1: the only one)
                    counts[name] = published_rows(session, names)
                return timing
            return one

        load_before = load_average()
        if runs == 0:
            sides = {"faborite": [recorded], "peer": [side("peer", lambda: replay(session, ops))(-1)]}
        else:
            sides = alternate(runs, {"faborite": side("faborite", faborite_apply),
                                     "peer": side("peer", lambda: replay(session, ops))})
        reset(session, project, names, keep)
    finally:
        if owner is not None:
            owner.close()
    return {"rows": rows, "runs": runs, "project": shape, "spark_version": session.version,
            "session_start_seconds": startup, "load_average": [load_before, load_average()],
            "recording_seconds": where, "ops": ops, "faborite_only_queries": len(reads),
            "replayed_statements": sum(1 for kind, _ in ops if kind == "sql"),
            "loads": sum(1 for kind, _ in ops if kind == "load"),
            "in_process": ratios(sides["faborite"], sides["peer"]),
            "published_rows": counts.get("faborite", {}),
            "rows_match": counts.get("faborite") == counts.get("peer") and
            len(counts.get("faborite", {})) == shape["nodes"]}


# -- CLI ------------------------------------------------------------------------------------

PEER = r"""
import json, sys
import pyarrow.parquet as pq
from pyspark.sql import SparkSession
spec = json.loads(open(sys.argv[1]).read())
builder = SparkSession.builder.master("local[2]")
for key, value in spec["settings"].items():
    builder = builder.config(key, value)
spark = builder.getOrCreate()
spark.sparkContext.setLogLevel("ERROR")
for kind, value in spec["ops"]:
    if kind == "load":
        spark.createDataFrame(pq.read_table(value[0])).createOrReplaceTempView(value[1])
    else:
        spark.sql(value)
spark.stop()
"""


def bench_cli(rows: int, workdir: Path, ops: list[tuple[str, Any]], *, runs: int = 1) -> dict[str, Any]:
    """``faborite apply`` in a child process vs a child process replaying ``ops`` in its own session."""
    import pyarrow.parquet as pq

    from faborite.providers.spark import SparkTargetConfig

    workdir = Path(workdir).resolve()
    project, fab_warehouse, peer_warehouse = workdir / "project-cli", workdir / "cli-warehouse", \
        workdir / "peer-warehouse"
    write_project(project, rows, "spark", target_yaml(fab_warehouse))
    spec_ops = []
    for i, (kind, value) in enumerate(ops):
        if kind == "load":
            path = workdir / f"seed-{i}.parquet"
            pq.write_table(value[0], path)
            value = (str(path), value[1])
        spec_ops.append((kind, value))
    settings = SparkTargetConfig.model_validate(
        {"type": "spark", "master": "local[2]", "warehouse": str(peer_warehouse)}).settings(workdir)
    spec = workdir / "peer.json"
    spec.write_text(json.dumps({"settings": settings, "ops": spec_ops}), encoding="utf-8")

    def faborite(_round: int) -> Timing:
        shutil.rmtree(project / ".faborite", ignore_errors=True)
        shutil.rmtree(fab_warehouse, ignore_errors=True)
        measured = run([*FABORITE, "apply", "--auto-approve", "--allow-destructive", "--threads", "1"], project)
        return Timing(measured.seconds, float("nan"))

    def peer(_round: int) -> Timing:
        shutil.rmtree(peer_warehouse, ignore_errors=True)
        return Timing(run([sys.executable, "-c", PEER, str(spec)], workdir).seconds, float("nan"))

    compile_bytecode()
    load_before = load_average()
    sides = alternate(runs, {"faborite": faborite, "peer": peer})
    return {"runs": runs, "load_average": [load_before, load_average()], **ratios(sides["faborite"], sides["peer"])}


def bench_spark_apply(rows: int, workdir: Path, *, runs: int = 3, cli_runs: int = 1,
                      conf: dict[str, str] | None = None, marts: int | None = None) -> dict[str, Any]:
    """Every figure (see the module docstring); ``marts`` trims the project (smoke tests, no CLI)."""
    figures = bench_in_process(rows, workdir, runs=runs, conf=conf, marts=marts)
    ops = figures.pop("ops")
    if cli_runs:
        figures["cli"] = bench_cli(rows, workdir, ops, runs=cli_runs)
    return figures


def format_report(f: dict[str, Any]) -> str:
    g = f["in_process"]
    r = f["recording_seconds"]
    rounds = f"median of {f['runs']} rounds" if f["runs"] else "one pass (the recording apply and one replay)"
    lines = [f"Spark {f['spark_version']} local[2] apply: {f['project']['nodes']} nodes, {f['rows']:,} event rows; "
             f"{f['replayed_statements']} replayed statements + {f['loads']} seed loads, "
             f"{f['faborite_only_queries']} faborite-only queries; session start {f['session_start_seconds']:.1f}s",
             f"the recording apply: {r['total']:.2f}s, of which replayed statements {r['writes']:.2f}s, "
             f"faborite-only queries {r['reads']:.2f}s, the rest (compile, plan, Python) "
             f"{r['total'] - r['writes'] - r['reads']:.2f}s",
             f"in-process, {rounds}; load average {f['load_average'][0]:.2f} -> "
             f"{f['load_average'][1]:.2f}",
             f"  peer (spark.sql of each statement)      {g['peer_seconds']:7.2f}s  CPU {g['peer_cpu_seconds']:6.2f}s",
             f"  faborite plan + apply (Workspace)       {g['faborite_seconds']:7.2f}s  CPU "
             f"{g['faborite_cpu_seconds']:6.2f}s  -> {g['ratio']:.2f}x wall, {g['ratio_cpu']:.2f}x CPU "
             f"(median of rounds' ratios {g['ratio_median_of_rounds']:.2f}x; target <= 1.2x)"]
    if "cli" in f:
        c = f["cli"]
        lines += [f"CLI, median of {c['runs']} rounds (each starts its own JVM); load average "
                  f"{c['load_average'][0]:.2f} -> {c['load_average'][1]:.2f}",
                  f"  peer (python + session + statements)    {c['peer_seconds']:7.2f}s",
                  f"  faborite apply (whole command)          {c['faborite_seconds']:7.2f}s  -> {c['ratio']:.2f}x"]
    lines.append(f"published row counts equal on both sides: {f['rows_match']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.spark_apply", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the events table (default 100,000)")
    parser.add_argument("--runs", type=int, default=3, help="in-process rounds; medians count (default 3)")
    parser.add_argument("--cli-runs", type=int, default=1, help="CLI rounds, 0 to skip (default 1)")
    parser.add_argument("--workdir", type=Path, default=WORK)
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    args = parser.parse_args(argv)
    figures = bench_spark_apply(args.rows, args.workdir, runs=args.runs, cli_runs=args.cli_runs)
    publish_figures(figures, format_report(figures), args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
