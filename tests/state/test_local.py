"""LocalStateBackend: the conformance suite plus crash safety on disk."""

from __future__ import annotations

import os

import pytest

from faborite.errors import LockError, StateError
from faborite.state import LocalStateBackend
from faborite.state.file_format import dumps

from .conformance import StateBackendConformance, first_state, make_event, make_node


class TestLocalStateBackend(StateBackendConformance):
    @pytest.fixture
    def make_backend(self, tmp_path):
        directory = tmp_path / ".faborite" / "state" / "dev"
        return lambda: LocalStateBackend(directory)


@pytest.fixture
def backend(tmp_path):
    return LocalStateBackend(tmp_path / "dev")


def second(s1):
    return s1.next(nodes=[make_node(version="b" * 64)], event=make_event(), faborite_version="0.1.0")


def test_layout(backend):
    s1 = first_state()
    backend.write(s1, expected_serial=None)
    backend.write(second(s1), expected_serial=1)
    info = backend.lock("apply")
    assert sorted(os.listdir(backend.directory)) == ["lock.json", "serial-000001.json", "serial-000002.json"]
    assert (backend.directory / "serial-000001.json").read_bytes() == dumps(s1)
    backend.unlock(info.id)
    assert not (backend.directory / "lock.json").exists()


def test_failed_link_leaves_previous_snapshot(backend, monkeypatch):
    s1 = first_state()
    backend.write(s1, expected_serial=None)

    def crash(src, dst):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "link", crash)
    with pytest.raises(StateError, match="could not write"):
        backend.write(second(s1), expected_serial=1)
    monkeypatch.undo()
    assert backend.read() == s1
    assert sorted(os.listdir(backend.directory)) == ["serial-000001.json"]  # temp file removed


def test_leftover_temp_files_are_ignored(backend):
    s1 = first_state()
    backend.write(s1, expected_serial=None)
    # A crash mid-write leaves a partial temp file; it must not count as serial 2.
    (backend.directory / ".serial-000002.json.0123.tmp").write_bytes(dumps(second(s1))[:40])
    (backend.directory / ".lock.json.4567.tmp").write_bytes(b"{")
    assert backend.read() == s1
    assert [h.serial for h in backend.history()] == [1]
    assert backend.lock_info() is None
    s2 = second(s1)
    backend.write(s2, expected_serial=1)
    assert backend.read() == s2


def test_existing_serial_file_never_overwritten(backend, monkeypatch):
    s1 = first_state()
    backend.write(s1, expected_serial=None)
    s2 = second(s1)
    backend.write(s2, expected_serial=1)
    before = (backend.directory / "serial-000002.json").read_bytes()
    # Simulate the race: another client published serial 2 after our check passed.
    monkeypatch.setattr(backend, "read", lambda: s1)
    rival = s1.next(nodes={}, event=make_event(), faborite_version="0.1.0")
    with pytest.raises(StateError, match="state changed: expected serial 1, found serial 2"):
        backend.write(rival, expected_serial=1)
    assert (backend.directory / "serial-000002.json").read_bytes() == before
    assert sorted(os.listdir(backend.directory)) == ["serial-000001.json", "serial-000002.json"]


def test_read_is_highest_serial_numerically(backend):
    state = first_state()
    backend.write(state, expected_serial=None)
    for serial in range(1, 11):
        state = state.next(nodes=state.nodes, event=make_event(), faborite_version="0.1.0")
        backend.write(state, expected_serial=serial)
    assert backend.read().serial == 11
    assert [h.serial for h in backend.history()] == list(range(1, 12))


def test_corrupt_snapshot_names_file(backend):
    backend.write(first_state(), expected_serial=None)
    path = backend.directory / "serial-000001.json"
    path.write_bytes(b'{"format_version": 1,\n  oops}')
    with pytest.raises(StateError) as caught:
        backend.read()
    assert caught.value.file == str(path)
    assert caught.value.line == 2


def test_renamed_snapshot_refused(backend):
    backend.write(first_state(), expected_serial=None)
    os.link(backend.directory / "serial-000001.json", backend.directory / "serial-000005.json")
    with pytest.raises(StateError, match="holds serial 1, not 5"):
        backend.read()


def test_unreadable_lock_file(backend):
    backend.directory.mkdir(parents=True)
    (backend.directory / "lock.json").write_text("")
    with pytest.raises(LockError, match="unreadable") as caught:
        backend.lock("apply")
    assert "delete" in caught.value.hint
