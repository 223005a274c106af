"""Build one dbt project with dbt and with faborite, and compare every table.

The same unchanged folder is copied twice: ``dbt build`` runs in one copy into
one DuckDB file, ``faborite apply`` in the other into another (its profile reads
the file from ``DBT_DUCKDB_PATH``). Every relation dbt built is then read from
both files, rows sorted, and must be equal. A project with a ``next/`` folder
(new seed rows, say) is then changed by it and built a second time by both,
and compared again: incremental models and snapshots build on what is there.

dbt (dbt-core 1.11 + dbt-duckdb) lives in its own virtualenv, as the
benchmarks install it (benchmarks/peers.py): ``FABORITE_DBT`` names a ``dbt``
executable; otherwise the benchmarks' one is used, installed on first use.
When neither works the tests skip with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.servers import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = Path(__file__).parent / "projects"
#: dbt writes these into the project folder; they are not the project.
_DBT_OUTPUTS = ("target", "logs", "dbt_packages_installed", ".faborite", ".user.yml")


def find_dbt() -> Path:
    """A ``dbt`` executable, or skip the test saying why there is none."""
    named = os.environ.get("FABORITE_DBT")
    if named:
        if not Path(named).exists():
            skip_or_fail(f"FABORITE_DBT={named} does not exist")
        return Path(named)
    import sys

    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.peers import dbt_executable
    finally:
        sys.path.remove(str(ROOT))
    dbt = dbt_executable()
    if dbt is None:
        skip_or_fail("dbt-core + dbt-duckdb could not be installed into benchmarks/.work/venv-dbt "
                    "(no package registry?); set FABORITE_DBT to a dbt executable")
    return dbt


def copy_project(source: Path, dest: Path) -> Path:
    """A clean copy of the project folder (without dbt's or faborite's outputs)."""
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(*_DBT_OUTPUTS))
    return dest


def dbt_build(dbt: Path, project: Path, database: Path) -> subprocess.CompletedProcess:
    """``dbt build`` of ``project`` into ``database``; fails the test with dbt's output if dbt fails."""
    env = {**os.environ, "DBT_DUCKDB_PATH": str(database), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("DBT_PROFILES_DIR", None)
    result = subprocess.run([str(dbt), "build", "--profiles-dir", str(project), "--project-dir", str(project)],
                            cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"dbt build failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
    return result


def faborite_apply(project: Path, database: Path, monkeypatch: pytest.MonkeyPatch, **plan_options: Any):
    """``faborite apply`` of the same unchanged folder into ``database``; returns the workspace."""
    from faborite.api import Workspace

    monkeypatch.setenv("DBT_DUCKDB_PATH", str(database))
    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    workspace = Workspace.open(project, on_warning=lambda message: None)
    plan = workspace.plan(**plan_options)
    result = workspace.apply(plan)
    assert not getattr(result, "failed", None), f"faborite apply failed: {result}"
    return workspace


def next_run(source: Path, *copies: Path) -> bool:
    """Copy the project's ``next/`` folder (e.g. new seed rows) over each copy; False if it has none."""
    later = source / "next"
    if not later.is_dir():
        return False
    for copy in copies:
        shutil.copytree(later, copy, dirs_exist_ok=True)
    return True


def relations(database: Path) -> dict[str, list[str]]:
    """``{"schema.name": columns}`` of every table and view in a DuckDB file, dbt's bookkeeping aside."""
    import duckdb

    con = duckdb.connect(str(database), read_only=True)
    try:
        rows = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_catalog = current_database() and table_schema not like 'faborite%' "
            "and table_schema not like '%dbt_test__audit' order by table_schema, table_name, ordinal_position"
        ).fetchall()
    finally:
        con.close()
    found: dict[str, list[str]] = {}
    for schema, name, column in rows:
        found.setdefault(f"{schema}.{name}", []).append(column)
    return found


def table_rows(database: Path, relation: str) -> list[tuple]:
    """Every row of ``relation``, sorted (None first), as comparable tuples."""
    import duckdb

    con = duckdb.connect(str(database), read_only=True)
    try:
        schema, name = relation.split(".", 1)
        rows = con.execute(f'select * from "{schema}"."{name}"').fetchall()
    finally:
        con.close()
    return sorted(rows, key=lambda row: tuple((value is not None, str(value)) for value in row))


def compare(dbt_db: Path, faborite_db: Path, *, ignore: tuple[str, ...] = ()) -> list[str]:
    """The relations dbt built, each checked equal in faborite's database; returns their names."""
    built = {name: columns for name, columns in relations(dbt_db).items() if name not in ignore}
    assert built, "dbt built nothing"
    ours = relations(faborite_db)
    missing = sorted(set(built) - set(ours))
    assert not missing, f"faborite did not publish {missing} (it has {sorted(ours)})"
    for name, columns in built.items():
        assert [c.lower() for c in ours[name]] == [c.lower() for c in columns], f"{name}: columns differ"
        assert table_rows(faborite_db, name) == table_rows(dbt_db, name), f"{name}: rows differ"
    return sorted(built)
