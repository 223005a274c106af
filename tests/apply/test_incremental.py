"""Incremental models on DuckDB: what the plan says, what apply builds, what state keeps."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from faborite.api import Workspace, rebuild_options
from faborite.errors import ApplyError, ConfigError, PlanError
from tests.apply.helpers import edit, published

MODEL = """{{ config(materialized='incremental', unique_key='id') }}
select id, v, seq from {{ ref('src') }}
{% if is_incremental() %}where seq > (select max(seq) from {{ this }}){% endif %}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    (root / "models").mkdir(parents=True)
    (root / "seeds").mkdir()
    (root / "faborite.yml").write_text("name: p\n")
    (root / "seeds/src.csv").write_text("id,v,seq\n1,a,1\n2,b,2\n")
    (root / "models/inc.sql").write_text(MODEL)
    return root


def _apply(root: Path, **plan_options):
    ws = Workspace(root=root)
    plan = ws.plan(**plan_options)
    ws.apply(plan)
    return plan


def _change(plan, name: str):
    return next(c for c in plan.changes if c.name == name)


def _statements(monkeypatch) -> list[str]:
    from faborite.providers.duckdb import DuckDBConnection

    seen: list[str] = []
    original = DuckDBConnection.execute

    def recording(self, sql: str):
        seen.append(sql)
        return original(self, sql)

    monkeypatch.setattr(DuckDBConnection, "execute", recording)
    return seen


def test_new_rows_update_the_model_from_its_previous_version(project: Path, monkeypatch) -> None:
    first = _apply(project)
    assert "incremental_from" not in _change(first, "inc").model_dump(exclude_none=True)
    old_physical = Workspace(root=project).state().nodes["model.inc"].physical
    (project / "seeds/src.csv").write_text("id,v,seq\n1,A,3\n2,b,2\n3,c,4\n")
    statements = _statements(monkeypatch)
    plan = _apply(project)
    change = _change(plan, "inc")
    assert change.incremental_from == old_physical
    assert change.reasons[0].code == "incremental"
    assert change.reasons[0].detail.startswith("incremental: merge on id: rows where seq > (SELECT MAX(seq)")
    assert not change.is_destructive
    # {{ this }} read the previous physical version, never the published view.
    delta = next(s for s in statements if "__delta" in s and s.startswith("CREATE TABLE"))
    assert change.incremental_from.split(".")[1] in delta and '"main"."inc"' not in delta
    assert published(project)["main.inc"] == [(1, "A", 3), (2, "b", 2), (3, "c", 4)]
    state = Workspace(root=project).state()
    # The new version is generation 2 of the store the first build started (the rows are shared).
    first_store = f"{old_physical}__rows"
    assert state.nodes["model.inc"].extra["incremental"] == {"strategy": "merge", "store": first_store,
                                                             "generation": 2}


def test_a_changed_model_is_rebuilt_in_full_and_says_why(project: Path) -> None:
    _apply(project)
    edit(project / "models/inc.sql", "select id, v, seq", "select id, upper(v) as v, seq")
    change = _change(Workspace(root=project).plan(), "inc")
    assert change.rebuild and change.incremental_from is None
    assert change.reasons[0].detail == "full rebuild: the model's SQL or config changed"


def test_full_refresh_and_protect(project: Path) -> None:
    _apply(project)
    (project / "seeds/src.csv").write_text("id,v,seq\n1,a,1\n2,b,2\n3,c,3\n")
    for names in ([], ["inc"], ["model.inc"]):
        change = _change(Workspace(root=project).plan(rebuild=rebuild_options(names)), "inc")
        assert change.incremental_from is None and change.reasons[0].detail == "full rebuild: --full-refresh"
    with pytest.raises(PlanError, match="--full-refresh ink: no incremental model") as info:
        Workspace(root=project).plan(rebuild=rebuild_options(["ink"]))
    assert info.value.hint == "did you mean 'inc'?"
    edit(project / "models/inc.sql", "unique_key='id'", "unique_key='id', protect=true")
    assert _change(Workspace(root=project).plan(), "inc").incremental_from  # protect alone changes nothing
    with pytest.raises(PlanError, match="is protected") as info:
        Workspace(root=project).plan(rebuild=rebuild_options([]))
    assert "--allow-rebuild inc" in (info.value.hint or "")
    plan = _apply(project, rebuild=rebuild_options([], ["inc"]))
    assert _change(plan, "inc").reasons[0].detail == "full rebuild: --full-refresh"
    assert published(project)["main.inc"] == [(1, "a", 1), (2, "b", 2), (3, "c", 3)]


