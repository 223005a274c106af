"""``state pull`` and ``state push``: the state as a file, and a file as the next serial."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from faborite.state.file_format import dumps
from faborite.state.local import LocalStateBackend
from tests.cli.conftest import run_in_process
from tests.state.conformance import first_state, make_event, make_node


@pytest.fixture
def backend(demo: Path) -> LocalStateBackend:
    return LocalStateBackend(demo / ".faborite/state/dev")


def state_cli(capsys, demo: Path, *args: str):
    return run_in_process(capsys, "--no-color", "--project-dir", str(demo), "state", *args)


def two_serials(backend: LocalStateBackend):
    s1 = first_state()
    backend.write(s1, expected_serial=None)
    s2 = s1.next(nodes=[make_node(version="b" * 64)], event=make_event(), faborite_version="0.1.0")
    backend.write(s2, expected_serial=1)
    return s1, s2


def test_pull_before_any_state_is_an_error(capsys, demo: Path) -> None:
    result = state_cli(capsys, demo, "pull")
    assert result.code == 1 and "no state yet" in result.err


def test_pull_prints_or_writes_the_current_state(capsys, demo: Path, backend, tmp_path: Path) -> None:
    _, s2 = two_serials(backend)
    result = state_cli(capsys, demo, "pull")
    assert result.code == 0 and result.out == dumps(s2).decode()
    out = tmp_path / "state.json"
    assert state_cli(capsys, demo, "pull", "-o", str(out)).code == 0
    assert out.read_bytes() == dumps(s2)


def test_push_needs_confirmation(capsys, demo: Path, backend, tmp_path: Path) -> None:
    file = tmp_path / "s.json"
    file.write_bytes(dumps(first_state()))
    result = state_cli(capsys, demo, "push", str(file))
    assert result.code == 1 and "confirmation" in result.err
    assert backend.read() is None


def test_push_into_an_empty_target_is_serial_1_of_the_files_lineage(capsys, demo, backend, tmp_path) -> None:
    pushed = first_state().model_copy(update={"serial": 7})
    file = tmp_path / "s.json"
    file.write_bytes(dumps(pushed))
    result = state_cli(capsys, demo, "push", str(file), "--auto-approve")
    assert result.code == 0, result.err
    current = backend.read()
    assert (current.serial, current.lineage, current.nodes) == (1, pushed.lineage, pushed.nodes)
    assert current.event.operation == "push"
    # Serials are renumbered, never copied: the file (serial 7) still counts as newer than serial 1.
    again = state_cli(capsys, demo, "push", str(file), "--auto-approve")
    assert again.code == 0 and backend.read().serial == 2


def test_push_of_the_current_state_changes_nothing(capsys, demo, backend, tmp_path) -> None:
    _, s2 = two_serials(backend)
    file = tmp_path / "s.json"
    file.write_bytes(dumps(s2))
    result = state_cli(capsys, demo, "push", str(file), "--auto-approve")
    assert result.code == 0 and "No changes" in result.out
    assert [h.serial for h in backend.history()] == [1, 2]


def test_push_of_an_older_serial_is_refused_unless_forced(capsys, demo, backend, tmp_path) -> None:
    s1, _ = two_serials(backend)
    file = tmp_path / "s1.json"
    file.write_bytes(dumps(s1))
    refused = state_cli(capsys, demo, "push", str(file), "--auto-approve")
    assert refused.code == 1 and "older than the current serial 2" in refused.err and "--force" in refused.err
    assert backend.read().serial == 2
    forced = state_cli(capsys, demo, "push", str(file), "--auto-approve", "--force")
    assert forced.code == 0, forced.err
    current = backend.read()
    assert current.serial == 3 and current.nodes == s1.nodes and current.lineage == s1.lineage
    assert [h.event.operation for h in backend.history()] == ["apply", "apply", "push"]


def test_push_of_another_lineage_or_target_is_refused(capsys, demo, backend, tmp_path) -> None:
    two_serials(backend)
    other = first_state().model_copy(update={"serial": 5})
    file = tmp_path / "other.json"
    file.write_bytes(dumps(other))
    refused = state_cli(capsys, demo, "push", str(file), "--auto-approve")
    assert refused.code == 1 and "from lineage" in refused.err
    prod = tmp_path / "prod.json"
    prod.write_bytes(dumps(backend.read().model_copy(update={"target": "prod", "serial": 9})))
    refused = state_cli(capsys, demo, "push", str(prod), "--auto-approve")
    assert refused.code == 1 and "target 'prod', not 'dev'" in refused.err
    assert backend.read().serial == 2 and backend.lock_info() is None


def test_pulled_json_is_the_state(capsys, demo, backend) -> None:
    _, s2 = two_serials(backend)
    data = json.loads(state_cli(capsys, demo, "pull").out)
    assert (data["format_version"], data["serial"], data["lineage"]) == (1, 2, s2.lineage)
