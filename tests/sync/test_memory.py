"""Peak memory of a sync does not grow with the table: batches stream from source to sink."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

MAKE = textwrap.dedent(
    """
    import sys, duckdb
    from deltalake import write_deltalake
    rows = int(sys.argv[2])
    query = f'''SELECT i AS id, 'region_' || (i % 7) AS region, i * 1.5 AS amount,
                   TIMESTAMP '2024-01-01' + INTERVAL (i) SECOND AS updated_at,
                   md5(i::VARCHAR) || md5((i + 1)::VARCHAR) AS payload
               FROM range({rows}) t(i)'''
    write_deltalake(sys.argv[1], duckdb.sql(query).to_arrow_reader(100_000))
    """
)

SYNC = textwrap.dedent(
    """
    import json, sys
    from faborite.sync.executor import sync_table
    from faborite.providers.delta import DeltaFolderSource
    from faborite.sync.sinks import FileSink
    from faborite.sync.spec import SyncSpec
    lake, out, strategy = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    source = DeltaFolderSource(lake)
    spec = SyncSpec.model_validate({"name": "s", "from": "lake", "sample": strategy})
    result = sync_table(source, source.describe("big"), spec, FileSink(out, "parquet"), threads=2)
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child of a big
    # pytest process would report the parent's peak; VmHWM belongs to this image only.
    with open("/proc/self/status") as status:
        hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(json.dumps({"rows": result.rows, "bytes": result.bytes, "peak_mb": hwm / 1024}))
    """
)


def _python(code: str, *args: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.slow
def test_peak_memory_stays_bounded_as_rows_grow(tmp_path: Path):
    peaks = {}
    for rows in (200_000, 2_000_000):
        lake = tmp_path / f"lake{rows}"
        _python(MAKE, str(lake / "big"), str(rows))
        for name, strategy in {"full": {}, "random": {"strategy": "random", "rows": 50_000}}.items():
            report = json.loads(_python(SYNC, str(lake), str(tmp_path / f"out-{rows}-{name}"), json.dumps(strategy)))
            assert report["rows"] == (rows if name == "full" else 50_000)
            peaks[rows, name] = report["peak_mb"]
    # Measured here: ~320 MB at 200k rows, ~390 MB at 2M (about 120 MB of it is the imports);
    # the 2M-row table is ~200 MB in Arrow and ~100 MB of Parquet in 1M-row row groups.
    for name in ("full", "random"):
        assert peaks[2_000_000, name] < 450, peaks
        # Ten times the rows: the peak grows by far less than the data does.
        assert peaks[2_000_000, name] - peaks[200_000, name] < 120, peaks
