"""Issue 9: one project, every target, the same published rows.

The template project from ``faborite init``, unchanged but for its
``targets:`` block, is planned and applied (in this process, through
``faborite.api``, so the Spark session the conformance suite started is
reused) on DuckDB, PostgreSQL, MariaDB, Spark ``local[2]``, a Delta folder
and a Delta table on Azurite posing as OneLake. Every published relation then
holds the same rows on every target, and a second plan is empty everywhere.
Per-target CLI sessions (rollback, drift, debug) live in the per-target e2e
modules.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from pathlib import Path

import pytest
import yaml

from faborite.api import Workspace, init_project
from faborite.relation import Relation
from tests.azurite import WELL_KNOWN_KEY, Azurite
from tests.mysql import MySQLServer
from tests.postgres import PostgresServer
from tests.spark import FAST_CONF

pytestmark = [pytest.mark.service, pytest.mark.slow]


def _cell(value: object) -> object:
    """A comparable cell: numbers as rounded floats (DECIMAL vs DOUBLE differ by engine),
    timestamps naive UTC."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float, decimal.Decimal)):
        return round(float(value), 6)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def _published(ws: Workspace) -> dict[str, list[tuple]]:
    """Every published model and seed: its rows, normalised and sorted, by node name."""
    manifest = ws.compile(write_manifest=False)
    connection = ws.connect()
    try:
        tables = {}
        for node in manifest.built_nodes():
            quoted = connection.dialect.quote_relation(Relation.parse(node.relation))
            data = connection.fetch_arrow(f"SELECT * FROM {quoted}")
            rows = [tuple(_cell(row[c]) for c in sorted(data.column_names)) for row in data.to_pylist()]
            tables[node.name] = sorted(rows, key=repr)
        return tables
    finally:
        connection.close()


def test_the_template_project_publishes_the_same_rows_on_every_target(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres: PostgresServer, pg_database: str,  # noqa: F811
        mysql: MySQLServer, mysql_database: str, spark_connection, azurite: Azurite) -> None:  # noqa: F811
    workspace = f"ws-{uuid.uuid4().hex[:12]}"
    azurite.create_container(workspace, account="onelake")
    monkeypatch.setenv("ONELAKE_KEY", WELL_KNOWN_KEY)
    # One Spark session per process: the project's spark target names the fixture's warehouse.
    spark_warehouse = spark_connection._session.conf.get("spark.sql.warehouse.dir").removeprefix("file:")
    targets = {
        "dev": {"type": "duckdb", "path": ".faborite/dev.duckdb"},
        "pg": postgres.config(pg_database, schema="analytics"),
        "maria": mysql.config(mysql_database),
        "spark": {"type": "spark", "master": "local[2]", "conf": FAST_CONF,
                  "warehouse": spark_warehouse},
        "lake": {"type": "delta", "path": "lakehouse"},
        "onelake": {"type": "delta",
                    "path": f"abfss://{workspace}@onelake.dfs.fabric.microsoft.com/Sales.Lakehouse/Tables",
                    "storage_options": {**azurite.endpoint_options("onelake"),
                                        "account_key": "{{ env_var('ONELAKE_KEY') }}"}},
    }
    root = init_project(tmp_path / "demo")
    config = yaml.safe_load((root / "faborite.yml").read_text())
    config["targets"] = targets
    (root / "faborite.yml").write_text(yaml.safe_dump(config, sort_keys=False))

    published = {}
    for name in targets:
        ws = Workspace.open(root, target=name)
        result = ws.apply(ws.plan())
        assert result.new_state is not None and not result.failed, name
        assert not Workspace.open(root, target=name).plan().has_changes, f"{name}: a second plan has changes"
        published[name] = _published(Workspace.open(root, target=name))

    expected = published["dev"]
    assert len(expected) == 8 and all(expected.values())
    for name, tables in published.items():
        assert tables.keys() == expected.keys(), name
        for table, rows in tables.items():
            assert rows == expected[table], f"{name}: {table} differs from DuckDB's"

