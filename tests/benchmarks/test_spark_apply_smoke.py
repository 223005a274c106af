"""Smoke test of the Spark apply benchmark: 8 nodes, 1,000 event rows, one in-process pass per side
(``runs=0``: the recording apply is timed as faborite's round, then one replay).

In-process only, in the test session's Spark session (``tests/spark.py``): no
CLI round (each would start two more JVMs). It checks that the recorded SQL
replays through ``spark.sql`` and both sides publish the same rows, and that
every figure is computed; never how fast anything is.
"""

from __future__ import annotations

import math

import pytest

from benchmarks.spark_apply import bench_spark_apply, format_report
from tests.spark import FAST_CONF

pytestmark = [pytest.mark.service, pytest.mark.slow]


def test_spark_apply_smoke(tmp_path, spark_connection):  # noqa: F811
    # The fewest nodes that run every kind of statement the benchmark replays: three seeds (loads),
    # three staging views, `events` and one mart reading it and the views (8 nodes). Every Spark
    # statement costs ~0.5 s whatever the rows, and the first apply in a session more (a cold JVM).
    figures = bench_spark_apply(1_000, tmp_path, runs=0, cli_runs=0, conf=FAST_CONF, marts=1)

    assert figures["rows_match"] is True
    assert len(figures["published_rows"]) == figures["project"]["nodes"] == 8
    assert figures["published_rows"]["events"] == 1_000
    # The replay holds the seeds' loads and every model's statements, never faborite's own queries.
    assert figures["loads"] == 3
    assert figures["replayed_statements"] > figures["project"]["nodes"]
    assert figures["faborite_only_queries"] > 0
    assert "cli" not in figures

    g = figures["in_process"]
    for key in ("faborite_seconds", "peer_seconds", "ratio", "faborite_cpu_seconds", "peer_cpu_seconds",
                "ratio_cpu"):
        assert isinstance(g[key], float) and math.isfinite(g[key]) and g[key] > 0, key
    assert "in-process" in format_report(figures)
