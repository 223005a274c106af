"""``faborite state show NODE --schema``: one node's columns and types at every recorded serial."""

from __future__ import annotations

import json
from pathlib import Path

from tests.apply.helpers import apply, edit
from tests.cli.conftest import run_in_process


def test_schema_history_shows_each_serials_columns(capsys, demo: Path) -> None:
    apply(demo)
    edit(demo / "models/marts/daily_revenue.sql", "    count(*) as orders,\n", "")
    apply(demo)
    edit(demo / "models/marts/schema.yml", "Revenue per day", "Revenue each day")
    apply(demo)  # metadata only: same columns

    run = run_in_process(capsys, "--no-color", "--project-dir", str(demo), "state", "show", "daily_revenue",
                         "--schema", "--json")
    assert run.code == 0, run.output
    entries = json.loads(run.out)
    assert [e["serial"] for e in entries] == [1, 2, 3]
    assert [[c["name"] for c in e["columns"]] for e in entries] == [
        ["day", "orders", "revenue"], ["day", "revenue"], ["day", "revenue"]]

    text = run_in_process(capsys, "--no-color", "--project-dir", str(demo), "state", "show", "daily_revenue",
                          "--schema").out
    assert "serial 1" in text and "orders BIGINT" in text and "same columns as serial 2" in text
    current = run_in_process(capsys, "--no-color", "--project-dir", str(demo), "state", "show",
                             "model.daily_revenue").out
    assert "serial 3" in current and "serial 1" not in current


def test_an_unknown_node_is_one_error(capsys, demo: Path) -> None:
    apply(demo)
    run = run_in_process(capsys, "--no-color", "--project-dir", str(demo), "state", "show", "daily_revenu")
    assert run.code == 1 and "no recorded state has a node 'daily_revenu'" in run.err
    assert "did you mean 'daily_revenue'" in run.err
