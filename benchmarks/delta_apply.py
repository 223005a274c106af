"""Benchmark 7: apply on a Delta lakehouse folder, faborite vs DuckDB + deltalake directly.

The project is :mod:`benchmarks.lake_project`'s (33 nodes, ``rows`` events) in
``dialect: duckdb`` on a ``type: delta`` target (a local folder).

- faborite: ``faborite apply --auto-approve`` (the project's default
  ``threads: 4``, or ``--threads N``) on a fresh ``.faborite/`` and an empty
  lakehouse folder: wall time of the whole
  command, its CPU seconds, peak RSS, and the apply stage alone ("Apply
  complete! ... in X.XXs").
- the peer (``PEER``, a child Python process): one in-memory DuckDB
  connection reads the three seed CSVs (``read_csv``), then runs every
  model's SQL in dependency order (``ref()`` replaced by the bare name;
  staging models as DuckDB views, the rest ``CREATE TABLE ... AS``), and
  after each one ``deltalake.write_deltalake`` writes its rows as one Delta
  table ``<lake>/main/<name>``: the seeds, the views' rows and every table.

What differs in the layout: the peer writes each relation's rows once, at its
published name. faborite writes each seed and table model once under a
versioned name (``<lake>/faborite__main/<name>__<hash>``) and publishes it to
``<lake>/main/<name>`` with hard links to those Parquet files and one Delta
commit (no data written again); a staging view is a ``_faborite_view.sql``
file in ``faborite__main`` and its rows are written at publish (as the
peer does). faborite also counts every new table's rows, reads the Delta logs
at plan and publish, and writes its state.

``runs`` rounds, each on fresh folders, the order of the two sides alternating;
figures are medians; the ratio is faborite / peer. Afterwards every published
table's row count is compared between the two lakehouses.

    python -m benchmarks.delta_apply --rows 1000000 --runs 3
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

from benchmarks.lake_project import Timing, alternate, load_average, models_in_order, ratios, write_project
from benchmarks.measure import compile_bytecode, publish_figures, run

FABORITE = [sys.executable, "-m", "faborite", "--no-color"]
WORK = Path(__file__).parent / ".work" / "delta-apply"
_APPLY_DONE = re.compile(r"Apply complete!.*? in ([0-9.]+)s")
TARGET = "    type: delta\n    path: lakehouse\n"

PEER = r"""
import json, sys
import duckdb
from deltalake import write_deltalake

spec, lake = json.loads(open(sys.argv[1]).read()), sys.argv[2]
con = duckdb.connect()
def write(name):
    write_deltalake(f"{lake}/main/{name}", con.table(f'"{name}"').to_arrow_reader(100_000), mode="error")
for name, path in spec["seeds"]:
    con.execute(f"create table \"{name}\" as select * from read_csv('{path}')")
    write(name)
for name, kind, sql in spec["models"]:
    con.execute(f"create {'view' if kind == 'view' else 'table'} \"{name}\" as {sql}")
    write(name)
"""


def published_rows(lake: Path) -> dict[str, int]:
    """``{name: rows}`` of every Delta table in ``<lake>/main``."""
    from deltalake import DeltaTable

    return {p.name: DeltaTable(str(p)).to_pyarrow_dataset().count_rows()
            for p in sorted((lake / "main").iterdir()) if (p / "_delta_log").is_dir()}


def _child(command: list[str], cwd: Path) -> Timing:
    """One child process: wall, CPU (getrusage of the reaped child), and faborite's apply stage if printed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    measured = run(command, cwd, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if measured.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} failed:\n{measured.output[-3000:]}")
    stage = _APPLY_DONE.search(measured.output)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(measured.seconds, cpu, float(stage.group(1)) if stage else float("nan"))


def bench_delta_apply(rows: int, workdir: Path, *, runs: int = 3, threads: int | None = None) -> dict[str, Any]:
    """Every figure (see the module docstring): medians of ``runs`` rounds; ``threads``: faborite's
    ``--threads`` (None: the project's default)."""
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    project, peer_lake = workdir / "project", workdir / "peer-lake"
    shape = write_project(project, rows, "duckdb", TARGET)
    spec = workdir / "peer.json"
    spec.write_text(json.dumps({"seeds": [(n, str(project / "seeds" / f"{n}.csv")) for n in shape["seeds"]],
                                "models": models_in_order(project)}), encoding="utf-8")

    def faborite(_round: int) -> Timing:
        shutil.rmtree(project / ".faborite", ignore_errors=True)
        shutil.rmtree(project / "lakehouse", ignore_errors=True)
        flags = ["--threads", str(threads)] if threads else []
        return _child([*FABORITE, "apply", "--auto-approve", "--allow-destructive", *flags], project)

    def peer(_round: int) -> Timing:
        shutil.rmtree(peer_lake, ignore_errors=True)
        return _child([sys.executable, "-c", PEER, str(spec), str(peer_lake)], workdir)

    compile_bytecode()
    load_before = load_average()
    sides = alternate(runs, {"faborite": faborite, "peer": peer})
    fab_rows, peer_rows = published_rows(project / "lakehouse"), published_rows(peer_lake)
    med = statistics.median
    stage = med(t.extra for t in sides["faborite"])
    return {"rows": rows, "runs": runs, "threads": threads, "project": shape,
            "load_average": [load_before, load_average()],
            "cli": ratios(sides["faborite"], sides["peer"]),
            "faborite_apply_stage_seconds": stage,
            "ratio_apply_stage": stage / med(t.seconds for t in sides["peer"]),
            "published_rows": fab_rows, "rows_match": fab_rows == peer_rows and len(fab_rows) == shape["nodes"]}


def format_report(f: dict[str, Any]) -> str:
    c = f["cli"]
    return "\n".join([
        f"Delta lakehouse apply: {f['project']['nodes']} nodes, {f['rows']:,} event rows; median of {f['runs']} "
        f"rounds; faborite threads: {f.get('threads') or 'default'}; load average "
        f"{f['load_average'][0]:.2f} -> {f['load_average'][1]:.2f}",
        f"  peer (DuckDB + write_deltalake, one process)  {c['peer_seconds']:7.2f}s  CPU {c['peer_cpu_seconds']:6.2f}s",
        f"  faborite apply (whole command)                {c['faborite_seconds']:7.2f}s  CPU "
        f"{c['faborite_cpu_seconds']:6.2f}s  -> {c['ratio']:.2f}x wall, {c['ratio_cpu']:.2f}x CPU "
        f"(median of rounds' ratios {c['ratio_median_of_rounds']:.2f}x; target <= 1.15x)",
        f"  faborite apply stage                          {f['faborite_apply_stage_seconds']:7.2f}s  -> "
        f"{f['ratio_apply_stage']:.2f}x",
        f"  published row counts equal on both sides: {f['rows_match']}"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.delta_apply", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the events table (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=3, help="rounds; medians count (default 3)")
    parser.add_argument("--workdir", type=Path, default=WORK)
    parser.add_argument("--threads", type=int, help="faborite's --threads (default: the project's, 4)")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    args = parser.parse_args(argv)
    figures = bench_delta_apply(args.rows, args.workdir, runs=args.runs, threads=args.threads)
    publish_figures(figures, format_report(figures), args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
