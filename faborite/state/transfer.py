"""``state pull`` and ``state push``: the current state as a file, and a file as the next serial.

A push never rewrites history: the pushed nodes are recorded as the next
serial of the target's lineage (serial 1 of the pushed lineage when the target
has no state yet, e.g. moving from local files to a database), with a ``push``
event. It is refused, unless forced, when the file is from another lineage or
target, is older than the current serial, or is a different state under the
same serial: the same cases in which a saved plan would be refused.
"""

from __future__ import annotations

from faborite import __version__
from faborite.errors import StateError
from faborite.state import file_format
from faborite.state.backend import StateBackend, check_not_moved, locked
from faborite.state.lock import current_host, current_user
from faborite.state.model import State, StateEvent, utcnow

_FORCE_HINT = "check the file and the target; `--force` pushes it anyway"


def pull(backend: StateBackend) -> bytes:
    """The current state in the state file format; :class:`StateError` when there is none."""
    current = backend.read()
    if current is None:
        raise StateError("no state yet: nothing to pull", hint="run `faborite apply` first")
    return file_format.dumps(current)


def push(backend: StateBackend, data: bytes, source: str, *, target: str, force: bool = False) -> State | None:
    """Record the state in ``data`` as the next serial, under the lock; the new state (None: already current)."""
    pushed = file_format.loads(data, source)
    with locked(backend, "push"):
        if backend.read_intent() is not None:
            raise StateError("an interrupted apply or rollback awaits resolution",
                             hint="run `faborite plan` and `faborite apply` first, then push")
        current = backend.read()
        check_not_moved(current)
        if current is not None and pushed == current:
            return None
        if not force:
            _check_pushable(pushed, current, target, source)
        event = StateEvent(operation="push", who=current_user(), host=current_host(), at=utcnow(),
                           faborite_version=__version__)
        if current is None:
            new = State(lineage=pushed.lineage, serial=1, target=target, faborite_version=__version__,
                        nodes=pushed.nodes, event=event)
        else:
            new = current.next(nodes=pushed.nodes, event=event, faborite_version=__version__)
        backend.write(new, expected_serial=current.serial if current else None)
        return new


def _check_pushable(pushed: State, current: State | None, target: str, source: str) -> None:
    if pushed.target != target:
        raise StateError(f"{source} is the state of target {pushed.target!r}, not {target!r}", hint=_FORCE_HINT)
    if current is None:
        return
    if pushed.lineage != current.lineage:
        raise StateError(f"{source} is from lineage {pushed.lineage}, the target's state from {current.lineage}",
                         hint=_FORCE_HINT)
    if pushed.serial < current.serial:
        raise StateError(f"{source} holds serial {pushed.serial}, older than the current serial {current.serial}",
                         hint=_FORCE_HINT)
    if pushed.serial == current.serial:
        raise StateError(f"{source} holds serial {pushed.serial} with other content than the target's serial "
                         f"{current.serial}", hint=_FORCE_HINT)
