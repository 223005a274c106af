"""materialized: snapshot keeps dbt's SCD2 history, one new version per apply (faborite/apply/snapshot_build.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from faborite.api import Workspace
from faborite.errors import ConfigError
from tests.dbt.harness import PROJECTS


def _apply(root: Path) -> None:
    ws = Workspace.open(root, on_warning=lambda message: None)
    ws.apply(ws.plan())


def test_changed_rows_are_closed_and_new_versions_added(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(shutil.copytree(PROJECTS / "snapshot", tmp_path / "snapshot"))
    database = tmp_path / "db.duckdb"
    monkeypatch.setenv("DBT_DUCKDB_PATH", str(database))
    _apply(root)
    shutil.copytree(root / "next", root, dirs_exist_ok=True)
    _apply(root)
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute("select id, status, cast(dbt_valid_from as varchar), cast(dbt_valid_to as varchar) "
                           "from main.orders_history order by id, dbt_valid_from").fetchall()
        current = dict(con.execute("select status, n from main.current_status").fetchall())
    assert rows == [(1, "open", "2024-01-01 00:00:00", "2024-01-03 00:00:00"),
                    (1, "shipped", "2024-01-03 00:00:00", None),
                    (2, "open", "2024-01-01 00:00:00", None),
                    (3, "open", "2024-01-02 00:00:00", None)]
    assert current == {"open": 2, "shipped": 1}


def test_a_snapshot_without_its_keys_is_one_located_error(tmp_path: Path) -> None:
    root = Path(shutil.copytree(PROJECTS / "snapshot", tmp_path / "snapshot"))
    path = root / "snapshots" / "orders_history.sql"
    path.write_text(path.read_text().replace(", updated_at='updated_at'", ""))
    with pytest.raises(ConfigError, match="strategy 'timestamp' needs updated_at") as info:
        Workspace.open(root).compile(write_manifest=False)
    assert info.value.file == "snapshots/orders_history.sql" and info.value.line == 2
