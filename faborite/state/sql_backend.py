"""State kept in tables of a SQL database, shared by every runner that reaches it.

Layout (inside one schema, ``faborite_state`` by default; one ``name`` per target)::

    serials (name, serial, lineage, state)   one row per snapshot, never updated: the history
    intents (name, state)                    the state being published, until it is recorded
    locks   (name, info, session)            who holds the lock (LockInfo JSON) and their session

- **Compare-and-swap**: ``write`` reads the latest row, applies
  :func:`~faborite.state.backend.check_successor`, and inserts serial N+1 in one
  transaction; the primary key ``(name, serial)`` makes the insert fail when
  another client wrote N+1 first, so two writers never both win.
- **Lock**: a session-level lock of the engine (held by this backend's own
  connection, so a process that dies releases it with its connection) plus
  the holder's :class:`~faborite.state.lock.LockInfo` in ``locks``, so refusals
  and ``force-unlock`` name the holder. A row without a live lock is a dead
  holder's leftover and is replaced. ``force-unlock`` (unlock by another
  client) deletes the row and ends the holder's session if it is still open.
- The state is stored as :func:`faborite.state.file_format.dumps` text, so
  the database holds the same bytes a local state file would.

Engines subclass :class:`SqlStateBackend` and fill in the SQL that differs
(quoting, column types, the lock functions): see ``providers/*_state.py``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from faborite.errors import LockError, StateError
from faborite.state import file_format
from faborite.state.backend import check_successor, stale_error
from faborite.state.lock import LockInfo, lock_held_error, lock_mismatch_error
from faborite.state.model import HistoryEntry, State

log = logging.getLogger(__name__)

#: How long unlocking another client's session waits for its lock to be released.
RELEASE_WAIT_SECONDS = 10.0


class _ConnectionLost(Exception):
    """The backend's session ended under it (e.g. its lock was force-unlocked); retried once."""


