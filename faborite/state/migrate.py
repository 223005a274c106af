"""``state migrate``: copy a target's whole history into another backend, then retire the old one.

The promise: after a migration that reports success, the new backend holds
every serial of the old one, byte for byte (same lineage, same serials, same
events), so saved plans and rollbacks work there unchanged; and the old
backend is read-only: its last serial is a ``migrate`` event naming the new
backend (``StateEvent.moved_to``), after which every write there is refused
with a hint to switch the ``state:`` key (:func:`~faborite.state.backend.check_not_moved`).

How it keeps it: both locks are held for the whole copy (old first, then new;
a new backend that is the old one under another name is found there, because
its lock is already ours). Serials are copied oldest first with the ordinary
compare-and-swap write, then read back and compared. A migration interrupted
part way is resumed: serials already in the new backend are kept if they are
identical to the old ones, and refused otherwise. The old backend is marked
only after the copy is verified; the ``state:`` key is never rewritten (the
user switches it, as Terraform users switch a backend block).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from faborite import __version__
from faborite.errors import LockError, StateError
from faborite.state import file_format
from faborite.state.backend import StateBackend, check_not_moved, locked, take_lock
from faborite.state.lock import current_host, current_user
from faborite.state.model import State, StateEvent, utcnow


class MigrationResult(BaseModel):
    """What ``state migrate`` did."""

    model_config = ConfigDict(frozen=True)

    lineage: str
    #: The serials the new backend holds, all of them verified equal to the old ones.
    serials: int
    #: How many of them an earlier, interrupted migration had already copied.
    already_there: int
    #: The serial of the old backend's ``migrate`` event (its read-only marker).
    marker_serial: int
    moved_to: str


def migrate(source: StateBackend, destination: StateBackend, *, moved_to: str,
            lock_timeout: float = 0.0) -> MigrationResult:
    """Copy every serial of ``source`` into ``destination``, verify, and mark ``source`` moved.

    ``moved_to`` describes the destination for people (its ``state:`` block as inline YAML).
    """
    with locked(source, "migrate", lock_timeout) as source_lock:
        destination_lock = _lock_destination(destination, source_lock.id, lock_timeout)
        try:
            current = source.read()
            _check_source(source, current)
            assert current is not None
            already = _copy(source, destination, current.serial)
            _verify(source, destination, current.serial)
            marker = current.next(
                nodes=current.nodes, faborite_version=__version__,
                event=StateEvent(operation="migrate", who=current_user(), host=current_host(), at=utcnow(),
                                 faborite_version=__version__, moved_to=moved_to),
            )
            source.write(marker, expected_serial=current.serial)
        finally:
            destination.unlock(destination_lock)
    return MigrationResult(lineage=current.lineage, serials=current.serial, already_there=already,
                           marker_serial=marker.serial, moved_to=moved_to)


def _lock_destination(destination: StateBackend, source_lock_id: str, timeout: float) -> str:
    try:
        return take_lock(destination, "migrate", timeout).id
    except LockError as exc:
        holder = destination.lock_info()
        if holder is not None and holder.id == source_lock_id:
            raise StateError("the destination is the state the target already uses (its lock is the one "
                             "this migration holds)", hint="name another backend with --to") from None
        raise exc


def _check_source(source: StateBackend, current: State | None) -> None:
    if current is None:
        raise StateError("no state yet: nothing to migrate",
                         hint="change the target's `state:` key directly; the first apply writes there")
    check_not_moved(current)
    if source.read_intent() is not None:
        raise StateError("an interrupted apply or rollback awaits resolution",
                         hint="run `faborite plan` and `faborite apply` (they resolve it), then migrate")


def _copy(source: StateBackend, destination: StateBackend, last: int) -> int:
    """Write serials 1..``last`` into ``destination`` after those it has; how many it had."""
    there = destination.read()
    have = there.serial if there is not None else 0
    if have > last:
        raise StateError(f"the destination already holds serial {have}, past this target's serial {last}",
                         hint="migrate into an empty backend (or a new schema / prefix)")
    for serial in range(1, have + 1):
        _same(source.read_serial(serial), destination.read_serial(serial))
    for serial in range(have + 1, last + 1):
        destination.write(source.read_serial(serial), expected_serial=serial - 1 or None)
    return have


def _verify(source: StateBackend, destination: StateBackend, last: int) -> None:
    copied = [entry.serial for entry in destination.history()]
    if copied != list(range(1, last + 1)):
        raise StateError(f"the copy holds serials {copied[:3]}... not 1..{last}: the old state was not changed",
                         hint="check the destination; run `faborite state migrate` again to resume")
    for serial in range(1, last + 1):
        _same(source.read_serial(serial), destination.read_serial(serial))


def _same(old: State, new: State) -> None:
    if file_format.dumps(old) != file_format.dumps(new):
        raise StateError(f"the destination's serial {new.serial} differs from this target's "
                         f"(lineage {new.lineage} vs {old.lineage})",
                         hint="the destination holds another state: migrate into an empty backend "
                              "(or a new schema / prefix)")
