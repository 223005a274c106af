"""``force-unlock`` says there is no lock (or that the ID is wrong) before asking anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from faborite.state.local import LocalStateBackend
from tests.cli.conftest import run_in_process


@pytest.fixture
def backend(demo: Path) -> LocalStateBackend:
    return LocalStateBackend(demo / ".faborite/state/dev")


def _unlock(capsys, demo: Path, *args: str):
    return run_in_process(capsys, "--no-color", "--project-dir", str(demo), "force-unlock", *args)


def test_no_lock_is_reported_before_asking(capsys, demo: Path) -> None:
    result = _unlock(capsys, demo, "abc")  # no terminal, no --auto-approve
    assert result.code == 1
    assert result.err.splitlines() == ["error: the state is not locked", "  hint: nothing to unlock"]


def test_wrong_id_is_reported_before_asking(capsys, demo: Path, backend: LocalStateBackend) -> None:
    held = backend.lock("apply")
    result = _unlock(capsys, demo, "wrongid")
    assert result.code == 1
    assert f"Lock {held.id}: apply by" in result.out
    assert f"lock ID wrongid does not match the held lock {held.id}" in result.err
    assert "no terminal" not in result.err
    assert backend.lock_info() == held


def test_the_right_id_still_needs_confirmation(capsys, demo: Path, backend: LocalStateBackend) -> None:
    held = backend.lock("apply")
    result = _unlock(capsys, demo, held.id)
    assert result.code == 1
    assert "no terminal to ask on" in result.err and "--auto-approve" in result.err
    assert backend.lock_info() == held


def test_auto_approve_unlocks(capsys, demo: Path, backend: LocalStateBackend) -> None:
    held = backend.lock("apply")
    result = _unlock(capsys, demo, held.id, "--auto-approve")
    assert result.code == 0, result.output
    assert result.out.splitlines()[-1] == "Unlocked."
    assert backend.lock_info() is None
