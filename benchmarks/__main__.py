"""``python -m benchmarks``: run every benchmark and print faborite, the peer, and the ratio.

Options: ``--quick`` (N=50, for CI smoke runs), ``--sizes 500,2000,10000``,
``--only compile,apply,sync,startup,postgres,spark,delta,state,incremental,dbt``, ``--no-peers`` (skip dbt).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import datetime, timezone

from benchmarks.measure import Measurement
from benchmarks.peers import WORK


def _row(name: str, m: Measurement | None, peer: Measurement | None = None) -> str:
    if m is None:
        return f"  {name:40} {'n/a':>9}"
    ratio = f"{m.seconds / peer.seconds:6.2f}x" if peer else ""
    return f"  {name:40} {m.seconds:8.2f}s {m.peak_mib:8.0f} MiB  {ratio}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for CI smoke runs")
    parser.add_argument("--sizes", default="500,2000,10000")
    parser.add_argument("--only", default="compile,apply,sync,startup,postgres,spark,delta,state,incremental,dbt")
    parser.add_argument("--no-peers", action="store_true", help="skip dbt-core (no venv install)")
    parser.add_argument("--peer-max", type=int, default=2000,
                        help="run dbt only up to this many models (its parse of 10,000 takes minutes)")
    parser.add_argument("--scale", type=float, default=1.0, help="TPC-H scale factor for the apply benchmark")
    parser.add_argument("--pg-rows", type=int, default=2_000_000,
                        help="rows of the events table in the PostgreSQL apply benchmark")
    parser.add_argument("--spark-rows", type=int, default=100_000,
                        help="rows of the events table in the Spark apply benchmark")
    parser.add_argument("--delta-rows", type=int, default=1_000_000,
                        help="rows of the events table in the Delta lakehouse apply benchmark")
    parser.add_argument("--incremental-rows", type=int, default=10_000_000,
                        help="rows of the source an incremental model appends 1% to")
    parser.add_argument("--dbt-models", type=int, default=1200,
                        help="models of the generated dbt project read in place (faborite validate vs dbt parse)")
    parser.add_argument("--dbt-rounds", type=int, default=3, help="interleaved rounds of the dbt-project benchmark")
    parser.add_argument("--json", dest="json_out", help="also write every figure to this JSON file")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    sizes = [50] if args.quick else [int(s) for s in args.sizes.split(",")]
    WORK.mkdir(parents=True, exist_ok=True)
    figures: dict = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     "machine": f"{platform.machine()} {platform.processor() or ''} cpus={__import__('os').cpu_count()}",
                     "python": platform.python_version()}
    print(f"faborite benchmarks, {figures['date']}, {figures['machine']}")

    if "startup" in only:
        from benchmarks.startup import bench_startup, imports_for_help

        print("\nCLI start-up (best of 5)")
        results = bench_startup()
        base = results["python -c pass"]
        for name, m in results.items():
            print(_row(name, m))
        heavy = imports_for_help()
        print(f"  heavy imports for --help: {', '.join(sorted(heavy)) or 'none'} (python itself: {base.seconds:.2f}s)")
        figures["startup"] = {k: vars(v) | {"output": ""} for k, v in results.items()}

    if "compile" in only:
        from benchmarks.compile_plan import bench_size

        for n in sizes:
            started = time.perf_counter()
            print(f"\nCompile and plan, {n} models")
            results = bench_size(n, with_dbt=not args.no_peers and not args.quick and n <= args.peer_max)
            parse, compile_ = results.get("dbt parse (cold)"), results.get("dbt compile (cold)")
            cold = results["faborite cold compile"]
            print(_row("faborite cold compile", cold))
            if parse:
                print(_row("dbt parse (cold)", parse))
                print(_row("dbt compile (cold)", compile_))
                print(f"  {'faborite cold / dbt parse':40} {cold.seconds / parse.seconds:8.2f}x  (target <= 0.33)")
                print(f"  {'faborite cold / dbt compile':40} {cold.seconds / compile_.seconds:8.2f}x  (target <= 0.10)")
            for name in ("faborite no-change plan (warm)", "faborite plan after one edit",
                         "faborite rollback (after a DAG-wide rebuild)"):
                print(_row(name, results[name]))
            print(f"  ({time.perf_counter() - started:.0f}s for this size)")
            figures[f"compile_{n}"] = {k: (vars(v) | {"output": ""}) if v else None for k, v in results.items()}

    if "apply" in only:
        try:
            from benchmarks.apply_overhead import bench_apply
        except ImportError:
            print("\nApply overhead: benchmarks/apply_overhead.py is missing")
        else:
            scale = 0.01 if args.quick else args.scale
            print(f"\nApply overhead, TPC-H scale {scale}")
            figures["apply"] = bench_apply(scale, WORK / "tpch")
            for key, value in figures["apply"].items():
                print(f"  {key:40} {value}")

    if "sync" in only:
        try:
            from benchmarks.sync_throughput import bench_sync
        except ImportError:
            print("\nSync throughput: not built yet (needs the lakehouse sync issue)")
        else:
            rows = 100_000 if args.quick else 10_000_000
            print(f"\nSync throughput, {rows:,} rows")
            figures["sync"] = bench_sync(rows, WORK / "sync")
            for key, value in figures["sync"].items():
                print(f"  {key:40} {value}")

    if "postgres" in only:
        from benchmarks.postgres_apply import WORK as PG_WORK, bench_postgres_apply, format_report

        rows = 20_000 if args.quick else args.pg_rows
        print(f"\nApply overhead on PostgreSQL vs psql, {rows:,} event rows")
        figures["postgres"] = bench_postgres_apply(rows, PG_WORK, runs=1 if args.quick else 5)
        print(format_report(figures["postgres"]))

    if "spark" in only:
        from benchmarks.spark_apply import WORK as SPARK_WORK, bench_spark_apply, format_report as spark_report

        rows = 2_000 if args.quick else args.spark_rows
        print(f"\nApply on Spark local[2] vs spark.sql in one session, {rows:,} event rows")
        figures["spark"] = bench_spark_apply(rows, SPARK_WORK, runs=0 if args.quick else 3,
                                             cli_runs=0 if args.quick else 1)
        print(spark_report(figures["spark"]))

    if "delta" in only:
        from benchmarks.delta_apply import WORK as DELTA_WORK, bench_delta_apply, format_report as delta_report

        rows = 20_000 if args.quick else args.delta_rows
        print(f"\nApply on a Delta lakehouse vs DuckDB + deltalake, {rows:,} event rows")
        figures["delta"] = bench_delta_apply(rows, DELTA_WORK, runs=1 if args.quick else 3)
        print(delta_report(figures["delta"]))

    if "state" in only:
        from benchmarks.state_backends import bench_state_backends, format_report as state_report

        print("\nState backends: read + lock + write + unlock per backend; plan with state in PostgreSQL vs local")
        figures["state"] = bench_state_backends(sizes=[10] if args.quick else [10, 2000], rounds=3 if args.quick else 30,
                                                plan_models=50 if args.quick else 2000, runs=1 if args.quick else 5)
        print(state_report(figures["state"]))
    if "incremental" in only:
        from benchmarks.incremental import WORK as INCR_WORK, bench_incremental, format_report as incr_report

        rows = 100_000 if args.quick else args.incremental_rows
        print(f"\nIncremental model after a 1% append vs its full rebuild, {rows:,} rows")
        figures["incremental"] = bench_incremental(rows, rounds=1 if args.quick else 3, work=INCR_WORK)
        print(incr_report(figures["incremental"]))

    if "dbt" in only:
        from benchmarks.dbt_parse import bench_dbt_parse, format_report as dbt_report

        models = 40 if args.quick else args.dbt_models
        print(f"\nA generated {models:,}-model dbt project read in place: faborite validate vs dbt parse")
        figures["dbt"] = bench_dbt_parse(models, 1 if args.quick else args.dbt_rounds,
                                         with_dbt=not args.no_peers and not args.quick)
        print(dbt_report(figures["dbt"]))

    if args.json_out:
        with open(args.json_out, "w") as handle:
            json.dump(figures, handle, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
