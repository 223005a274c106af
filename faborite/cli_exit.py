"""Leaving a finished ``faborite`` process without the interpreter's teardown.

At exit CPython frees every module and object one by one: the DuckDB
instances, Arrow buffers and tens of thousands of state and manifest objects a
command built. That costs 0.1-0.2 s of a 1-4 s command and does nothing the
operating system would not do at once (mypy leaves the same way). Everything a
command writes is already durable when it returns (every write is atomic and
flushed), so a hard exit is no riskier than a kill after the command: the
crash guarantees cover it. What Python would still run at exit runs first:
the ``atexit`` handlers (logging's flush, temporary folders' finalizers) and
the flush of stdout and stderr.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading


def exit_now(code: object) -> None:
    """End the process with ``code`` as :func:`sys.exit` would, minus the interpreter's teardown.

    Falls back to :func:`sys.exit` while another Python thread is alive (the
    interpreter would wait for it, and it may still be writing) and under a
    profiler, tracer or debugger (they write their results at the normal exit).
    """
    if threading.active_count() > 1 or _observed():
        sys.exit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message") prints the message and exits 1
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with the descriptor closed
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`faborite plan | head`) or stream: as Python's exit does
            status = 120
    os._exit(status)


def _observed() -> bool:
    """Whether a profiler, tracer or debugger watches this process (cProfile, trace, pdb, coverage)."""
    if sys.getprofile() is not None or sys.gettrace() is not None:
        return True
    monitoring = getattr(sys, "monitoring", None)  # Python 3.12+: cProfile and coverage register a tool here
    return monitoring is not None and any(monitoring.get_tool(tool) is not None for tool in range(6))
