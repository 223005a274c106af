"""A remembered no-change plan: recalled only while everything a full plan reads is unchanged.

Each test makes the memo with a full plan that found nothing, changes one thing
the full plan reads, and checks that nothing is recalled (and that a full plan
then says what is true).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import duckdb
import pytest

from faborite.api import Workspace
from faborite.no_change_memo import KnownNoChange, memo_path
from tests.config.projects import edit, proj, write  # noqa: F401 - proj: fixture

STG = "models/staging/stg_orders.sql"
DB = ".faborite/dev.duckdb"


@pytest.fixture
def applied(proj: Path) -> Path:
    """The template project, applied once."""
    ws = Workspace(root=proj)
    ws.apply(ws.plan(refresh=False))
    return proj


def _plan(root: Path, refresh: bool = False, **kwargs):
    return Workspace(root=root, **kwargs).plan(refresh=refresh)


def _known(root: Path, refresh: bool = False, **kwargs) -> KnownNoChange | None:
    return Workspace(root=root, **kwargs).known_no_change(refresh=refresh)


def _remembered(root: Path, refresh: bool = False, **kwargs) -> None:
    assert not _plan(root, refresh, **kwargs).has_changes
    assert _known(root, refresh, **kwargs) == KnownNoChange(refreshed=refresh)


def test_nothing_is_known_before_a_plan_found_nothing(applied: Path) -> None:
    assert _known(applied) is None and _known(applied, refresh=True) is None
    _remembered(applied)
    assert _known(applied, refresh=True) is None, "an offline plan says nothing about the target"
    _remembered(applied, refresh=True)


def test_a_plan_with_changes_forgets(applied: Path) -> None:
    _remembered(applied)
    edit(applied, STG, "status,", "status, 1 as one,")
    assert _plan(applied).has_changes
    assert not memo_path(applied / ".faborite/cache", refresh=False).exists()
    edit(applied, STG, "status, 1 as one,", "status,")
    assert _known(applied) is None


def test_another_apply_changes_the_state(applied: Path) -> None:
    _remembered(applied)
    edit(applied, STG, "status,", "status, 1 as one,")
    ws = Workspace(root=applied)
    ws.apply(ws.plan(refresh=False))
    edit(applied, STG, "status, 1 as one,", "status,")  # the files are as remembered, the state is not
    assert _known(applied) is None
    assert _plan(applied).has_changes, "the full plan sees the state moved"


def test_a_rollback_changes_the_state(applied: Path) -> None:
    edit(applied, STG, "status,", "status, 1 as one,")
    ws = Workspace(root=applied)
    ws.apply(ws.plan(refresh=False))
    _remembered(applied)
    ws = Workspace(root=applied)
    ws.rollback(ws.plan_rollback())
    assert _known(applied) is None and _known(applied, refresh=True) is None
    assert _plan(applied).has_changes


def test_a_pending_intent_or_edited_snapshot_is_a_miss(applied: Path) -> None:
    _remembered(applied)
    state_dir = applied / ".faborite/state/dev"
    latest = sorted(state_dir.glob("serial-*.json"))[-1]
    (state_dir / "intent.json").write_bytes(latest.read_bytes())
    assert _known(applied) is None
    (state_dir / "intent.json").unlink()
    _remembered(applied)
    latest.write_bytes(latest.read_bytes())  # rewritten in place: another identity, whatever it holds
    assert _known(applied) is None


def test_a_touched_file_is_a_miss(applied: Path) -> None:
    _remembered(applied)
    path = applied / STG
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert _known(applied) is None
    _remembered(applied)  # compiled again (the same text): remembered again


def test_an_added_file_is_a_miss(applied: Path) -> None:
    _remembered(applied)
    write(applied, "models/marts/extra.sql", "select 1 as one\n")
    assert _known(applied) is None
    assert _plan(applied).has_changes


def test_an_environment_variable_a_compile_read(applied: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAB_TEST_REGION", "eu")
    write(applied, "models/marts/region.sql", "select '{{ env_var(\"FAB_TEST_REGION\") }}' as region\n")
    ws = Workspace(root=applied)
    ws.apply(ws.plan(refresh=False))
    _remembered(applied)
    monkeypatch.setenv("FAB_TEST_UNRELATED", "1")
    assert _known(applied) is not None, "a variable nothing reads does not matter"
    monkeypatch.setenv("FAB_TEST_REGION", "us")
    assert _known(applied) is None
    assert _plan(applied).has_changes


def test_an_environment_variable_the_target_block_reads(applied: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edit(applied, "faborite.yml", f"path: {DB}", f"path: \"{{{{ env_var('FAB_TEST_DB', '{DB}') }}}}\"")
    _remembered(applied, refresh=True)
    monkeypatch.setenv("FAB_TEST_DB", ".faborite/other.duckdb")
    assert _known(applied, refresh=True) is None
    assert _plan(applied, refresh=True).drift, "the other database holds nothing"


def test_target_env_vars_and_profile_flags(applied: Path) -> None:
    _remembered(applied)
    assert _known(applied, target_name="dev") is None, "the default target, named: another question"
    assert _known(applied, env_name="feature") is None, "--env: never recalled"
    assert _known(applied, vars_override={"start_date": "2025-01-01"}) is None
    assert _known(applied) is not None


def test_a_plan_in_an_environment_or_of_a_selection_is_not_remembered(applied: Path) -> None:
    from faborite.api import node_selection

    Workspace(root=applied, env_name="feature").plan(refresh=False)
    assert _known(applied) is None and _known(applied, env_name="feature") is None
    _remembered(applied)
    Workspace(root=applied).plan(refresh=False, selection=node_selection(("stg_orders",), ()))
    assert _known(applied) is not None, "a partial plan leaves the whole project's answer alone"


def _drop_behind_faboritess_back(root: Path, sql: str) -> None:
    con = duckdb.connect(str(root / DB))
    try:
        con.execute(sql)
    finally:
        con.close()


def test_with_refresh_the_drift_check_runs_again(applied: Path) -> None:
    _remembered(applied)
    _remembered(applied, refresh=True)
    _drop_behind_faboritess_back(applied, "DROP VIEW main.stg_orders")
    assert _known(applied, refresh=True) is None, "drift: the remembered observation no longer holds"
    assert _known(applied) is not None, "offline, the plan does not look at the target (and says so)"
    assert _plan(applied, refresh=True).drift


def test_with_refresh_a_new_relation_in_a_watched_schema_is_a_miss(applied: Path) -> None:
    _remembered(applied, refresh=True)
    _drop_behind_faboritess_back(applied, "CREATE TABLE main.someone_elses AS SELECT 1 AS a")
    assert _known(applied, refresh=True) is None  # conservative: any catalog change is a full plan


def test_a_missing_target_is_a_miss_not_an_error(applied: Path) -> None:
    _remembered(applied, refresh=True)
    (applied / DB).unlink()
    assert _known(applied, refresh=True) is None


def test_a_damaged_memo_is_a_miss(applied: Path) -> None:
    _remembered(applied)
    path = memo_path(applied / ".faborite/cache", refresh=False)
    path.write_text("{not json")
    assert _known(applied) is None
    _remembered(applied)
    path.chmod(0o666)  # writable by anyone: not trusted
    assert _known(applied) is None


def test_a_plan_from_a_compile_without_a_key_is_not_remembered(applied: Path) -> None:
    ws = Workspace(root=applied)
    ws.compile(write_manifest=False)  # a key: this compile could be named
    assert not ws.plan(refresh=False).has_changes  # the project is loaded now: compiled without a key
    assert _known(applied) is None, "the second compile's files are not the first one's listing"


@pytest.fixture
def aged_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Catalog files count as settled at once (they are racy for 2 s after a write otherwise)."""
    from faborite import catalog_stamp

    monkeypatch.setattr(catalog_stamp, "RACY_SECONDS", 0.0)


