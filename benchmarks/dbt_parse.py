"""Benchmark 10: a generated 1,000+ model dbt project read in place, faborite vs ``dbt parse``, same run.

The project (:mod:`benchmarks.dbt_project`, packages vendored) is read unchanged
by both tools, in the same folder:

- **dbt parse, cold**: ``target/`` removed first, ``--no-partial-parse``;
- **dbt parse, warm**: with the ``partial_parse.msgpack`` a previous ``dbt parse`` wrote;
- **faborite validate, cold**: ``.faborite/cache`` removed first;
- **faborite validate, warm**: the same command again, nothing changed.

Each round runs the four commands one after the other (interleaved, so load from
other work on a shared machine falls on all of them alike); the report gives the
min and median of the rounds, wall and CPU seconds (CPU includes the compile's
worker processes), and the ratios against the targets: cold faborite <= 1/4 of
cold dbt parse, warm faborite <= 1 s.

    python -m benchmarks.dbt_parse --models 1200 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
from pathlib import Path

from benchmarks.dbt_project import write_dbt_project
from benchmarks.measure import Measurement, compile_bytecode, publish_figures, run
from benchmarks.peers import WORK as PEERS_WORK, dbt_executable

WORK = PEERS_WORK / "dbt-parse"
FABORITE = [sys.executable, "-m", "faborite", "validate"]
COLD_RATIO_TARGET = 0.25
WARM_SECONDS_TARGET = 1.0
_COMMANDS = ("dbt parse (cold)", "dbt parse (warm)", "faborite validate (cold)", "faborite validate (warm)")


def _summary(runs: list[Measurement]) -> dict[str, float]:
    walls, cpus = [m.seconds for m in runs], [m.cpu_seconds for m in runs]
    return {"wall_min": min(walls), "wall_median": statistics.median(walls),
            "cpu_min": min(cpus), "cpu_median": statistics.median(cpus),
            "peak_mib": max(m.peak_mib for m in runs), "runs": len(runs)}


def bench_dbt_parse(n_models: int = 1200, rounds: int = 3, work: Path = WORK, *,
                    with_dbt: bool = True) -> dict:
    """Every figure of the benchmark (see the module docstring) for an ``n_models`` project."""
    shutil.rmtree(work, ignore_errors=True)
    project = write_dbt_project(work / f"dbt-{n_models}", n_models)
    compile_bytecode()
    dbt = dbt_executable() if with_dbt else None
    dbt_env = {"DBT_PROFILES_DIR": str(project), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    runs: dict[str, list[Measurement]] = {name: [] for name in _COMMANDS}
    load = [os.getloadavg()[0]]
    for _ in range(rounds):
        if dbt is not None:
            shutil.rmtree(project / "target", ignore_errors=True)
            runs["dbt parse (cold)"].append(run([str(dbt), "parse", "--no-partial-parse"], project, dbt_env))
        shutil.rmtree(project / ".faborite" / "cache", ignore_errors=True)
        runs["faborite validate (cold)"].append(_checked(run(FABORITE, project)))
        if dbt is not None:
            run([str(dbt), "parse"], project, dbt_env)  # writes target/partial_parse.msgpack
            runs["dbt parse (warm)"].append(run([str(dbt), "parse"], project, dbt_env))
        runs["faborite validate (warm)"].append(_checked(run(FABORITE, project)))
        load.append(os.getloadavg()[0])
    figures: dict = {"models": n_models, "rounds": rounds, "load_average_1m": [round(x, 2) for x in load],
                     "validate_output": runs["faborite validate (cold)"][-1].output.strip().splitlines()[-1:]}
    for name, measured in runs.items():
        if measured:
            figures[name] = _summary(measured)
    cold, warm = figures["faborite validate (cold)"], figures["faborite validate (warm)"]
    figures["warm met"] = warm["wall_median"] <= WARM_SECONDS_TARGET
    if "dbt parse (cold)" in figures:
        parse = figures["dbt parse (cold)"]
        figures["cold ratio (median wall)"] = cold["wall_median"] / parse["wall_median"]
        figures["cold ratio (min wall)"] = cold["wall_min"] / parse["wall_min"]
        figures["cold ratio (median cpu)"] = cold["cpu_median"] / parse["cpu_median"]
        figures["cold met"] = figures["cold ratio (median wall)"] <= COLD_RATIO_TARGET
    return figures


def _checked(measured: Measurement) -> Measurement:
    """A faborite run that did not validate the project is a failure of the benchmark, not a figure."""
    if measured.returncode != 0:
        raise RuntimeError(f"faborite validate failed on the generated dbt project:\n{measured.output[-3000:]}")
    return measured


def format_report(figures: dict) -> str:
    """The figures as the lines ``python -m benchmarks`` prints."""
    lines = [f"  {figures['models']} models, {figures['rounds']} rounds interleaved, "
             f"load average (1 min) {figures['load_average_1m']}",
             f"  {'':34} {'wall min':>9} {'median':>8} {'cpu min':>8} {'median':>8} {'peak':>8}"]
    for name in _COMMANDS:
        s = figures.get(name)
        if s:
            lines.append(f"  {name:34} {s['wall_min']:8.2f}s {s['wall_median']:7.2f}s {s['cpu_min']:7.2f}s "
                         f"{s['cpu_median']:7.2f}s {s['peak_mib']:5.0f} MiB")
    if "cold ratio (median wall)" in figures:
        met = "met" if figures["cold met"] else "MISSED"
        lines.append(f"  {'faborite cold / dbt parse cold':34} {figures['cold ratio (median wall)']:8.2f}x median, "
                     f"{figures['cold ratio (min wall)']:.2f}x min, {figures['cold ratio (median cpu)']:.2f}x CPU "
                     f"(target <= {COLD_RATIO_TARGET}: {met})")
    met = "met" if figures["warm met"] else "MISSED"
    lines.append(f"  {'faborite warm':34} {figures['faborite validate (warm)']['wall_median']:8.2f}s median "
                 f"(target <= {WARM_SECONDS_TARGET:.0f} s: {met})")
    lines.append(f"  faborite says: {' '.join(figures['validate_output'])}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dbt_parse")
    parser.add_argument("--models", type=int, default=1200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-peers", action="store_true", help="faborite only (no dbt install)")
    parser.add_argument("--json", dest="json_out", type=Path)
    args = parser.parse_args(argv)
    figures = bench_dbt_parse(args.models, args.rounds, with_dbt=not args.no_peers)
    publish_figures(figures, format_report(figures), args.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
