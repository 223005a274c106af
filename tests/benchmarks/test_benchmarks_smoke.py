"""The benchmark runner's quick mode keeps working (no timing is asserted: figures live in benchmarks/README.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_benchmarks_run(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--no-peers", "--only", "startup,compile,sync",
         "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    import json

    figures = json.loads(out.read_text())
    assert {"startup", "compile_50", "sync"} <= set(figures)
    assert "faborite rollback (after a DAG-wide rebuild)" in figures["compile_50"]
    assert "throughput ratio (faborite / plain), full parquet" in figures["sync"]
