"""Benchmark 8: an incremental model after a 1% append vs its full rebuild, on DuckDB, same run.

The project reads a files source ``raw.events`` (``data/events/*.parquet``,
``rows`` rows, ``event_time`` increasing) with two models of the same SELECT
(a few derived columns): ``events_incremental`` (``materialized:
incremental``, append, ``where event_time > (select max(event_time) from {{ this }})``)
and ``events_full`` (``materialized: table``, its full rebuild). After the
first apply, each round appends 1% of ``rows`` as one more Parquet file and
applies once (``--threads 1``): both models are rebuilt in that one apply,
so each round measures, on the same data and the same machine load, the
incremental update and the full rebuild (the seconds of each node's build
step, from apply's ``node_done`` events). Figures are medians over rounds;
the ratio is incremental / full.

On DuckDB an incremental update is a new generation of the model's
row-versioned store (faborite/apply/row_store.py): the new rows are inserted
into the table every version shares and the version is a view, so its cost
grows with the new rows, not the table, and rollback stays exact.

    python -m benchmarks.incremental --rows 10000000 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
from pathlib import Path
from typing import Any

WORK = Path(__file__).parent / ".work" / "incremental"

SELECT = """select event_id, user_id, event_time, amount, category,
       round(amount * 1.2, 2) as amount_gross, upper(category) as category_code,
       date_trunc('day', event_time) as event_day
from {{ source('raw', 'events') }}"""
INCREMENTAL = ("{{ config(materialized='incremental') }}\n" + SELECT +
               "\n{% if is_incremental() %}where event_time > (select max(event_time) from {{ this }}){% endif %}\n")
FULL = "{{ config(materialized='table') }}\n" + SELECT + "\n"


def write_events(path: Path, first_id: int, rows: int) -> None:
    """``rows`` events from id ``first_id`` on, one per second after 2024-01-01, as one Parquet file."""
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"""copy (select i as event_id, i % 100003 as user_id,
                                     timestamp '2024-01-01' + to_seconds(i) as event_time,
                                     (i % 9973) / 100.0 as amount, ['web', 'app', 'shop'][i % 3 + 1] as category
                              from range({first_id}, {first_id + rows}) t(i))
                        to '{path}' (format parquet)""")
    finally:
        con.close()


def write_project(root: Path, rows: int) -> None:
    """The project: one files source, the incremental model and its full-rebuild twin."""
    if root.exists():
        shutil.rmtree(root)
    (root / "models").mkdir(parents=True)
    (root / "faborite.yml").write_text("name: incr_bench\ntargets:\n  dev: {type: duckdb, path: .faborite/dev.duckdb}\n")
    (root / "models/sources.yml").write_text(
        "sources:\n  - name: raw\n    type: files\n    tables:\n      - name: events\n"
        "        path: data/events/*.parquet\n")
    (root / "models/events_incremental.sql").write_text(INCREMENTAL)
    (root / "models/events_full.sql").write_text(FULL)
    write_events(root / "data/events/part-0000.parquet", 0, rows)


def _apply(root: Path) -> dict[str, float]:
    """One plan + apply; seconds of each node's build."""
    from faborite.api import Workspace

    seconds: dict[str, float] = {}

    def on_event(event) -> None:
        if event.kind == "node_done" and event.seconds is not None:
            seconds[event.node or ""] = event.seconds

    ws = Workspace(root=root)
    plan = ws.plan()
    incremental = [c.name for c in plan.changes if c.incremental_from]
    ws.apply(plan, threads=1, on_event=on_event)
    seconds["incremental_planned"] = float("events_incremental" in incremental)
    return seconds


def bench_incremental(rows: int = 10_000_000, rounds: int = 3, work: Path = WORK) -> dict[str, Any]:
    """Figures of ``rounds`` 1% appends to a ``rows``-row source."""
    root = work / "project"
    write_project(root, rows)
    first = _apply(root)
    step = max(1, rows // 100)
    incremental, full = [], []
    for number in range(1, rounds + 1):
        write_events(root / f"data/events/part-{number:04d}.parquet", rows + (number - 1) * step, step)
        seconds = _apply(root)
        assert seconds["incremental_planned"], "the plan did not update events_incremental incrementally"
        incremental.append(seconds["model.events_incremental"])
        full.append(seconds["model.events_full"])
    inc, whole = statistics.median(incremental), statistics.median(full)
    return {"rows": rows, "appended_rows_per_round": step, "rounds": rounds,
            "first_build_s": round(first["model.events_incremental"], 3),
            "incremental_s": round(inc, 3), "full_rebuild_s": round(whole, 3),
            "ratio": round(inc / whole, 3), "target_ratio": 0.10,
            "load_average": os.getloadavg()[0],
            "incremental_rounds_s": [round(s, 3) for s in incremental], "full_rounds_s": [round(s, 3) for s in full]}


def format_report(figures: dict[str, Any]) -> str:
    """The lines ``python -m benchmarks`` prints."""
    return "\n".join([
        f"  {'first build (full)':40} {figures['first_build_s']:8.2f}s",
        f"  {'incremental update after a 1% append':40} {figures['incremental_s']:8.2f}s",
        f"  {'full rebuild, same data':40} {figures['full_rebuild_s']:8.2f}s",
        f"  {'incremental / full':40} {figures['ratio']:8.2f}x  (target <= {figures['target_ratio']:.2f})",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.incremental")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    figures = bench_incremental(args.rows, args.rounds)
    print(format_report(figures))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
