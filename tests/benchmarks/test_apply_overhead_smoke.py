"""Smoke test of the apply-overhead benchmark: TPC-H at scale factor 0.01, one run per side.

It checks that the benchmark still works end to end (every model builds on both
sides with the same rows, the ratios and the rollback figures are computed),
never how fast anything is: timings on shared CI machines mean nothing.
"""

from __future__ import annotations

import json
import math
import os

import pytest

from benchmarks.apply_overhead import WIDE_MODEL, TpchgenUnavailable, bench_apply, tpchgen_executable
from benchmarks.tpch_queries import MODELS, QUERIES, SCALE_FREE_ROWS


def _require_tpchgen() -> None:
    """Install ``tpchgen-cli`` if needed; skip when that is impossible, except on CI, where it fails."""
    try:
        tpchgen_executable()
    except TpchgenUnavailable as exc:
        message = f"tpchgen-cli is needed for the apply-overhead benchmark: {exc}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)


def test_apply_overhead_smoke(tmp_path):
    _require_tpchgen()

    figures = bench_apply(0.01, tmp_path, runs=1, rollback_scales=(0.01,))

    # Every model was built by faborite and by the raw run, with the same rows.
    assert figures["models"] == len(MODELS)
    assert set(figures["faborite_rows"]) == set(MODELS)
    assert figures["faborite_rows"] == figures["raw_rows"]
    assert figures["rows_match"] is True
    assert all(figures["faborite_rows"][name] > 0 for name in MODELS)
    for name, rows in SCALE_FREE_ROWS.items():
        assert figures["faborite_rows"][name] == rows, name
    assert set(QUERIES) <= set(figures["faborite_rows"])

    # The figures exist and are numbers (no timing assertions).
    for key in ("faborite_cli_seconds", "faborite_apply_stage_seconds", "raw_cli_seconds", "raw_inner_seconds",
                "ratio_cli", "ratio_apply_stage", "ratio_parallel_cli", "faborite_peak_mib", "raw_peak_mib"):
        assert isinstance(figures[key], float) and math.isfinite(figures[key]) and figures[key] > 0, key

    (rollback,) = figures["rollback"]
    assert rollback["scale"] == 0.01
    assert rollback["table_rows"] > 0, f"{WIDE_MODEL} is empty"
    # The time the CLI reports for the rollback is part of the command's own wall time.
    assert 0 < rollback["rollback_seconds"] <= rollback["rollback_cli_seconds"], rollback
    _assert_rollback_republished_the_first_version(tmp_path / "sf0.01" / "rollback", rollback["table_rows"])


def _assert_rollback_republished_the_first_version(project, rows: int) -> None:
    """After apply, edit, apply, rollback: the view serves version 1's rows again; version 2 still exists."""
    import duckdb

    state_dir = project / ".faborite" / "state" / "dev"
    serials = [json.loads(path.read_text()) for path in sorted(state_dir.glob("serial-*.json"))]
    assert [(s["serial"], s["event"]["operation"], s["event"].get("rolled_back_to")) for s in serials] == [
        (1, "apply", None), (2, "apply", None), (3, "rollback", 1)]
    node = f"model.{WIDE_MODEL}"
    first, edited, current = (s["nodes"][node]["physical"] for s in serials)
    assert edited != first and current == first

    con = duckdb.connect(str(project / ".faborite" / "dev.duckdb"), read_only=True)
    try:
        (view_sql,) = con.execute("select sql from duckdb_views() where schema_name = 'main' "
                              f"and view_name = '{WIDE_MODEL}'").fetchone()
        assert first.split(".")[1] in view_sql and edited.split(".")[1] not in view_sql, view_sql
        # What users read is the pre-edit net_price again; the edited version (with tax) is kept beside it.
        published = con.execute(f"""select count(*), count(*) filter (where net_price = l_extendedprice * (1 - l_discount))
                                from main.{WIDE_MODEL}""").fetchone()
        assert published == (rows, rows)
        with_tax = con.execute(f"""select count(*) filter (where net_price <> l_extendedprice * (1 - l_discount))
                               from {edited}""").fetchone()[0]
        assert with_tax > 0
    finally:
        con.close()