def _refuse_to_connect(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self, *args, **kwargs):
        raise AssertionError("the recall opened the database")

    monkeypatch.setattr(Workspace, "connect", refuse)


def test_with_refresh_unchanged_catalog_files_stand_for_the_query(
        applied: Path, aged_at_once: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _remembered(applied, refresh=True)
    stamp = json.loads(memo_path(applied / ".faborite/cache", refresh=True).read_text())["catalog_stamp"]
    assert [entry[0] for entry in stamp] == [str(applied / DB), str(applied / DB) + ".wal"]
    _refuse_to_connect(monkeypatch)
    assert _known(applied, refresh=True) == KnownNoChange(refreshed=True)


@pytest.mark.parametrize("sql", ["DROP VIEW main.stg_orders", "CREATE TABLE main.someone_elses AS SELECT 1 AS a",
                                 "CREATE OR REPLACE VIEW main.stg_orders AS SELECT 1 AS a"])
def test_with_refresh_a_change_behind_the_stamp_is_a_miss(applied: Path, aged_at_once: None, sql: str) -> None:
    _remembered(applied, refresh=True)
    time.sleep(0.02)  # past one timestamp tick
    _drop_behind_faboritess_back(applied, sql)
    assert _known(applied, refresh=True) is None
    plan = _plan(applied, refresh=True)
    assert plan.drift or plan.has_changes or sql.startswith("CREATE TABLE")


def test_a_catalog_written_just_now_is_not_stamped_but_still_recalled(
        applied: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Right after an apply the database file is racy: no stamp, so the recall asks the catalog."""
    from faborite import catalog_stamp

    monkeypatch.setattr(catalog_stamp, "RACY_SECONDS", 3600.0)  # "just now", however slow this machine
    _remembered(applied, refresh=True)
    assert _known(applied, refresh=True) is not None
    memo = json.loads(memo_path(applied / ".faborite/cache", refresh=True).read_text())
    assert memo["catalog_stamp"] is None
    _drop_behind_faboritess_back(applied, "DROP VIEW main.stg_orders")
    assert _known(applied, refresh=True) is None


def test_a_recall_that_queried_stamps_the_memo(applied: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from faborite import catalog_stamp

    monkeypatch.setattr(catalog_stamp, "RACY_SECONDS", 3600.0)
    _remembered(applied, refresh=True)  # racy: remembered without a stamp
    path = memo_path(applied / ".faborite/cache", refresh=True)
    assert json.loads(path.read_text())["catalog_stamp"] is None
    monkeypatch.setattr(catalog_stamp, "RACY_SECONDS", 0.0)
    assert _known(applied, refresh=True) is not None  # asked the catalog, and stamped what it saw
    assert json.loads(path.read_text())["catalog_stamp"] is not None
    _refuse_to_connect(monkeypatch)
    assert _known(applied, refresh=True) is not None
