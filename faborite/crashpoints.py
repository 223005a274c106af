"""Named points where a crash-injection harness may kill this process, to prove crash safety.

``FABORITE_CRASH_AT=<point>[@<n>]`` makes the process SIGKILL itself the n-th
time (default: the first) it reaches ``<point>`` (an ``fnmatch`` pattern, so
``stage:*`` matches every stage boundary). Like the fail points of FoundationDB
or TiKV: the harness in ``tests/crash/`` kills apply and sync at every named
step of build, audit, journal, publish and record, and inside state writes,
deterministically, and at random moments too. Unset (always, outside tests), a
point costs one dictionary lookup.
"""

from __future__ import annotations

import fnmatch
import os
import signal
import threading

_SPEC = os.environ.get("FABORITE_CRASH_AT", "")
_PATTERN, _, _NTH = _SPEC.partition("@")
_hits = 0
_lock = threading.Lock()


def crash_point(name: str) -> None:
    """Die here (SIGKILL, no cleanup) when the harness asked for this point and hit."""
    if not _PATTERN or not fnmatch.fnmatchcase(name, _PATTERN):
        return
    global _hits
    with _lock:
        _hits += 1
        if _hits >= int(_NTH or 1):
            os.kill(os.getpid(), signal.SIGKILL)
