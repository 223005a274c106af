"""Smoke test of the PostgreSQL apply benchmark: 20,000 event rows, one round per side.

It checks that the benchmark still works end to end on a throw-away server
(the recorded SQL replays through psql, both databases publish the same rows,
every figure is computed), never how fast anything is: timings on shared CI
machines mean nothing. The figures live in benchmarks/README.md.
"""

from __future__ import annotations

import math
import shutil

import pytest

from benchmarks.postgres_apply import EDITED_MODEL, bench_postgres_apply, format_report
from tests.servers import skip_or_fail
from tests.postgres import INSTALL_HINT, find_pg_bin


@pytest.mark.service
def test_postgres_apply_smoke(tmp_path):
    if find_pg_bin() is None:
        skip_or_fail(INSTALL_HINT)
    if shutil.which("psql") is None and not (find_pg_bin() / "psql").exists():
        skip_or_fail("psql not found (Debian: postgresql-client)")
    pytest.importorskip("psycopg")

    figures = bench_postgres_apply(20_000, tmp_path, runs=1)

    # Every node was published on both sides, with the same rows.
    assert figures["rows_match"] is True
    assert len(figures["published_rows"]) == figures["project"]["nodes"] == 33
    assert figures["published_rows"]["events"] == 20_000
    assert figures["published_rows"]["customers"] == figures["project"]["seeds"]["customers"]

    first, edit = figures["first"], figures["edit"]
    # The psql scripts replay faborite's writes: the seeds' COPYs and every model on the first apply,
    # the edited model and what reads it after the edit, never faborite's own queries.
    assert first["copies"] == 3 and edit["copies"] == 0
    assert first["replayed_statements"] > figures["project"]["nodes"]
    assert 0 < edit["replayed_statements"] < first["replayed_statements"]
    assert first["faborite_only_queries"] > 0
    script = (tmp_path / "sql" / "edit.sql").read_text()
    assert f'"{EDITED_MODEL}__' in script and "COPY" not in script
    assert not [line for line in script.splitlines() if line.startswith(("SELECT COUNT(*) FROM", "SELECT n.nspname"))]

    # The figures exist and are numbers (no timing assertions).
    for g in (first, edit):
        for key in ("faborite_cli_seconds", "faborite_apply_stage_seconds", "psql_seconds", "ratio_cli",
                    "ratio_apply_stage", "faborite_cpu_seconds", "psql_cpu_seconds", "ratio_cpu",
                    "faborite_peak_mib"):
            assert isinstance(g[key], float) and math.isfinite(g[key]) and g[key] > 0, key
    assert "first apply" in format_report(figures)
