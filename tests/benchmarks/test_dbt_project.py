"""The generated dbt project (benchmarks/dbt_project.py) validates in faborite, unchanged, and the
dbt-parse benchmark runs. No timing is asserted: the figures live in benchmarks/README.md."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest

from benchmarks.dbt_parse import bench_dbt_parse, format_report
from benchmarks.dbt_project import PACKAGE, PACKAGE_MACROS, dbt_models, write_dbt_project
from faborite.compiler import compile_project
from faborite.config import load_project


def test_the_generated_dbt_project_validates_unchanged(tmp_path: Path) -> None:
    root = write_dbt_project(tmp_path / "bench", 60)
    project = load_project(root)
    manifest = compile_project(project, environ={})
    models = {n.name: n for n in manifest.nodes.values() if n.id.startswith("model.")}
    # The 60 models less the ephemeral ones (inlined, not built), plus the two snapshots.
    ephemeral = [name for name, (_, sql) in dbt_models(60).items() if "materialized='ephemeral'" in sql]
    assert ephemeral and len(models) == 60 - len(ephemeral) + 2
    assert {"customers_history", "orders_history"} <= set(models)
    by_kind = {n.materialized for n in models.values()}
    assert {"view", "table", "incremental", "snapshot"} <= by_kind
    sql = "\n".join(n.sql for n in models.values())
    assert "__dbt__cte__" in sql and "MD5(" in sql  # an ephemeral inlined; the package's surrogate key
    checks = [c for n in manifest.nodes.values() for c in n.checks]
    assert any(c.name.startswith("expression_is_true") for c in checks)  # the package's generic test
    assert any(c.name.startswith("positive_amount") for c in checks)  # the project's
    assert any(c.name.startswith("relationships") for c in checks)
    assert len(list((root / "dbt_packages" / PACKAGE / "macros").rglob("*.sql"))) >= 5
    assert len(PACKAGE_MACROS) >= 30


def test_the_generator_is_deterministic(tmp_path: Path) -> None:
    one, two = write_dbt_project(tmp_path / "one", 40), write_dbt_project(tmp_path / "two", 40)
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    assert filecmp.cmpfiles(one, two, [str(f) for f in files], shallow=False)[0] == [str(f) for f in files]


@pytest.mark.slow
def test_the_benchmark_runs_without_dbt(tmp_path: Path) -> None:
    figures = bench_dbt_parse(40, rounds=1, work=tmp_path, with_dbt=False)
    assert figures["faborite validate (cold)"]["wall_min"] > 0
    assert figures["faborite validate (warm)"]["cpu_min"] > 0
    assert "ok:" in figures["validate_output"][0]
    assert "faborite warm" in format_report(figures)
