"""What the throw-away servers of the tests (tests/postgres.py, tests/mysql.py, tests/azurite.py) share:
a free port, a data directory the server's own user can reach, commands run as that user,
starting again when the port was taken, and the fixture's check that the tools are there.
"""

from __future__ import annotations

import importlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

T = TypeVar("T")
#: How many characters of a failing command's output, or of a server log, a message keeps.
_TAIL_CHARS = 2000


def skip_or_fail(reason: str) -> None:
    """Skip on a laptop; fail on CI, where a missing service is a broken setup."""
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on (now: it can be taken before the server binds it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_on_free_port(start: Callable[[int], T], attempts: int = 3) -> tuple[int, T]:
    """``start(port)`` on a free port, and on another when it raises RuntimeError (the port can be
    taken between picking and binding it): the port and what ``start`` returned; the last
    RuntimeError when every attempt failed."""
    last_error: RuntimeError | None = None
    for _ in range(attempts):
        port = free_port()
        try:
            return port, start(port)
        except RuntimeError as exc:
            last_error = exc
    assert last_error is not None
    raise last_error


def make_data_dir(prefix: str, server_user: str) -> Path:
    """A new temporary directory, owned by ``server_user`` when we are root."""
    # Not under pytest's tmp_path: /tmp/pytest-of-root is root-only (0700), and the server's
    # user must reach the directory. Short, too: a socket path is limited to ~100 bytes.
    top = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        shutil.chown(top, server_user, server_user)
    return top


def as_user(argv: list[str], user: str) -> list[str]:
    """``argv`` run as ``user`` when we are root (servers refuse to run as root)."""
    if os.geteuid() != 0:
        return argv
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", user, "--", *argv]
    return ["su", user, "-s", "/bin/sh", "-c", " ".join(_shell_quote(a) for a in argv)]


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def run_checked(argv: list[str], what: str) -> None:
    """Run a setup command; RuntimeError with the end of its output when it fails."""
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed ({proc.returncode}): {(proc.stdout + proc.stderr)[-_TAIL_CHARS:]}")


def log_tail(log: Path) -> str:
    """The end of a server's log, or "" when it wrote none."""
    return log.read_text(errors="replace")[-_TAIL_CHARS:] if log.exists() else ""


def require_server(found: object, install_hint: str, driver: str, driver_name: str) -> None:
    """Skip (laptop) or fail (CI) unless the server's programs were ``found`` and ``driver`` imports."""
    if found is None:
        skip_or_fail(install_hint)
    try:
        importlib.import_module(driver)
    except ImportError:
        skip_or_fail(f'{driver_name} not installed: pip install -e ".[dev]"')
