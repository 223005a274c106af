"""The feature projects built by dbt itself (dbt-core 1.11 + dbt-duckdb) give the rows faborite's test expects.

Uses the dbt virtualenv of benchmarks/peers.py when it is there (``python -c "from benchmarks.peers
import dbt_executable; dbt_executable()"`` installs it); skipped otherwise. dbt_utils_fallbacks is left
out: dbt needs the dbt_utils package, which it installs from its hub, out of reach here.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import duckdb
import pytest

from benchmarks.peers import WORK
from tests.dbt.test_projects import EXPECTED, PROJECTS

DBT = WORK / "venv-dbt" / "bin" / "dbt"
NEEDS_PACKAGES = {"dbt_utils_fallbacks"}

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", sorted(set(EXPECTED) - NEEDS_PACKAGES))
def test_dbt_build_gives_the_expected_rows(tmp_path, name):
    if not DBT.exists():
        pytest.skip(f"no dbt at {DBT}: install it with benchmarks.peers.dbt_executable()")
    root = tmp_path / name
    shutil.copytree(PROJECTS / name, root)
    database = root / "dbt.duckdb"
    env = {**os.environ, "DBT_DUCKDB_PATH": str(database), "DBT_PROFILES_DIR": str(root),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run([str(DBT), "build"], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    with duckdb.connect(str(database), read_only=True) as con:
        for relation, rows in EXPECTED[name].items():
            assert sorted(con.execute(f"select * from {relation}").fetchall(), key=repr) == sorted(rows, key=repr), \
                relation
