"""What a state backend can do, as small capabilities composed into one.

Terraform statemgr style: a reader, a compare-and-swap writer, and a locker are
separate protocols so code asks only for what it uses (``plan`` needs a
:class:`StateReader`); :class:`StateBackend` is their union. Every backend runs
the one conformance suite in ``tests/state/conformance.py``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Protocol, runtime_checkable

from faborite.duration import format_duration
from faborite.errors import LockError, StateError
from faborite.state.lock import LockInfo
from faborite.state.model import HistoryEntry, State


@runtime_checkable
class StateReader(Protocol):
    """Reads snapshots."""

    def read(self) -> State | None:
        """The latest snapshot, or None when no state was ever written."""

    def read_serial(self, serial: int) -> State:
        """The snapshot with ``serial``; :class:`StateError` if there is none."""

    def history(self) -> list[HistoryEntry]:
        """One entry per snapshot, oldest first."""


@runtime_checkable
class StateWriter(Protocol):
    """Appends snapshots, compare-and-swap on the serial."""

    def write(self, state: State, *, expected_serial: int | None) -> None:
        """Append ``state`` if the latest serial is still ``expected_serial`` (None: no state yet).

        Refuses with :class:`StateError` otherwise, or when ``state`` is not the
        direct successor (see :func:`check_successor`). Never overwrites a snapshot.
        """


@runtime_checkable
class Locker(Protocol):
    """Guards plan-to-apply with one lock per target."""

    def lock(self, operation: str) -> LockInfo:
        """Take the lock at once, or raise :class:`LockError` naming the holder (no waiting)."""

    def unlock(self, lock_id: str) -> None:
        """Release the lock; :class:`LockError` if ``lock_id`` is not the held lock's ID."""

    def lock_info(self) -> LockInfo | None:
        """The current holder, or None when unlocked."""


@runtime_checkable
class IntentJournal(Protocol):
    """Holds the state an operation is about to publish, until it is recorded.

    Publishing (moving what users query) and recording (writing the state) are
    two steps on most targets. The intent is written before the first and
    cleared after the second, so a process killed in between leaves a trace that
    the next command resolves by looking at what is really published (see
    :mod:`faborite.state.journal`).
    """

    def write_intent(self, state: State) -> None:
        """Durably store ``state`` (the next serial) as the pending intent, replacing any other."""

    def read_intent(self) -> State | None:
        """The pending intent, or None."""

    def clear_intent(self) -> None:
        """Forget the pending intent (no error when there is none)."""


@runtime_checkable
class StateCatalog(Protocol):
    """Lists the states kept beside this one (one per target and environment, ``env list``)."""

    def state_names(self) -> list[str]:
        """The name of every state with at least one serial in the same storage (sorted)."""


@runtime_checkable
class StateBackend(StateReader, StateWriter, Locker, IntentJournal, Protocol):
    """A full state backend: read, write, lock, journal."""


def stale_error(expected_serial: int | None, found: int | None) -> StateError:
    """The compare-and-swap refusal: someone wrote state since ``expected_serial`` was read."""

    def name(serial: int | None) -> str:
        return f"serial {serial}" if serial else "no state"

    return StateError(
        f"state changed: expected {name(expected_serial)}, found {name(found)}",
        hint="another apply or rollback ran in the meantime; run plan again",
    )


def check_not_moved(latest: State | None) -> None:
    """Raise :class:`StateError` when ``latest`` says ``state migrate`` moved the state elsewhere."""
    moved_to = latest.event.moved_to if latest is not None and latest.event is not None else None
    if moved_to:
        raise StateError(
            f"the state of target {latest.target!r} was moved to {moved_to} (serial {latest.serial}, by "
            "`faborite state migrate`); this copy is kept read-only",
            hint=f"set `state: {moved_to}` for target {latest.target!r} in faborite.yml",
        )


def check_successor(latest: State | None, state: State, expected_serial: int | None) -> None:
    """Raise :class:`StateError` unless ``state`` may follow ``latest`` (the CAS rules).

    Shared by backends so they refuse writes alike: the latest state may not be
    one ``state migrate`` moved away (:func:`check_not_moved`), its serial must equal
    ``expected_serial`` (0 and None both mean "no state"), ``state.serial`` must
    be one more, and the lineage must be the latest state's.
    """
    check_not_moved(latest)
    found = latest.serial if latest is not None else None
    if (found or 0) != (expected_serial or 0):
        raise stale_error(expected_serial, found)
    if state.serial != (expected_serial or 0) + 1:
        raise StateError(
            f"cannot write serial {state.serial} after {f'serial {found}' if found else 'no state'}: "
            f"the next serial is {(found or 0) + 1}",
            hint="build the new state with State.next() (or State.first() for a new target)",
        )
    if latest is not None and state.lineage != latest.lineage:
        raise StateError(
            f"state lineage {state.lineage} does not match the stored lineage {latest.lineage}",
            hint="this state belongs to another target or project; check the target name",
        )


#: Longest pause between two lock attempts while waiting (``--lock-timeout``).
MAX_POLL_SECONDS = 2.0


def take_lock(backend: Locker, operation: str, timeout: float = 0.0,
              sleep: Callable[[float], None] = time.sleep) -> LockInfo:
    """Take the lock; while another holds it, try again until ``timeout`` seconds have passed.

    ``timeout`` 0 fails at once (the backends never wait themselves). Polling,
    not a queue: every backend can only *try* (a lease, an advisory lock, a
    file create). The pause grows from 0.1 s to :data:`MAX_POLL_SECONDS`. The
    final refusal is the backend's own, naming the holder, plus how long it waited.
    """
    deadline = time.monotonic() + timeout
    pause = 0.1
    while True:
        try:
            return backend.lock(operation)
        except LockError as exc:
            left = deadline - time.monotonic()
            if timeout <= 0 or left <= 0:
                if timeout > 0:
                    exc.message = f"{exc.message} (waited {format_duration(timeout)})"
                raise
            sleep(min(pause, left))
            pause = min(pause * 2, MAX_POLL_SECONDS)


@contextlib.contextmanager
def locked(backend: Locker, operation: str, timeout: float = 0.0) -> Iterator[LockInfo]:
    """Hold ``backend``'s lock for ``operation`` while the block runs; always release it.

    ``timeout``: seconds to wait for a held lock (see :func:`take_lock`)."""
    info = take_lock(backend, operation, timeout)
    try:
        yield info
    except BaseException as exc:
        try:
            backend.unlock(info.id)
        except Exception as unlock_exc:
            # Do not let a failed unlock hide the error that ended the block
            # (add_note is 3.11+; on 3.10 the unlock failure is dropped).
            if hasattr(exc, "add_note"):
                exc.add_note(f"also failed to release state lock {info.id}: {unlock_exc}")
        raise
    backend.unlock(info.id)
