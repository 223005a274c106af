"""Schedules: a table of schedule x last build x now -> due or not, with a fixed clock; and
``apply --due --now`` through the CLI rebuilding exactly the due nodes and what reads them."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from faborite.compiler.schedule import due_nodes
from faborite.errors import ConfigError
from tests.apply.helpers import edit, workspace
from tests.cli.conftest import run_in_process


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


# (schedule, last build (None: never built), now, due?)
CASES = [
    ("0 6 * * *", "2026-01-01T06:00", "2026-01-01T23:59", False),  # fired at 06:00, built at 06:00
    ("0 6 * * *", "2026-01-01T06:00", "2026-01-02T05:59", False),
    ("0 6 * * *", "2026-01-01T06:00", "2026-01-02T06:00", True),   # fires exactly now
    ("0 6 * * *", "2026-01-01T05:00", "2026-01-01T06:30", True),
    ("0 6 * * *", "2026-01-01T07:00", "2026-01-03T07:00", True),   # missed runs: due once
    ("0 * * * *", "2026-01-01T10:30", "2026-01-01T10:59", False),
    ("0 * * * *", "2026-01-01T10:30", "2026-01-01T11:00", True),
    ("*/15 * * * *", "2026-01-01T10:14", "2026-01-01T10:15", True),
    ("*/15 * * * *", "2026-01-01T10:15", "2026-01-01T10:29", False),
    ("0 6 * * 1", "2026-01-05T07:00", "2026-01-11T23:00", False),  # Mondays; the 5th is one
    ("0 6 * * 1", "2026-01-05T07:00", "2026-01-12T06:00", True),
    ("0 6 1 * *", "2026-01-01T06:00", "2026-01-31T23:00", False),
    ("0 6 1 * *", "2026-01-01T06:00", "2026-02-01T06:01", True),
    ("0 6 * * *", None, "2026-01-01T00:00", True),                 # never built
    (None, "2020-01-01T00:00", "2026-01-01T00:00", False),         # no schedule: never due
]


@pytest.mark.parametrize(("schedule", "last", "now", "expected"), CASES)
def test_due_table(schedule: str | None, last: str | None, now: str, expected: bool) -> None:
    node = SimpleNamespace(id="model.m", schedule=schedule)
    manifest = SimpleNamespace(built_nodes=lambda: [node])
    nodes = {} if last is None else {"model.m": SimpleNamespace(applied_at=_at("2000-01-01T00:00"),
                                                               extra={"scheduled_at": _at(last).isoformat()})}
    state = SimpleNamespace(nodes=nodes)
    assert ("model.m" in due_nodes(manifest, state, _at(now))) is expected


def test_the_build_time_is_applied_at_without_a_recorded_clock() -> None:
    node = SimpleNamespace(id="model.m", schedule="0 6 * * *")
    manifest = SimpleNamespace(built_nodes=lambda: [node])
    state = SimpleNamespace(nodes={"model.m": SimpleNamespace(applied_at=_at("2026-01-01T07:00"), extra={})})
    assert not due_nodes(manifest, state, _at("2026-01-02T05:00"))
    assert due_nodes(manifest, state, _at("2026-01-02T06:00"))


def _schedule(demo: Path) -> None:
    # daily_revenue: config(); customers: properties; stg_orders: a folder default. customer_segments reads customers.
    edit(demo / "models/marts/daily_revenue.sql", "select\n", "{{ config(schedule='0 6 * * *') }}\nselect\n", )
    edit(demo / "models/marts/schema.yml", "  - name: customers\n", "  - name: customers\n    config: {schedule: '0 * * * *'}\n")
    edit(demo / "faborite.yml", "models:\n", "models:\n  staging:\n    +schedule: '30 5 * * *'\n")


def _faborite(capsys, demo: Path, *args: str):
    run = run_in_process(capsys, "--no-color", "--project-dir", str(demo), *args)
    assert run.code == 0, run.output
    return run


def _rebuilt(demo: Path, before) -> set[str]:
    after = workspace(demo).state()
    return {i for i, n in after.nodes.items() if n.physical != before.nodes[i].physical}


def test_apply_due_rebuilds_exactly_the_due_nodes_and_their_readers(capsys, demo: Path) -> None:
    _schedule(demo)
    _faborite(capsys, demo, "apply", "--auto-approve", "--now", "2026-01-01T06:10:00Z")
    state = workspace(demo).state()
    assert state.nodes["model.daily_revenue"].extra["scheduled_at"] == "2026-01-01T06:10:00+00:00"

    # 06:40: nothing fired since 06:10 (hourly fires at 07:00).
    quiet = _faborite(capsys, demo, "apply", "--auto-approve", "--due", "--now", "2026-01-01T06:40:00Z")
    assert "No changes in the selected nodes" in quiet.out
    assert workspace(demo).state().serial == state.serial

    # plan --due previews the same selection; a saved --due plan applies as reviewed.
    preview = _faborite(capsys, demo, "plan", "--due", "--now", "2026-01-01T07:00:00Z")
    assert "Partial plan (--due --now 2026-01-01T07:00:00+00:00): 2 of 8 nodes selected" in preview.out

    # 07:00: customers (hourly) is due; customer_segments reads it; nothing else.
    hourly = _faborite(capsys, demo, "apply", "--auto-approve", "--due", "--now", "2026-01-01T07:00:00Z")
    assert "due: schedule '0 * * * *' fired at 2026-01-01 07:00 UTC" in hourly.out
    assert _rebuilt(demo, state) == {"model.customers", "model.customer_segments"}

    # Next day 05:45: the staging folder's schedule fired: both staging models and everything reading them.
    state = workspace(demo).state()
    _faborite(capsys, demo, "apply", "--auto-approve", "--due", "--now", "2026-01-02T05:45:00Z")
    assert _rebuilt(demo, state) == set(state.nodes) - {"seed.raw_customers", "seed.raw_orders"}

    # 06:00: daily_revenue (daily) and customers (hourly) are due, and customer_segments reads customers.
    state = workspace(demo).state()
    _faborite(capsys, demo, "apply", "--auto-approve", "--due", "--now", "2026-01-02T06:00:00Z")
    assert _rebuilt(demo, state) == {"model.daily_revenue", "model.customers", "model.customer_segments"}

    # The schedule is metadata: changing it rebuilds nothing.
    edit(demo / "models/marts/daily_revenue.sql", "0 6 * * *", "0 7 * * *")
    plan = workspace(demo).plan()
    assert {c.name: c.action.value for c in plan.visible_changes()} == {"daily_revenue": "update"}


def test_a_bad_cron_is_a_config_error(demo: Path) -> None:
    edit(demo / "models/marts/daily_revenue.sql", "select\n", "{{ config(schedule='every day') }}\nselect\n")
    with pytest.raises(ConfigError) as info:
        workspace(demo).compile()
    assert "not a cron expression" in info.value.message and info.value.file == "models/marts/daily_revenue.sql"


def test_due_rebuilds_every_descendant_down_a_three_level_chain(tmp_path: Path) -> None:
    """A due model reads a database source whose rows changed outside faborite (the plan cannot
    see it: that is what the schedule is for); the view and the table below it must be rebuilt
    too, or the table would keep the old rows. A model beside the chain is left alone."""
    import duckdb

    from faborite.api import Workspace

    root = tmp_path / "p"
    (root / "models").mkdir(parents=True)
    (root / "seeds").mkdir()
    (root / ".faborite").mkdir()
    (root / "faborite.yml").write_text("name: p\n")
    (root / "seeds/other.csv").write_text("id\n1\n")
    (root / "models/sources.yml").write_text("sources:\n  - name: raw\n    schema: raw\n    tables:\n      - name: events\n")
    (root / "models/a.sql").write_text("{{ config(materialized='table', schedule='0 * * * *') }}\n"
                                       "select id from {{ source('raw', 'events') }}\n")
    (root / "models/b.sql").write_text("{{ config(materialized='view') }}\nselect id * 10 as id from {{ ref('a') }}\n")
    (root / "models/c.sql").write_text("{{ config(materialized='table') }}\nselect id + 1 as id from {{ ref('b') }}\n")
    (root / "models/c_inc.sql").write_text(
        "{{ config(materialized='incremental') }}\nselect id + 1 as id from {{ ref('b') }}\n"
        "{% if is_incremental() %}where id + 1 > (select max(id) from {{ this }}){% endif %}\n")
    (root / "models/beside.sql").write_text("{{ config(materialized='table') }}\nselect id from {{ ref('other') }}\n")
    database = root / ".faborite/dev.duckdb"

    def sql(statement: str) -> list[tuple]:
        con = duckdb.connect(str(database))
        try:
            return con.sql(statement).fetchall() if statement.startswith("select") else con.execute(statement) and []
        finally:
            con.close()

    sql("create schema raw")
    sql("create table raw.events as select 1 as id")
    ws = Workspace(root=root)
    ws.apply(ws.plan(clock=_at("2026-01-01T06:10")))
    before = Workspace(root=root).state()
    sql("insert into raw.events values (2)")

    quiet = Workspace(root=root).plan(due=True, clock=_at("2026-01-01T06:40"))
    assert not [c for c in quiet.changes if c.rebuild]

    ws = Workspace(root=root)
    plan = ws.plan(due=True, clock=_at("2026-01-01T07:00"))
    assert {c.name for c in plan.changes if c.rebuild} == {"a", "b", "c", "c_inc"}
    assert [c.name for c in plan.changes if c.incremental_from] == ["c_inc"]  # updated, not rebuilt whole
    ws.apply(plan)
    after = Workspace(root=root).state()
    rebuilt = {i for i, n in after.nodes.items() if n.physical != before.nodes[i].physical}
    assert rebuilt == {"model.a", "model.b", "model.c", "model.c_inc"}
    assert sorted(sql("select id from main.c")) == sorted(sql("select id from main.c_inc")) == [(11,), (21,)]
