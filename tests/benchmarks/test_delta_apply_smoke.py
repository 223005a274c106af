"""Smoke test of the Delta lakehouse apply benchmark: 20,000 event rows, one round per side.

It checks that the benchmark still works end to end (both sides write every
table, with the same rows; every figure is computed), never how fast anything
is: timings on shared CI machines mean nothing. The figures live in
benchmarks/README.md.
"""

from __future__ import annotations

import math

import pytest

from benchmarks.delta_apply import bench_delta_apply, format_report
from benchmarks.lake_project import models_in_order

pytestmark = pytest.mark.slow


def test_delta_apply_smoke(tmp_path):
    pytest.importorskip("deltalake")
    figures = bench_delta_apply(20_000, tmp_path, runs=1)

    # Every node was published on both sides, with the same rows.
    assert figures["rows_match"] is True
    assert len(figures["published_rows"]) == figures["project"]["nodes"] == 33
    assert figures["published_rows"]["events"] == 20_000
    assert figures["published_rows"]["customers"] == figures["project"]["seeds"]["customers"]
    # The peer runs the models in dependency order.
    order = [name for name, _, _ in models_in_order(tmp_path / "project")]
    assert order.index("events") < order.index("events_enriched") < order.index("daily_revenue") < \
        order.index("rolling_revenue")

    # The figures exist and are numbers (no timing assertions).
    cli = figures["cli"]
    for key in ("faborite_seconds", "peer_seconds", "ratio", "faborite_cpu_seconds", "peer_cpu_seconds",
                "ratio_cpu"):
        assert isinstance(cli[key], float) and math.isfinite(cli[key]) and cli[key] > 0, key
    assert math.isfinite(figures["faborite_apply_stage_seconds"])
    assert "faborite apply" in format_report(figures)
