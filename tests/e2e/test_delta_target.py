"""A Delta lakehouse target through the real CLI: the template project on a folder and on
Azurite posing as OneLake, with the same rows as on DuckDB."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from deltalake import DeltaTable

from tests.azurite import WELL_KNOWN_KEY, Azurite
from tests.conftest import run_cli, run_cli_in_process

MARTS = ("customers", "orders", "daily_revenue", "customer_segments")


def _init(tmp_path: Path, target_block: str) -> Path:
    result = run_cli("init", "demo", cwd=tmp_path)
    assert result.code == 0, result.output
    project = tmp_path / "demo"
    config = project / "faborite.yml"
    config.write_text(config.read_text().replace("targets:\n", "targets:\n" + target_block, 1))
    return project


def _ok(project: Path, *args: str, env: dict | None = None, run=run_cli):
    result = run(*args, cwd=project, env=env)
    assert result.code == 0, result.output
    return result


def _rows(project: Path, sql: str, target: str, env: dict | None = None) -> list[dict]:
    """Rows read in this process: what a query shows is the rows, not the process (each child costs
    a start-up; plan, apply, rollback and debug run as children)."""
    return json.loads(_ok(project, "query", sql, "--json", "--target", target, env=env,
                          run=run_cli_in_process).stdout)


def _session(project: Path, env: dict | None = None, *, rollback: bool = True) -> None:
    """plan, apply, no changes, edit, apply, rollback, query, debug; same rows as DuckDB.

    The OneLake run (``rollback=False``) skips the comparison with DuckDB: the every-target
    test already compares the template's rows on OneLake, and each CLI call here costs CI time.
    """
    result = _ok(project, "plan", "--target", "lake", env=env)
    assert "Plan: 8 to create" in result.stdout
    assert "not atomic" in result.stdout
    _ok(project, "apply", "--auto-approve", "--target", "lake", env=env)
    assert "No changes." in _ok(project, "plan", "--target", "lake", env=env).stdout
    if rollback:
        _ok(project, "apply", "--auto-approve", "--target", "dev", env=env)
        for mart in MARTS:
            sql = f"select * from main.{mart} order by all"
            assert _rows(project, sql, "lake", env) == _rows(project, sql, "dev", env), mart
    before = _rows(project, "select * from main.orders order by id", "lake", env)

    orders = project / "models/marts/orders.sql"
    orders.write_text(orders.read_text().replace("select o.id, o.amount, c.name", "select o.id, o.amount, c.name, o.status"))
    result = _ok(project, "apply", "--auto-approve", "--target", "lake", env=env)
    assert "1 replaced" in result.stdout
    assert _rows(project, "select status from main.orders where id = 103", "lake", env) == [{"status": "returned"}]

    if not rollback:
        return
    _ok(project, "rollback", "--auto-approve", "--target", "lake", env=env)
    assert _rows(project, "select * from main.orders order by id", "lake", env) == before
    assert "No changes." not in _ok(project, "plan", "--target", "lake", env=env).stdout  # the edit is still there
    result = _ok(project, "debug", "--target", "lake", env=env)
    assert "deltalake" in result.stdout


def test_template_project_on_a_delta_folder(tmp_path: Path) -> None:
    project = _init(tmp_path, "  lake:\n    type: delta\n    path: lakehouse\n")
    _session(project)
    # Any Delta reader sees the published tables; their history shows publish, publish, rollback.
    table = DeltaTable(str(project / "lakehouse/main/orders"))
    assert table.to_pyarrow_table().num_rows == 8
    assert "status" not in table.schema().to_arrow().names
    assert table.version() == 2
    assert all("faborite.mirrors" in h for h in table.history())
    customers = DeltaTable(str(project / "lakehouse/main/customers")).to_pyarrow_table()
    assert customers.num_rows == len(_rows(project, "select * from main.customers", "dev"))


@pytest.mark.service
def test_template_project_on_onelake(tmp_path: Path, azurite: Azurite) -> None:  # noqa: F811
    workspace = f"ws-{uuid.uuid4().hex[:12]}"
    azurite.create_container(workspace, account="onelake")
    options = "".join(f"      {k}: \"{v}\"\n" for k, v in azurite.endpoint_options("onelake").items())
    project = _init(tmp_path, (
        "  lake:\n    type: delta\n"
        f"    path: abfss://{workspace}@onelake.dfs.fabric.microsoft.com/Sales.Lakehouse/Tables\n"
        "    storage_options:\n" + options + "      account_key: \"{{ env_var('ONELAKE_KEY') }}\"\n"))
    env = {"ONELAKE_KEY": WELL_KNOWN_KEY}
    # No rollback on Azurite: deltalake 1.6.6 cannot commit a table's third version there
    # (plain write_deltalake fails the same way); the folder test covers rollback.
    _session(project, env, rollback=False)
    url = f"abfss://{workspace}@onelake.dfs.fabric.microsoft.com/Sales.Lakehouse/Tables/main/orders"
    table = DeltaTable(url, storage_options={**azurite.endpoint_options("onelake"), "account_key": WELL_KNOWN_KEY})
    assert table.to_pyarrow_table().num_rows == 8 and "status" in table.schema().to_arrow().names
    assert WELL_KNOWN_KEY not in _ok(project, "debug", "--target", "lake", env=env).stdout
