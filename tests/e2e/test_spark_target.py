"""The template project on a Spark target through the CLI.

Every faborite command is a new process with its own JVM, so this also shows
that what apply builds survives the session (the Derby metastore and the
Parquet files in the warehouse folder). CLI calls are kept few: each starts Spark.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import run_cli
from tests.spark import FAST_CONF, fast_jvm_env, require_spark

pytestmark = [pytest.mark.service, pytest.mark.slow]

#: Seconds a Spark CLI call may take: a JVM start, the metastore, and the jobs.
SPARK_CLI_TIMEOUT = 600
SPARK_TARGET = f"""
  spark:
    type: spark
    master: local[2]
    warehouse: .faborite/spark-warehouse
    conf: {json.dumps(FAST_CONF)}
"""


def test_what_apply_builds_on_spark_survives_into_the_next_process(tmp_path):
    require_spark()
    assert run_cli("init", "demo", cwd=tmp_path).code == 0
    project = tmp_path / "demo"
    config = project / "faborite.yml"
    text = config.read_text()
    config.write_text(text.replace("targets:\n", "targets:" + SPARK_TARGET, 1))

    def spark(*args: str):
        started = time.monotonic()
        result = run_cli("--target", "spark", *args, cwd=project, timeout=SPARK_CLI_TIMEOUT, env=fast_jvm_env())
        print(f"faborite {' '.join(args)[:40]}: {time.monotonic() - started:.1f}s")
        assert result.code == 0, result.stdout + result.stderr
        return result

    # Two CLI calls, each a JVM start: what apply built survives into a new process. Rows, rollback
    # and drift on Spark are proved in-process (tests/e2e/test_every_target.py, tests/properties).
    applied = spark("apply", "--auto-approve")
    assert "not atomic" in applied.stdout  # the plan apply shows says what publish cannot promise
    assert "No changes." in spark("plan").stdout  # a new process finds every table and view

    # The rows themselves are compared in-process on every target (tests/e2e/test_every_target.py):
    # each CLI call here costs a JVM start.
