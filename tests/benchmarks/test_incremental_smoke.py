"""Smoke test of the incremental benchmark: 20,000 rows, one 1% append.

It checks that the benchmark still works (the model is updated incrementally,
both builds are timed), never how fast anything is: timings on shared CI
machines mean nothing. The figures live in benchmarks/README.md.
"""

from __future__ import annotations

import pytest

from benchmarks.incremental import bench_incremental, format_report

pytestmark = pytest.mark.slow


def test_incremental_smoke(tmp_path):
    figures = bench_incremental(20_000, rounds=1, work=tmp_path)
    assert figures["appended_rows_per_round"] == 200
    assert figures["incremental_s"] > 0 and figures["full_rebuild_s"] > 0
    assert "incremental / full" in format_report(figures)
