"""The peers faborite is measured against, each in its own virtualenv under benchmarks/.work/.

dbt-core pins its own sqlglot/duckdb-incompatible dependencies and SQLMesh pins
duckdb<2, so neither may share faborite's environment.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

WORK = Path(__file__).parent / ".work"
DBT_REQUIREMENTS = ["dbt-core>=1.11,<1.12", "dbt-duckdb"]


def dbt_executable() -> Path | None:
    """Path to a ``dbt`` in its own venv, installing it on first use; None if that fails."""
    env_dir = WORK / "venv-dbt"
    dbt = env_dir / "bin" / "dbt"
    if dbt.exists():
        return dbt
    print("installing dbt-core + dbt-duckdb into benchmarks/.work/venv-dbt (first run only) ...", file=sys.stderr)
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    result = subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", *DBT_REQUIREMENTS],
                            capture_output=True, text=True)
    if result.returncode != 0 or not dbt.exists():
        print(f"could not install dbt: {result.stderr[-2000:]}", file=sys.stderr)
        return None
    return dbt
