"""Benchmark 1: compile and plan at scale, faborite vs dbt-core, on the same generated project."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from benchmarks.generate import mid_dag_model, write_dbt_project, write_faborite_project
from benchmarks.measure import Measurement, best_of, run
from benchmarks.peers import WORK, dbt_executable

FABORITE = [sys.executable, "-m", "faborite"]


def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    return path


def edited_model(text: str) -> str:
    """``text`` with its data changed (amount doubled), so the plan after the edit has real work:
    a comment alone changes no fingerprint. Every generated model shape has one of the two spellings."""
    if " as amount" in text:
        return text.replace(" as amount", " * 2 as amount", 1)
    assert "    amount,\n" in text, "a generated model without an amount column"
    return text.replace("    amount,\n", "    amount * 2 as amount,\n", 1)


def bench_size(n: int, *, with_dbt: bool, runs: int = 1) -> dict[str, Measurement | None]:
    """Every compile/plan measurement for an ``n``-model project."""
    results: dict[str, Measurement | None] = {}
    fab = write_faborite_project(_fresh(WORK / f"faborite-{n}"), n)
    cache = fab / ".faborite" / "cache"

    results["faborite cold compile"] = best_of(runs, [*FABORITE, "validate"], fab,
                                               before=lambda: shutil.rmtree(cache, ignore_errors=True))
    # State present: apply once (not timed here; apply has its own benchmark).
    run([*FABORITE, "apply", "--auto-approve", "--allow-destructive"], fab)
    results["faborite no-change plan (warm)"] = best_of(max(runs, 3), [*FABORITE, "plan", "--detailed-exitcode"], fab)
    folder, name = mid_dag_model(n)
    model = fab / "models" / folder / f"{name}.sql"
    original = model.read_text()
    model.write_text(edited_model(original))
    results["faborite plan after one edit"] = best_of(max(runs, 3), [*FABORITE, "plan", "--detailed-exitcode"], fab)
    # Rollback: rebuild a staging model (and so most of the DAG), then go back.
    staging = sorted((fab / "models" / "staging").glob("*.sql"))[0]
    staging_text = staging.read_text()
    staging.write_text(staging_text.replace("as amount", "as amount_raw, cast(amount as double) as amount", 1))
    run([*FABORITE, "apply", "--auto-approve", "--allow-destructive"], fab)
    results["faborite rollback (after a DAG-wide rebuild)"] = run([*FABORITE, "rollback", "--auto-approve"], fab)
    staging.write_text(staging_text)
    model.write_text(original)

    if with_dbt:
        dbt = dbt_executable()
        if dbt is None:
            results["dbt parse (cold)"] = results["dbt compile (cold)"] = None
        else:
            project = write_dbt_project(_fresh(WORK / f"dbt-{n}"), n)
            env = {"DBT_PROFILES_DIR": str(project), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
            clear = lambda: shutil.rmtree(project / "target", ignore_errors=True)  # noqa: E731
            results["dbt parse (cold)"] = best_of(runs, [str(dbt), "parse", "--no-partial-parse"], project, env, clear)
            results["dbt compile (cold)"] = best_of(runs, [str(dbt), "compile", "--no-partial-parse"], project, env, clear)
    return results
