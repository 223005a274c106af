"""``state migrate``: the whole history copied, verified, the old backend read-only (local <-> postgres)."""

from __future__ import annotations

from pathlib import Path

import pytest

from faborite.errors import StateError
from faborite.state import LocalStateBackend
from faborite.state.file_format import dumps
from faborite.state.migrate import migrate
from tests.cli.conftest import run_in_process, write

from .conformance import first_state, make_event, make_node

URL_ENV = "FABORITE_TEST_STATE_URL"
TO_POSTGRES = f"{{type: postgres, url_env: {URL_ENV}}}"


def three_serials(backend):
    s1 = first_state()
    backend.write(s1, expected_serial=None)
    s2 = s1.next(nodes=[make_node(version="b" * 64)], event=make_event(), faborite_version="0.1.0")
    backend.write(s2, expected_serial=1)
    s3 = s2.next(nodes={}, event=make_event("rollback", rolled_back_to=1), faborite_version="0.1.0")
    backend.write(s3, expected_serial=2)
    return [s1, s2, s3]


def test_copies_every_serial_and_marks_the_old_read_only(tmp_path):
    old, new = LocalStateBackend(tmp_path / "old"), LocalStateBackend(tmp_path / "new")
    states = three_serials(old)
    result = migrate(old, new, moved_to="{type: elsewhere}")
    assert (result.serials, result.already_there, result.marker_serial) == (3, 0, 4)
    assert [dumps(new.read_serial(s)) for s in (1, 2, 3)] == [dumps(s) for s in states]
    assert new.read() == states[-1] and new.lock_info() is None and old.lock_info() is None
    marker = old.read()
    assert marker.serial == 4 and marker.nodes == states[-1].nodes
    assert marker.event.operation == "migrate" and marker.event.moved_to == "{type: elsewhere}"
    with pytest.raises(StateError, match="moved to {type: elsewhere}") as caught:
        old.write(marker.next(nodes={}, event=make_event(), faborite_version="0.1.0"), expected_serial=4)
    assert caught.value.hint == "set `state: {type: elsewhere}` for target 'dev' in faborite.yml"
    with pytest.raises(StateError, match="moved to"):
        migrate(old, LocalStateBackend(tmp_path / "third"), moved_to="x")


def test_an_interrupted_copy_is_resumed(tmp_path):
    old, new = LocalStateBackend(tmp_path / "old"), LocalStateBackend(tmp_path / "new")
    states = three_serials(old)
    new.write(states[0], expected_serial=None)  # the first run stopped after serial 1
    assert migrate(old, new, moved_to="x").already_there == 1
    assert [h.serial for h in new.history()] == [1, 2, 3]


def test_a_destination_with_other_state_is_refused_and_nothing_changes(tmp_path):
    old, new = LocalStateBackend(tmp_path / "old"), LocalStateBackend(tmp_path / "new")
    three_serials(old)
    new.write(first_state(), expected_serial=None)  # another lineage
    with pytest.raises(StateError, match="differs"):
        migrate(old, new, moved_to="x")
    assert old.read().serial == 3 and old.lock_info() is None and new.lock_info() is None


def test_nothing_to_migrate(tmp_path):
    with pytest.raises(StateError, match="nothing to migrate"):
        migrate(LocalStateBackend(tmp_path / "old"), LocalStateBackend(tmp_path / "new"), moved_to="x")


def test_a_pending_intent_is_refused(tmp_path):
    old = LocalStateBackend(tmp_path / "old")
    states = three_serials(old)
    old.write_intent(states[-1].next(nodes={}, event=make_event(), faborite_version="0.1.0"))
    with pytest.raises(StateError, match="interrupted"):
        migrate(old, LocalStateBackend(tmp_path / "new"), moved_to="x")


# -- through the CLI, with a real PostgreSQL -----------------------------------------------


def cli(capsys, root: Path, *args: str):
    return run_in_process(capsys, "--no-color", "--project-dir", str(root), *args)


def config(root: Path, state_block: str = "") -> None:
    write(root, "faborite.yml", "name: tiny\ntargets:\n  dev:\n    type: duckdb\n    path: .faborite/dev.duckdb\n"
                                + (f"    state: {state_block}\n" if state_block else ""))


def project(root: Path) -> Path:
    config(root)
    write(root, "seeds/s.csv", "id\n1\n")
    write(root, "models/m.sql", "{{ config(materialized='table') }}\nselect id from {{ ref('s') }}\n")
    return root


@pytest.fixture
def state_url(postgres, pg_database, monkeypatch):  # noqa: F811
    monkeypatch.setenv(URL_ENV, f"postgresql://{postgres.user}@{postgres.host}:{postgres.port}/{pg_database}")


@pytest.mark.service
def test_local_to_postgres_and_back(capsys, tmp_path, state_url):
    root = project(tmp_path / "p")
    assert cli(capsys, root, "apply", "--auto-approve").code == 0
    write(root, "models/m.sql", "{{ config(materialized='table') }}\nselect id, 2 as two from {{ ref('s') }}\n")
    assert cli(capsys, root, "apply", "--auto-approve").code == 0
    local = LocalStateBackend(root / ".faborite/state/dev")
    before = [dumps(local.read_serial(s)) for s in (1, 2)]

    result = cli(capsys, root, "state", "migrate", "--to", TO_POSTGRES, "--auto-approve")
    assert result.code == 0, result.err
    assert "Copied serials 1-2" in result.out
    assert f"Next: set `state: {TO_POSTGRES}` for target dev in faborite.yml." in result.out

    # Until the key is switched, writes to the old state are refused before anything is built.
    write(root, "models/m.sql", "{{ config(materialized='table') }}\nselect id, 2 as two, 3 as three from {{ ref('s') }}\n")
    refused = cli(capsys, root, "apply", "--auto-approve")
    assert refused.code == 1 and "was moved to" in refused.err and f"state: {TO_POSTGRES}" in refused.err
    assert local.read().serial == 3  # only the marker

    config(root, TO_POSTGRES)  # the user switches the key
    history = cli(capsys, root, "state", "history", "--json")
    assert history.code == 0 and '"serial": 2' in history.out and '"migrate"' not in history.out
    assert cli(capsys, root, "apply", "--auto-approve").code == 0
    from faborite.api import Workspace

    in_postgres = Workspace.open(root).state_backend
    assert [dumps(in_postgres.read_serial(s)) for s in (1, 2)] == before
    assert in_postgres.read().serial == 3

    # And back: postgres -> local (a fresh local folder).
    import shutil

    shutil.rmtree(root / ".faborite/state/dev")
    back = cli(capsys, root, "state", "migrate", "--to", "local", "--auto-approve")
    assert back.code == 0, back.err
    assert [h.serial for h in local.history()] == [1, 2, 3]
    assert in_postgres.read().event.moved_to == "{type: local}"
    in_postgres.close()
    config(root)
    assert cli(capsys, root, "plan").out.count("No changes") == 1
