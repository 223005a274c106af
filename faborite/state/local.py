"""State kept as files in a directory, one directory per target.

Layout::

    <directory>/serial-000001.json   immutable snapshots, append-only: the history
    <directory>/serial-000002.json
    <directory>/lock.json            present while an operation holds the lock
    <directory>/intent.json          the state being published, until it is recorded

Every file is published the same crash-safe way: written complete to a temp
file in the same directory, fsynced, then hard-linked to its final name.
``os.link`` fails when the name exists, which makes it both the serial
compare-and-swap and the exclusive lock create, and a reader can never see a
half-written file. Leftover temp files (dot-prefixed) are ignored.
"""

from __future__ import annotations

import logging

import os
import re
import uuid
from pathlib import Path

from pydantic import ValidationError

from faborite.atomic_file import write_atomic
from faborite.crashpoints import crash_point
from faborite.errors import LockError, StateError
from faborite.state import file_format
from faborite.state.backend import check_successor, stale_error
from faborite.state.lock import LockInfo, current_host, lock_held_error, lock_mismatch_error
from faborite.state.model import HistoryEntry, State

_SNAPSHOT = re.compile(r"^serial-(\d+)\.json$")
_LOCK_FILE = "lock.json"
_INTENT_FILE = "intent.json"

log = logging.getLogger(__name__)