def test_merge_refuses_duplicate_keys_and_delete_insert_keeps_them(project: Path) -> None:
    _apply(project)
    (project / "seeds/src.csv").write_text("id,v,seq\n1,a,1\n2,b,2\n3,c,3\n3,d,4\n")
    with pytest.raises(ApplyError, match="2 unique_key value|1 unique_key value"):
        _apply(project)
    assert published(project)["main.inc"] == [(1, "a", 1), (2, "b", 2)]  # nothing published
    edit(project / "models/inc.sql", "unique_key='id'", "unique_key='id', incremental_strategy='delete+insert'")
    # A strategy change is a config change: a full rebuild.
    assert _change(_apply(project), "inc").reasons[0].code == "full_rebuild"
    assert published(project)["main.inc"] == [(1, "a", 1), (2, "b", 2), (3, "c", 3), (3, "d", 4)]


def test_microbatch_records_its_high_water_mark(tmp_path: Path) -> None:
    root = tmp_path / "m"
    (root / "models").mkdir(parents=True)
    (root / "seeds").mkdir()
    (root / "faborite.yml").write_text("name: m\n")
    (root / "seeds/ev.csv").write_text("id,event_at\n1,2024-01-01 10:00:00\n2,2024-01-03 09:00:00\n")
    (root / "models/daily.sql").write_text(
        "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='event_at', "
        "batch_size='day', lookback=1, begin='2024-01-02') }}\nselect id, event_at from {{ ref('ev') }}\n")
    _apply(root)
    assert published(root)["main.daily"] == [(2, datetime(2024, 1, 3, 9))]  # nothing before begin
    state = Workspace(root=root).state()
    recorded = state.nodes["model.daily"].extra["incremental"]
    assert recorded["high_water_mark"] == "2024-01-03T09:00:00" and recorded["generation"] == 1
    (root / "seeds/ev.csv").write_text("id,event_at\n1,2024-01-01 10:00:00\n2,2024-01-03 09:00:00\n"
                                       "3,2024-01-02 23:00:00\n4,2024-01-04 01:00:00\n")
    change = _change(Workspace(root=root).plan(), "daily")
    assert change.reasons[0].detail == ("incremental: microbatch by day on event_at: rows from "
                                        "2024-01-02 00:00:00 rebuilt, earlier batches kept")
    _apply(root)
    assert [r[0] for r in published(root)["main.daily"]] == [2, 3, 4]


def test_incremental_config_errors(project: Path) -> None:
    edit(project / "models/inc.sql", "unique_key='id'", "incremental_strategy='merge'")
    with pytest.raises(ConfigError, match="needs a unique_key"):
        Workspace(root=project).compile(write_manifest=False, refresh=False)
    edit(project / "models/inc.sql", "incremental_strategy='merge'", "incremental_strategy='microbatch'")
    with pytest.raises(ConfigError, match="needs event_time, batch_size"):
        Workspace(root=project).compile(write_manifest=False, refresh=False)


def test_rollback_returns_the_previous_version_untouched(project: Path) -> None:
    _apply(project)
    first = published(project)
    (project / "seeds/src.csv").write_text("id,v,seq\n1,A,3\n2,b,2\n")
    _apply(project)
    assert published(project) != first
    ws = Workspace(root=project)
    ws.rollback(ws.plan_rollback())
    assert published(project) == first
    con = duckdb.connect(str(project / ".faborite/dev.duckdb"), read_only=True)
    try:
        tables = con.sql("select table_name from information_schema.tables where table_schema = 'faborite__main' "
                         "and table_name like 'inc__%'").fetchall()
    finally:
        con.close()
    # Both versions kept (two views over one row store and its catalog), no staging left.
    names = sorted(t[0] for t in tables)
    assert len(names) == 4 and not any("delta" in n for n in names)
    assert sum(n.endswith("__rows") for n in names) == 1


def test_a_missing_previous_version_means_a_full_rebuild(project: Path) -> None:
    _apply(project)
    physical = Workspace(root=project).state().nodes["model.inc"].physical
    con = duckdb.connect(str(project / ".faborite/dev.duckdb"))
    try:
        con.execute(f"drop view {physical} cascade")
    finally:
        con.close()
    (project / "seeds/src.csv").write_text("id,v,seq\n1,a,1\n2,b,2\n3,c,3\n")
    change = _change(_apply(project), "inc")
    assert change.incremental_from is None
    assert change.reasons[0].detail == "full rebuild: its published version is missing"
    assert published(project)["main.inc"] == [(1, "a", 1), (2, "b", 2), (3, "c", 3)]
