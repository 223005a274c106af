"""Benchmark 3: sync throughput and memory, faborite vs a plain pyarrow copy of the same Delta table.

A local Delta table of N rows (generated once, reused) is copied to Parquet
(full, and 1% random / stratified samples) and into DuckDB by
``faborite sync``; the peer is the simplest correct copy a person would
write: deltalake's pyarrow dataset streamed into ``pyarrow.dataset.write_dataset``.
Both run as child processes, so wall time and peak RSS are comparable.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from benchmarks.measure import Measurement, run

FABORITE = [sys.executable, "-m", "faborite"]
_BATCH = 1_000_000

PEER = """
import os, sys, pyarrow.parquet as pq
from deltalake import DeltaTable
source = DeltaTable(sys.argv[1]).to_pyarrow_dataset()
os.makedirs(sys.argv[2], exist_ok=True)
with pq.ParquetWriter(os.path.join(sys.argv[2], "part-0.parquet"), source.schema) as writer:
    for batch in source.to_batches(batch_size=65_536):
        writer.write_batch(batch)
"""


def make_delta(path: Path, rows: int) -> None:
    """A Delta table with ``rows`` rows (id, region, amount, ts, note), streamed from DuckDB in batches."""
    if (path / "_delta_log").exists():
        return
    import duckdb
    from deltalake import write_deltalake

    query = f"""
        select i as id,
               ['north', 'south', 'east', 'west', 'central', 'islands'][1 + (hash(i) % 6)::int] as region,
               (hash(i * 7) % 100000) / 100.0 as amount,
               timestamp '2024-01-01' + to_seconds(i) as ts,
               'order-' || i::varchar as note
        from range({rows}) t(i)
    """
    write_deltalake(str(path), duckdb.sql(query).to_arrow_reader(_BATCH))


def _project(root: Path, lake: Path, sample: str, fmt: str) -> Path:
    shutil.rmtree(root, ignore_errors=True)
    (root / "sources").mkdir(parents=True)
    (root / "syncs").mkdir()
    (root / "faborite.yml").write_text("name: syncbench\n")
    (root / "sources/lake.yml").write_text(f"sources:\n  - name: lake\n    type: delta\n    path: {lake}\n")
    to = "{format: target}" if fmt == "duckdb" else "{format: parquet, path: out}"
    (root / "syncs/copy.yml").write_text(
        f"syncs:\n  - name: copy\n    from: lake\n    tables: [orders]\n    sample: {sample}\n    to: {to}\n")
    return root


def bench_sync(rows: int, workdir: Path) -> dict[str, str]:
    """Rows/s and peak RSS of faborite sync vs the plain copy, per case."""
    workdir.mkdir(parents=True, exist_ok=True)
    lake = workdir / f"lake-{rows}"
    make_delta(lake / "orders", rows)
    figures: dict[str, str] = {}

    def report(name: str, m: Measurement) -> None:
        figures[name] = f"{m.seconds:7.2f}s  {rows / m.seconds:12,.0f} rows/s  {m.peak_mib:6.0f} MiB"

    out = workdir / "peer-out"
    shutil.rmtree(out, ignore_errors=True)
    peer = run([sys.executable, "-c", PEER, str(lake / "orders"), str(out)], workdir)
    report("plain pyarrow copy -> parquet", peer)
    cases = {
        "faborite sync full -> parquet": ("{strategy: full}", "parquet"),
        "faborite sync full -> duckdb": ("{strategy: full}", "duckdb"),
        "faborite sync random 1% -> parquet": ("{strategy: random, percent: 1, seed: 7}", "parquet"),
        "faborite sync stratified 1% -> parquet": (f"{{strategy: stratified, by: region, rows: {rows // 100}}}",
                                                    "parquet"),
    }
    for name, (sample, fmt) in cases.items():
        project = _project(workdir / "project", lake, sample, fmt)
        result = run([*FABORITE, "sync", "--auto-approve"], project)
        report(name, result)
        if name == "faborite sync full -> parquet":
            figures["throughput ratio (faborite / plain), full parquet"] = f"{peer.seconds / result.seconds:.2f}x"
    return figures
