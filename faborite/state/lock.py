"""Who holds a state lock, and the one error every backend raises when it is held."""

from __future__ import annotations

import getpass
import os
import socket
import uuid
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from faborite.errors import LockError
from faborite.state.model import UtcDatetime, utcnow


def current_user() -> str:
    """The login name, or ``"unknown"`` where none can be found (containers, services)."""
    try:
        return getpass.getuser()
    except Exception:  # KeyError/OSError/ImportError depending on platform and Python version
        return "unknown"


def current_host() -> str:
    """This machine's host name, or ``"unknown"``."""
    try:
        return socket.gethostname() or "unknown"
    except OSError:
        return "unknown"


def pid_alive(pid: int) -> bool | None:
    """Whether a process with ``pid`` runs on this machine; None when it cannot be told."""
    if os.name == "nt":
        # On Windows os.kill(pid, 0) sends CTRL_C_EVENT instead of probing; do not guess.
        return None
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return None
    return True


class LockInfo(BaseModel):
    """The holder of a state lock, stored with the lock so others can name it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    operation: str
    who: str
    host: str
    pid: int
    created: UtcDatetime

    @classmethod
    def new(cls, operation: str) -> "LockInfo":
        """Lock info for ``operation`` run by this process."""
        return cls(
            id=uuid.uuid4().hex,
            operation=operation,
            who=current_user(),
            host=current_host(),
            pid=os.getpid(),
            created=utcnow(),
        )

    def describe(self) -> str:
        """E.g. ``apply by alice@host (pid 123) since 2026-11-26 12:00:01 UTC``."""
        since = self.created.strftime("%Y-%m-%d %H:%M:%S")
        return f"{self.operation} by {self.who}@{self.host} (pid {self.pid}) since {since} UTC"

    def holder_alive(self) -> bool | None:
        """False only when the holder is known dead: on this host, and its pid is gone."""
        if self.host != current_host():
            return None
        return pid_alive(self.pid)


def lock_held_error(holder: LockInfo, *, file: str | Path | None = None) -> LockError:
    """The error for a lock request refused because ``holder`` has the lock."""
    message = f"state is locked: {holder.describe()}, lock ID {holder.id}"
    if holder.holder_alive() is False:
        message += "; the holder process is no longer running"
        hint = f"that process died without unlocking; run `faborite force-unlock {holder.id}`"
    else:
        hint = f"wait for it to finish; if that process died, run `faborite force-unlock {holder.id}`"
    return LockError(message, file=file, hint=hint)


def lock_mismatch_error(lock_id: str, holder: LockInfo, *, file: str | Path | None = None) -> LockError:
    """The error for an unlock with ``lock_id`` while ``holder`` holds the lock under another ID."""
    return LockError(
        f"lock ID {lock_id} does not match the held lock {holder.id} ({holder.describe()})",
        file=file,
        hint=f"to release that lock, run `faborite force-unlock {holder.id}`",
    )