def _reconnecting(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``method`` again on a new session if its session was lost (once)."""

    @functools.wraps(method)
    def run(self: "SqlStateBackend", *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except _ConnectionLost:
            try:
                return method(self, *args, **kwargs)
            except _ConnectionLost as again:
                raise again.__cause__ from None  # type: ignore[misc]

    return run


class SqlStateBackend:
    """A :class:`~faborite.state.backend.StateBackend` in a SQL database (DB-API, ``%s`` parameters)."""

    #: Column type of the state text; engines override.
    text_type = "TEXT"
    #: Column type of a short key; engines override.
    key_type = "VARCHAR(255)"

    def __init__(self, opener: Callable[[], Any], *, name: str, schema: str = "faborite_state",
                 where: str = "") -> None:
        self._opener = opener
        self.name = name
        self.schema = schema
        self.where = where or schema
        self._con: Any = None
        self._guard = threading.RLock()
        #: The ID of the lock this client holds, if any.
        self._held: str | None = None
        #: The lock of a dead holder that the last ``lock()`` replaced, if any.
        self.taken_over: LockInfo | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.where!r}, name={self.name!r})"

    # -- what engines provide ----------------------------------------------

    def quote(self, identifier: str) -> str:  # pragma: no cover - provided by the engine
        raise NotImplementedError

    def _create_schema_sql(self) -> list[str]:  # pragma: no cover - provided by the engine
        raise NotImplementedError

    def _upsert_sql(self, table: str, columns: Sequence[str]) -> str:  # pragma: no cover
        """INSERT of ``columns`` into ``table`` replacing the row with the same ``name``."""
        raise NotImplementedError

    def _try_lock(self, cur: Any) -> bool:  # pragma: no cover - provided by the engine
        """Take the engine's session lock for this state at once; whether it was taken."""
        raise NotImplementedError

    def _release_lock(self, cur: Any) -> None:  # pragma: no cover - provided by the engine
        raise NotImplementedError

    def _session_id(self, cur: Any) -> str:  # pragma: no cover - provided by the engine
        raise NotImplementedError

    def _end_session(self, cur: Any, session: str) -> None:  # pragma: no cover - provided by the engine
        """End another session (a holder the user declared dead); no error if it is gone."""
        raise NotImplementedError

    def _is_duplicate_key(self, exc: BaseException) -> bool:  # pragma: no cover - provided by the engine
        raise NotImplementedError

    def _is_broken(self, con: Any) -> bool:  # pragma: no cover - provided by the engine
        """Whether ``con`` is closed (after an error: the server ended the session)."""
        raise NotImplementedError

    # -- connection --------------------------------------------------------

    def table(self, name: str) -> str:
        return f"{self.quote(self.schema)}.{self.quote(name)}"

    @contextlib.contextmanager
    def _cursor(self) -> Iterator[Any]:
        with self._guard:
            if self._con is None:
                con = self._opener()
                self._setup(con)
                self._con = con
            con = self._con
            cur = con.cursor()
            try:
                yield cur
            except Exception as exc:
                if self._is_broken(con):
                    # The session is gone, and any lock it held with it.
                    self._con, self._held = None, None
                    raise _ConnectionLost() from exc
                raise
            finally:
                with contextlib.suppress(Exception):
                    cur.close()

    def _setup(self, con: Any) -> None:
        cur = con.cursor()
        try:
            for sql in self._create_schema_sql():
                cur.execute(sql)
        finally:
            cur.close()

    def _ddl(self) -> list[str]:
        """The tables, for engines' :meth:`_create_schema_sql`."""
        key, text = self.key_type, self.text_type
        return [
            f"CREATE TABLE IF NOT EXISTS {self.table('serials')} (name {key} NOT NULL, serial INTEGER NOT NULL, "
            f"lineage {key} NOT NULL, state {text} NOT NULL, PRIMARY KEY (name, serial))",
            f"CREATE TABLE IF NOT EXISTS {self.table('intents')} (name {key} NOT NULL PRIMARY KEY, "
            f"state {text} NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.table('locks')} (name {key} NOT NULL PRIMARY KEY, "
            f"info {text} NOT NULL, session {key} NOT NULL)",
        ]

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._cursor() as cur:
            cur.execute("START TRANSACTION")
            try:
                yield cur
            except BaseException:
                with contextlib.suppress(Exception):
                    cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    def close(self) -> None:
        """Close the connection (releasing the lock if this client holds it)."""
        with self._guard:
            if self._con is not None:
                with contextlib.suppress(Exception):
                    self._con.close()
                self._con = None
                self._held = None

    def _source(self, serial: int | str) -> str:
        return f"{self.where} ({self.schema}, {self.name} serial {serial})"

    # -- reading -----------------------------------------------------------

    @_reconnecting
    def read(self) -> State | None:
        """The highest-serial snapshot, or None when none was written."""
        with self._cursor() as cur:
            return self._latest(cur)

    def _latest(self, cur: Any) -> State | None:
        cur.execute(f"SELECT serial, state FROM {self.table('serials')} WHERE name = %s "
                    "ORDER BY serial DESC LIMIT 1", (self.name,))
        row = cur.fetchone()
        return self._load(row[0], row[1]) if row else None

    def _load(self, serial: int, text: str) -> State:
        state = file_format.loads(text.encode("utf-8"), self._source(serial))
        if state.serial != serial:
            raise StateError(f"state row {self._source(serial)} holds serial {state.serial}, not {serial}")
        return state

    @_reconnecting
    def read_serial(self, serial: int) -> State:
        """The snapshot with ``serial``; :class:`StateError` if there is none."""
        with self._cursor() as cur:
            cur.execute(f"SELECT state FROM {self.table('serials')} WHERE name = %s AND serial = %s",
                        (self.name, serial))
            row = cur.fetchone()
        if row is None:
            raise StateError(f"no state with serial {serial} in {self.where} ({self.schema}, {self.name})",
                             hint="run `faborite state history` to list the serials that exist")
        return self._load(serial, row[0])

    @_reconnecting
    def state_names(self) -> list[str]:
        """Every name with a serial in this schema's ``serials`` table."""
        with self._cursor() as cur:
            cur.execute(f"SELECT DISTINCT name FROM {self.table('serials')}")
            return sorted(row[0] for row in cur.fetchall())

    @_reconnecting
    def history(self) -> list[HistoryEntry]:
        """One entry per snapshot, oldest first."""
        with self._cursor() as cur:
            cur.execute(f"SELECT serial, state FROM {self.table('serials')} WHERE name = %s ORDER BY serial",
                        (self.name,))
            rows = cur.fetchall()
        states = [self._load(serial, text) for serial, text in rows]
        return [HistoryEntry(serial=s.serial, event=s.event, node_count=len(s.nodes)) for s in states]

    # -- writing -----------------------------------------------------------

    @_reconnecting
    def write(self, state: State, *, expected_serial: int | None) -> None:
        """Insert ``state`` as serial N+1 in one transaction; the primary key refuses a rival."""
        try:
            with self._transaction() as cur:
                check_successor(self._latest(cur), state, expected_serial)
                cur.execute(f"INSERT INTO {self.table('serials')} (name, serial, lineage, state) "
                            "VALUES (%s, %s, %s, %s)",
                            (self.name, state.serial, state.lineage, file_format.dumps(state).decode("utf-8")))
        except StateError:
            raise
        except Exception as exc:
            if not self._is_duplicate_key(exc):
                raise
            # Another client inserted this serial between our read and our insert.
            latest = self.read()
            raise stale_error(expected_serial, latest.serial if latest else None) from None

    # -- journal -----------------------------------------------------------

    @_reconnecting
    def write_intent(self, state: State) -> None:
        """Store ``state`` as the pending intent, replacing any other."""
        with self._cursor() as cur:
            cur.execute(self._upsert_sql("intents", ("name", "state")),
                        (self.name, file_format.dumps(state).decode("utf-8")))

    @_reconnecting
    def read_intent(self) -> State | None:
        """The pending intent, or None."""
        with self._cursor() as cur:
            cur.execute(f"SELECT state FROM {self.table('intents')} WHERE name = %s", (self.name,))
            row = cur.fetchone()
        return file_format.loads(row[0].encode("utf-8"), self._source("intent")) if row else None

    @_reconnecting
    def clear_intent(self) -> None:
        """Forget the pending intent."""
        with self._cursor() as cur:
            cur.execute(f"DELETE FROM {self.table('intents')} WHERE name = %s", (self.name,))

    # -- locking -----------------------------------------------------------

    @_reconnecting
    def lock(self, operation: str) -> LockInfo:
        """Take the lock at once, or raise :class:`LockError` naming the holder."""
        info = LockInfo.new(operation)
        with self._cursor() as cur:
            for _ in range(40):
                if self._held is None and self._try_lock(cur):
                    leftover = self._holder(cur)
                    if leftover is not None:
                        # Its session ended without unlocking (the process died): the row guards nothing.
                        log.warning("taking over the state lock %s left by %s", leftover[0].id,
                                    leftover[0].describe())
                        self.taken_over = leftover[0]
                    cur.execute(self._upsert_sql("locks", ("name", "info", "session")),
                                (self.name, info.model_dump_json(), self._session_id(cur)))
                    self._held = info.id
                    return info
                found = self._holder(cur)
                if found is None:
                    time.sleep(0.05)  # taken between our try and our read, or being released
                    continue
                holder, session = found
                if holder.id != self._held and holder.holder_alive() is False:
                    # A holder on this host whose process is gone, its session still open
                    # (e.g. a pooled connection): end it and take the lock, as the local backend does.
                    log.warning("taking over the state lock %s left by %s", holder.id, holder.describe())
                    self._end_and_wait(cur, holder, session)
                    self.taken_over = holder
                    continue
                raise lock_held_error(holder)
        raise LockError(f"could not take the state lock in {self.where}: it keeps changing hands")

    def _holder(self, cur: Any) -> tuple[LockInfo, str] | None:
        cur.execute(f"SELECT info, session FROM {self.table('locks')} WHERE name = %s", (self.name,))
        row = cur.fetchone()
        if row is None:
            return None
        try:
            return LockInfo.model_validate_json(row[0]), row[1]
        except ValueError as exc:
            raise LockError(f"the state lock row in {self.where} ({self.schema}.locks, {self.name}) is unreadable",
                            hint=f"if no faborite operation is running, delete that row: {exc}") from exc

    def _end_and_wait(self, cur: Any, holder: LockInfo, session: str) -> None:
        """Delete ``holder``'s row, end its session and wait until its lock is free."""
        cur.execute(f"DELETE FROM {self.table('locks')} WHERE name = %s", (self.name,))
        if session == self._session_id(cur):
            return
        self._end_session(cur, session)
        deadline = time.monotonic() + RELEASE_WAIT_SECONDS
        while time.monotonic() < deadline:
            if self._try_lock(cur):
                self._release_lock(cur)
                return
            time.sleep(0.05)
        raise LockError(f"the state lock of {holder.describe()} was not released within "
                        f"{RELEASE_WAIT_SECONDS:.0f}s of ending its session")

    @_reconnecting
    def unlock(self, lock_id: str) -> None:
        """Release the lock held under ``lock_id`` (from another client: force-unlock)."""
        with self._cursor() as cur:
            found = self._holder(cur)
            if found is None:
                raise LockError(f"state is not locked (no lock in {self.where})", hint="nothing to unlock")
            holder, session = found
            if holder.id != lock_id:
                raise lock_mismatch_error(lock_id, holder)
            if self._held == lock_id:
                cur.execute(f"DELETE FROM {self.table('locks')} WHERE name = %s", (self.name,))
                self._release_lock(cur)
                self._held = None
            else:
                self._end_and_wait(cur, holder, session)

    @_reconnecting
    def lock_info(self) -> LockInfo | None:
        """The current holder, or None when unlocked."""
        with self._cursor() as cur:
            found = self._holder(cur)
        return found[0] if found else None