class LocalStateBackend:
    """A :class:`~faborite.state.backend.StateBackend` on the local filesystem."""

    def __init__(self, directory: Path | str, parsed_cache: Path | None = None) -> None:
        self.directory = Path(directory)
        #: Where the last snapshot read is kept parsed (faborite/state/parsed_cache.py); None: never.
        self.parsed_cache = parsed_cache
        #: The lock of a crashed process on this host that the last ``lock()`` took over, if any.
        self.taken_over: LockInfo | None = None

    def __repr__(self) -> str:
        return f"LocalStateBackend({str(self.directory)!r})"

    # -- reading -----------------------------------------------------------

    def read(self) -> State | None:
        """The highest-serial snapshot, or None when the directory holds none."""
        serials = self._serials()
        return self.read_serial(serials[-1], cached=self.parsed_cache is not None) if serials else None

    def read_serial(self, serial: int, *, cached: bool = False) -> State:
        """The snapshot with ``serial``; :class:`StateError` if there is none. ``cached``: through
        :attr:`parsed_cache` (only the latest is read that way: history would churn it)."""
        from faborite.state import parsed_cache

        path = self._snapshot_path(serial)
        state = key = None
        try:
            with open(path, "rb") as handle:
                if cached and self.parsed_cache is not None:
                    # The identity of the bytes about to be read, not of whatever the name holds later.
                    key = parsed_cache.file_key(path, os.fstat(handle.fileno()))
                    state = parsed_cache.load(self.parsed_cache, key)
                data = handle.read() if state is None else b""
        except FileNotFoundError:
            raise StateError(
                f"no state with serial {serial} in {self.directory}",
                hint="run `faborite state history` to list the serials that exist",
            ) from None
        if state is None:
            state = file_format.loads(data, str(path))
            if key is not None and state.serial == serial:
                parsed_cache.save(self.parsed_cache, key, state)
        if state.serial != serial:
            # A renamed or copied file would otherwise masquerade as another serial.
            raise StateError(f"state file {path} holds serial {state.serial}, not {serial}", file=path)
        return state

    def identity(self) -> list | None:
        """What :meth:`read` and :meth:`read_intent` would return, named without reading them: the
        latest snapshot's file name and (size, mtime_ns, ctime_ns, inode), and the intent's; None
        when the directory cannot be listed. Snapshots are never rewritten in place, so a new apply,
        a rollback, a push or a hand edit each give another identity."""
        try:
            serials = self._serials()
            latest = self._snapshot_path(serials[-1]) if serials else None
            return [str(self.directory.resolve()), latest.name if latest else None, _file_identity(latest),
                    _file_identity(self.directory / _INTENT_FILE)]
        except OSError:
            return None

    def history(self) -> list[HistoryEntry]:
        """One entry per snapshot, oldest first."""
        entries = []
        for serial in self._serials():
            state = self.read_serial(serial)
            entries.append(HistoryEntry(serial=serial, event=state.event, node_count=len(state.nodes)))
        return entries

    def state_names(self) -> list[str]:
        """The names of the sibling directories (this one's included) holding at least one serial."""
        parent = self.directory.parent
        if not parent.is_dir():
            return []
        return sorted(d.name for d in parent.iterdir()
                      if d.is_dir() and any(_SNAPSHOT.match(n) for n in os.listdir(d)))

    def _serials(self) -> list[int]:
        try:
            names = os.listdir(self.directory)
        except FileNotFoundError:
            return []  # the directory is created lazily by the first write or lock
        return sorted(int(m.group(1)) for m in map(_SNAPSHOT.match, names) if m)

    def _snapshot_path(self, serial: int) -> Path:
        return self.directory / f"serial-{serial:06d}.json"

    # -- writing -----------------------------------------------------------

    def write(self, state: State, *, expected_serial: int | None) -> None:
        """Append ``state`` as a new snapshot, compare-and-swap on the latest serial."""
        check_successor(self.read(), state, expected_serial)
        path = self._snapshot_path(state.serial)
        try:
            self._publish(path, file_format.dumps(state))
        except FileExistsError:
            # Another client published this serial between our check and our link.
            serials = self._serials()
            raise stale_error(expected_serial, serials[-1] if serials else None) from None

    def _publish(self, path: Path, data: bytes) -> None:
        """Create ``path`` holding ``data``, atomically; FileExistsError if it exists."""
        tmp = self.directory / f".{path.name}.{uuid.uuid4().hex}.tmp"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with open(tmp, "xb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            crash_point("state:link")
            os.link(tmp, path)  # atomic, and never replaces an existing file
        except FileExistsError:
            raise
        except OSError as exc:
            raise StateError(
                f"could not write {path}: {exc.strerror or exc}",
                file=path,
                hint="check the state directory is writable and on a filesystem with hard links",
            ) from exc
        finally:
            tmp.unlink(missing_ok=True)
        _fsync_directory(self.directory)

    # -- journal -----------------------------------------------------------

    def write_intent(self, state: State) -> None:
        """Store ``state`` as the pending intent (atomic replace, then the directory fsynced)."""
        path = self.directory / _INTENT_FILE
        try:
            write_atomic(path, file_format.dumps(state))
        except OSError as exc:
            raise StateError(f"could not write {path}: {exc.strerror or exc}", file=path,
                             hint="check the state directory is writable") from exc
        _fsync_directory(self.directory)

    def read_intent(self) -> State | None:
        """The pending intent, or None."""
        path = self.directory / _INTENT_FILE
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        return file_format.loads(data, str(path))

    def clear_intent(self) -> None:
        """Remove the pending intent."""
        path = self.directory / _INTENT_FILE
        if path.exists():
            path.unlink(missing_ok=True)
            _fsync_directory(self.directory)

    # -- locking -----------------------------------------------------------

    def lock(self, operation: str) -> LockInfo:
        """Take the lock at once, or raise :class:`LockError` naming the holder."""
        info = LockInfo.new(operation)
        path = self.directory / _LOCK_FILE
        # Retry only when the holder released between our create and our read.
        for _ in range(3):
            try:
                self._publish(path, info.model_dump_json(indent=1).encode())
                return info
            except FileExistsError:
                holder = self.lock_info()
                if holder is not None and holder.host == current_host() and holder.holder_alive() is False:
                    # The holder crashed (killed mid-apply) on this machine: its lock guards
                    # nothing, and apply is safe to redo, so take it over rather than strand
                    # the next run. A holder on another host is never presumed dead.
                    log.warning("taking over the state lock %s left by %s", holder.id, holder.describe())
                    self.taken_over = holder
                    if self.lock_info() == holder:
                        path.unlink(missing_ok=True)
                    continue
                if holder is not None:
                    raise lock_held_error(holder, file=path) from None
        raise LockError(f"could not take the state lock {path}: it keeps changing hands", file=path)

    def unlock(self, lock_id: str) -> None:
        """Release the lock held under ``lock_id``."""
        path = self.directory / _LOCK_FILE
        holder = self.lock_info()
        if holder is None:
            raise LockError(f"state is not locked (no {path})", hint="nothing to unlock")
        if holder.id != lock_id:
            raise lock_mismatch_error(lock_id, holder, file=path)
        path.unlink(missing_ok=True)
        _fsync_directory(self.directory)

    def lock_info(self) -> LockInfo | None:
        """The current holder, or None when unlocked."""
        path = self.directory / _LOCK_FILE
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            return LockInfo.model_validate_json(data)
        except ValidationError as exc:
            raise LockError(
                f"state lock file {path} is unreadable: {exc.errors()[0]['msg']}",
                file=path,
                hint=f"if no faborite operation is running, delete {path}",
            ) from exc


def _fsync_directory(directory: Path) -> None:
    # Makes the new directory entry itself durable. Windows cannot open
    # directories, and its filesystems journal entries anyway.
    if os.name == "nt":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _file_identity(path: Path | None) -> list[int] | None:
    """``[size, mtime_ns, ctime_ns, inode]`` of ``path``, or None when there is no such file."""
    if path is None:
        return None
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
