"""The template project on a Spark target through the CLI, row for row the same as on DuckDB.

Every faborite command is a new process with its own JVM, so this also shows
that what apply builds survives the session (the Derby metastore and the
Parquet files in the warehouse folder). CLI calls are kept few: each starts Spark.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import time
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.spark import FAST_CONF, require_spark

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


def normalise(value):
    """A value comparable across engines: numbers as rounded floats, dates and times as ISO text."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float, decimal.Decimal)):
        return round(float(value), 6)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        return value.replace("T", " ").split(".")[0].split("+")[0]  # an ISO date or timestamp from JSON
    return value


def rows_of(records: list[dict]) -> list[tuple]:
    return sorted(tuple(sorted((k, normalise(v)) for k, v in r.items())) for r in records)


def duckdb_rows(database: Path, models: list[str]) -> dict[str, list[tuple]]:
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        out = {}
        for model in models:
            cursor = con.execute(f'SELECT * FROM "main"."{model}"')
            names = [d[0] for d in cursor.description]
            out[model] = rows_of([dict(zip(names, row)) for row in cursor.fetchall()])
        return out


def published_models(database: Path) -> list[str]:
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        return sorted(r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall())


def test_template_project_on_spark_matches_duckdb(tmp_path):
    require_spark()
    assert run_cli("init", "demo", cwd=tmp_path).code == 0
    project = tmp_path / "demo"
    config = project / "faborite.yml"
    text = config.read_text()
    config.write_text(text.replace("targets:\n", "targets:" + SPARK_TARGET, 1))

    def spark(*args: str):
        started = time.monotonic()
        result = run_cli("--target", "spark", *args, cwd=project, timeout=SPARK_CLI_TIMEOUT)
        print(f"faborite {' '.join(args)[:40]}: {time.monotonic() - started:.1f}s")
        assert result.code == 0, result.stdout + result.stderr
        return result

    # The same project on DuckDB: the rows to compare with.
    applied = run_cli("apply", "--auto-approve", cwd=project)
    assert applied.code == 0, applied.stdout + applied.stderr
    duck = project / ".faborite" / "dev.duckdb"
    models = published_models(duck)
    assert {"orders", "customers", "stg_orders", "raw_orders"} <= set(models)

    # Four CLI calls, each a JVM start; rollback on Spark is proved in-process by the plan/apply
    # state machine (tests/properties), which shares one session.
    applied = spark("apply", "--auto-approve")
    assert "not atomic" in applied.stdout  # the plan apply shows says what publish cannot promise
    assert "No changes." in spark("plan").stdout  # a new process finds every table and view

    # Every published model in one query (each CLI call starts a JVM), nulls kept in the JSON.
    union = " UNION ALL ".join(
        f"SELECT '{m}' AS model, to_json(struct(*), map('ignoreNullFields', 'false')) AS row FROM `default`.`{m}`"
        for m in models)
    got: dict[str, list[dict]] = {m: [] for m in models}
    for record in json.loads(spark("query", union, "--json").stdout):
        got[record["model"]].append(json.loads(record["row"]))
    assert {m: rows_of(r) for m, r in got.items()} == duckdb_rows(duck, models)

    debug = spark("debug")
    assert "Spark " in debug.stdout and "local[2]" in debug.stdout
