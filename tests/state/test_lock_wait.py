"""``take_lock`` with a timeout: wait for a held lock (polling), or fail naming its holder."""

from __future__ import annotations

import pytest

from faborite.errors import LockError
from faborite.state import LocalStateBackend
from faborite.state.backend import locked, take_lock


@pytest.fixture
def clients(tmp_path):
    return LocalStateBackend(tmp_path / "dev"), LocalStateBackend(tmp_path / "dev")


def test_no_timeout_fails_at_once_without_sleeping(clients):
    a, b = clients
    held = a.lock("apply")

    def no_sleep(seconds):
        raise AssertionError("timeout 0 must not wait")

    with pytest.raises(LockError) as caught:
        take_lock(b, "apply", 0, sleep=no_sleep)
    assert held.id in caught.value.message and "waited" not in caught.value.message


def test_waits_until_the_holder_releases(clients):
    a, b = clients
    held = a.lock("apply")
    pauses = []

    def holder_finishes_while_we_wait(seconds):
        pauses.append(seconds)
        if len(pauses) == 3:
            a.unlock(held.id)

    mine = take_lock(b, "apply", 300, sleep=holder_finishes_while_we_wait)
    assert a.lock_info() == mine and mine.id != held.id
    assert pauses == [0.1, 0.2, 0.4]  # backing off, each pause well under the timeout


def test_timeout_names_the_holder_and_the_wait(clients):
    a, b = clients
    held = a.lock("gc")
    with pytest.raises(LockError) as caught:
        take_lock(b, "apply", 0.3)  # real sleeps: a few polls, then the refusal
    message = caught.value.message
    assert held.describe() in message and held.id in message and message.endswith("(waited 0.3s)")
    assert "force-unlock" in caught.value.hint


def test_locked_passes_the_timeout(clients):
    a, b = clients
    held = a.lock("apply")
    with pytest.raises(LockError, match="waited 0.2s"):
        with locked(b, "apply", 0.2):
            pass
    a.unlock(held.id)
    with locked(b, "apply", 0.2) as info:
        assert a.lock_info() == info
