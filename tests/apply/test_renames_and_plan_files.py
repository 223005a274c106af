"""Regressions: saved-plan build order, relation renames, seeds with column_types."""

from __future__ import annotations

from pathlib import Path

import pytest

from faborite.errors import ApplyError, ConfigError
from faborite.plan.planfile import load_plan, save_plan
from tests.apply.helpers import apply, edit, published, workspace


def test_saved_plan_builds_parents_first_with_one_thread(demo: Path) -> None:
    apply(demo)
    edit(demo / "models/staging/stg_customers.sql", "    country,\n", "    upper(country) as country,\n")
    save_plan(workspace(demo).plan(record_inputs=True), demo / "p.json")
    ws = workspace(demo)
    ctx = ws.apply(load_plan(demo / "p.json"), threads=1)
    assert ctx.new_state.serial == 2
    assert not workspace(demo).plan().has_changes


def test_renaming_a_relation_unpublishes_the_old_name_and_rollback_restores_it(demo: Path) -> None:
    apply(demo)
    edit(demo / "models/marts/orders.sql", 'config(materialized="table"', 'config(materialized="table", alias="orders_v2"')
    plan = workspace(demo).plan()
    change = next(c for c in plan.changes if c.name == "orders")
    assert (change.old_relation, change.relation) == ("main.orders", "main.orders_v2")
    apply(demo)
    tables = published(demo)
    assert "main.orders_v2" in tables and "main.orders" not in tables
    ws = workspace(demo)
    ws.rollback(ws.plan_rollback())
    tables = published(demo)
    assert "main.orders" in tables and "main.orders_v2" not in tables


def test_a_seed_and_a_model_with_one_name_is_an_error(demo: Path) -> None:
    (demo / "seeds/orders.csv").write_text("id\n1\n")
    with pytest.raises(ConfigError) as info:
        workspace(demo).plan()
    assert "a seed and a model are both named 'orders'" in info.value.message
    assert info.value.file == "models/marts/orders.sql"


def test_column_types_naming_a_missing_column_leaves_nothing_behind(demo: Path) -> None:
    (demo / "seeds/raw_customers.yml").write_text(
        "seeds:\n  - name: raw_customers\n    config: {column_types: {idd: integer}}\n")
    with pytest.raises(ApplyError) as info:
        apply(demo)
    assert "idd" in info.value.message and "id, name, country" in (info.value.hint or "")
    import duckdb

    con = duckdb.connect(str(demo / ".faborite/dev.duckdb"), read_only=True)
    names = [r[0] for r in con.sql("select table_name from information_schema.tables").fetchall()]
    con.close()
    assert not [n for n in names if n.endswith("__staging")]


def test_typed_seed_columns_are_cast(demo: Path) -> None:
    (demo / "seeds/raw_customers.yml").write_text(
        "seeds:\n  - name: raw_customers\n    config: {column_types: {id: smallint, signed_up_at: date}}\n")
    _, ctx = apply(demo)
    columns = {c.name: c.type for c in ctx.new_state.nodes["seed.raw_customers"].columns}
    assert columns["id"] == "SMALLINT" and columns["signed_up_at"] == "DATE"
