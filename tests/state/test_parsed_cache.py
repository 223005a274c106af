"""The parsed copy of the latest local snapshot: a hit is what parsing the file now gives, or no hit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from faborite.state import LocalStateBackend, file_format, parsed_cache
from faborite.state.file_format import dumps

from .conformance import StateBackendConformance, first_state, make_event, make_node


@pytest.fixture
def not_racy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by the test count as old enough to cache (else a fresh snapshot never is)."""
    monkeypatch.setattr(parsed_cache, "RACY_SECONDS", -1e6)


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts snapshot parses (a hit parses nothing)."""
    calls: list[str] = []
    real = file_format.loads

    def counting(data: bytes, source: str):
        calls.append(source)
        return real(data, source)

    monkeypatch.setattr(file_format, "loads", counting)
    return calls


class TestLocalStateBackendWithParsedCache(StateBackendConformance):
    """The whole backend contract still holds when reads go through the cache."""

    @pytest.fixture
    def make_backend(self, tmp_path, not_racy):
        directory = tmp_path / ".faborite" / "state" / "dev"
        return lambda: LocalStateBackend(directory, parsed_cache=tmp_path / "cache" / "parsed.pickle")


@pytest.fixture
def backend(tmp_path: Path) -> LocalStateBackend:
    return LocalStateBackend(tmp_path / "dev", parsed_cache=tmp_path / "cache" / "parsed.pickle")


def _second(s1):
    return s1.next(nodes=[make_node(version="b" * 64)], event=make_event(), faborite_version="0.1.0")


def test_a_second_read_is_not_parsed(backend, not_racy, parses) -> None:
    s1 = first_state()
    backend.write(s1, expected_serial=None)
    assert backend.read() == s1 and len(parses) == 1
    assert backend.read() == s1 and len(parses) == 1, "the parsed copy"
    assert LocalStateBackend(backend.directory, parsed_cache=backend.parsed_cache).read() == s1
    assert len(parses) == 1
    backend.read_serial(1)  # history and rollback read by serial: always parsed, the cache left alone
    assert len(parses) == 2


def test_a_new_serial_is_read(backend, not_racy, parses) -> None:
    s1 = first_state()
    backend.write(s1, expected_serial=None)
    backend.read()
    s2 = _second(s1)
    backend.write(s2, expected_serial=1)
    assert backend.read() == s2 and len(parses) == 2


def test_a_snapshot_rewritten_in_place_is_parsed_again(backend, not_racy, parses) -> None:
    s1 = first_state()
    backend.write(s1, expected_serial=None)
    backend.read()
    path = backend.directory / "serial-000001.json"
    edited = s1.model_copy(update={"nodes": {"model.orders": make_node(version="c" * 64)}})
    stat = path.stat()
    path.write_bytes(dumps(edited))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # mtime restored: ctime still moves
    assert backend.read().nodes["model.orders"].version == "c" * 64 and len(parses) == 2


def test_a_fresh_snapshot_is_not_cached(backend, parses) -> None:
    backend.write(first_state(), expected_serial=None)
    backend.read()
    assert not backend.parsed_cache.exists(), "written just now: a same-tick edit could keep its identity"
    backend.read()
    assert len(parses) == 2


def test_a_bad_or_foreign_cache_is_a_miss(backend, not_racy, parses) -> None:
    s1 = first_state()
    backend.write(s1, expected_serial=None)
    backend.read()
    backend.parsed_cache.write_bytes(b"not a pickle")
    assert backend.read() == s1 and len(parses) == 2
    import pickle

    backend.parsed_cache.write_bytes(pickle.dumps({"key": None, "state": os.getcwd}))
    assert backend.read() == s1 and len(parses) == 3
    backend.parsed_cache.chmod(0o666)  # writable by anyone: not trusted
    assert backend.read() == s1 and len(parses) == 4


def test_another_faborite_version_is_a_miss(backend, not_racy, parses, monkeypatch) -> None:
    s1 = first_state()
    backend.write(s1, expected_serial=None)
    backend.read()
    monkeypatch.setattr(parsed_cache, "__version__", "999.0")
    assert backend.read() == s1 and len(parses) == 2


def test_the_project_backend_keeps_its_parsed_copy_in_the_cache_folder(tmp_path: Path) -> None:
    from faborite.state.selection import LocalStateFactory, LocalSettings

    backend = LocalStateFactory().open(LocalSettings(), target_name="dev@feature", project_root=tmp_path)
    # Named by a digest of the state key: any target or environment name makes a plain file name.
    assert backend.parsed_cache.parent == tmp_path / ".faborite" / "cache"
    assert "@" not in backend.parsed_cache.name


def test_a_hit_shares_repeated_values_and_equals_the_parse_exactly(backend, not_racy, parses) -> None:
    from datetime import datetime, timezone

    from faborite.target import Column

    nodes = [make_node(f"model.m{i}", columns=(Column(name="id", type="INTEGER"), Column(name="x", type="VARCHAR")),
                       parents=("seed.s",), applied_at=datetime(2026, 1, 1, 12 + i % 2, tzinfo=timezone.utc))
             for i in range(5)]
    state = first_state(*nodes)
    backend.write(state, expected_serial=None)
    parsed = backend.read()
    assert len(parses) == 1
    hit = backend.read()
    assert len(parses) == 1, "the parsed copy"
    assert hit == parsed and file_format.dumps(hit) == file_format.dumps(parsed)
    assert [n.model_fields_set for n in hit.nodes.values()] == [n.model_fields_set for n in parsed.nodes.values()]
    m0, m1, m2 = hit.nodes["model.m0"], hit.nodes["model.m1"], hit.nodes["model.m2"]
    assert m0.columns is m1.columns and m0.parents is m1.parents and m0.applied_at is m2.applied_at
    assert m0.applied_at != m1.applied_at
