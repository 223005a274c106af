"""Import the SQL parser in a forked child while this process loads the cached compile.

A plan after one edit at 10,000 models spends ~0.15-0.2 s of its ~1.2 s importing
sqlglot and its dialect, to analyse the edited model and categorize its change.
That import needs nothing the plan loads, so on a second core it can run beside
the ~0.3 s of unpickling the cached project, manifest and state: :func:`start`
forks a child that imports the parser, then answers :func:`ask` over a pipe.

Only an optimisation: whenever the child cannot answer (not started, dead, stuck,
or the work raised), :func:`ask` returns None and the caller does the work itself,
which also gives errors their usual form. Started only by the ``faborite``
command (:func:`allow`), on Linux with two usable cores, with no other Python
thread alive (a fork copies one thread: a lock another holds would never be
released in the child), and when sqlglot is not imported yet (else there is
nothing to gain); stopped when the plan is made.
"""

from __future__ import annotations

import logging
import os
import pickle
import select
import signal
import struct
import sys
import threading
import time
from typing import Any

log = logging.getLogger(__name__)

#: How long to wait for an answer before doing the work here (a child that is merely slow
#: costs that much; one that is stuck would otherwise hang the plan).
ANSWER_TIMEOUT = 30.0
_HEADER = struct.Struct("!Q")

_allowed = False
_current: "_Child | None" = None


def allow() -> None:
    """Let :func:`start` fork (the ``faborite`` process; code calling faborite from Python is never forked)."""
    global _allowed
    _allowed = True


def start(sql_dialect: str | None) -> None:
    """Fork the child, which imports sqlglot and ``sql_dialect`` (a sqlglot name), unless it
    would not help or could not be safe (see the module's docstring); a no-op when running."""
    global _current
    if not _allowed or _current is not None or not _worthwhile():
        return
    try:
        _current = _Child.fork(sql_dialect)
    except OSError as exc:
        log.debug("warm parser not started: %s", exc)


def ask(kind: str, *args: Any) -> Any:
    """The child's answer to ``kind`` (``analyze``: :func:`faborite.compiler.analysis.analyze_sql`'s
    arguments; ``categorize``: :func:`faborite.plan.categorize.categorize_sql`'s), or None: do it here."""
    if _current is None or _current.parent != os.getpid():  # a forked compile worker must not share the pipe
        return None
    answer = _current.ask(kind, args)
    if answer is None:
        stop()  # a child that failed once is not asked again
    return answer


def stop() -> None:
    """End the child, if any (it holds nothing: killing it loses no work of value)."""
    global _current
    child, _current = _current, None
    if child is not None and child.parent == os.getpid():
        child.end()


def _worthwhile() -> bool:
    return (sys.platform.startswith("linux") and "sqlglot" not in sys.modules
            and threading.active_count() == 1 and len(os.sched_getaffinity(0)) >= 2)


class _Child:
    def __init__(self, pid: int, requests: int, answers: int) -> None:
        self.pid, self.requests, self.answers = pid, requests, answers
        self.parent = os.getpid()

    @classmethod
    def fork(cls, sql_dialect: str | None) -> "_Child":
        request_read, request_write = os.pipe()
        answer_read, answer_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            _serve(requests=request_read, answers=answer_write, sql_dialect=sql_dialect)
        os.close(request_read)
        os.close(answer_write)
        log.debug("warm parser started (pid %d)", pid)
        return cls(pid, requests=request_write, answers=answer_read)

    def ask(self, kind: str, args: tuple) -> Any:
        try:
            _send(self.requests, (kind, args))
            status, value = _receive(self.answers, ANSWER_TIMEOUT)
        except (OSError, EOFError, TimeoutError, pickle.UnpicklingError, ValueError, TypeError) as exc:
            log.debug("warm parser gave no answer: %r", exc)
            return None
        if status != "ok":
            log.debug("warm parser: %s raised %s; done here instead", kind, value)
            return None
        return value

    def end(self) -> None:
        for fd in (self.requests, self.answers):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def _serve(*, requests: int, answers: int, sql_dialect: str | None) -> None:
    """The child's whole life: import, answer until the parent closes the pipe, exit without cleanup."""
    global _current, _allowed
    try:
        _current, _allowed = None, False  # the parent's child is not this process's
        import gc

        gc.disable()  # short-lived; and no finalizer may close a descriptor closed below
        requests, answers = _above_stdio(requests), _above_stdio(answers)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # never hold the parent's output open (a pipe's reader waits for EOF)
            os.dup2(devnull, fd)
        low, high = sorted((requests, answers))
        os.closerange(3, low)  # nor its files, locks or connections
        os.closerange(low + 1, high)
        os.closerange(high + 1, min(os.sysconf("SC_OPEN_MAX"), 1 << 16))
        import sqlglot

        if sql_dialect:
            sqlglot.Dialect.get_or_raise(sql_dialect)
        from faborite.compiler.analysis import analyze_sql
        from faborite.plan.categorize import categorize_sql

        work = {"analyze": lambda sql, dialect, file, offset: analyze_sql(sql, dialect, file=file, line_offset=offset),
                "categorize": categorize_sql}
        while True:
            try:
                kind, args = _receive(requests, None)
            except EOFError:
                break
            try:
                answer = ("ok", work[kind](*args))
            except Exception as exc:  # the parent does it again, and reports it its usual way
                answer = ("error", type(exc).__name__)
            _send(answers, answer)
    except BaseException:  # an interrupt, a broken pipe: the parent does the work itself
        pass
    finally:
        os._exit(0)


def _above_stdio(fd: int) -> int:
    """``fd``, or a copy numbered 3 or more when it is 0-2 (a parent started with stdin closed)."""
    if fd > 2:
        return fd
    import fcntl

    copy = fcntl.fcntl(fd, fcntl.F_DUPFD, 3)
    os.close(fd)
    return copy


def _send(fd: int, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _receive(fd: int, timeout: float | None) -> Any:
    (size,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size, timeout))
    from faborite.safe_pickle import safe_loads

    return safe_loads(_read_exactly(fd, size, timeout))


def _read_exactly(fd: int, size: int, timeout: float | None) -> bytes:
    deadline = None if timeout is None else time.monotonic() + timeout
    chunks, missing = [], size
    while missing:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError(f"no answer within {timeout} s")
        chunk = os.read(fd, min(missing, 1 << 20))
        if not chunk:
            raise EOFError("the other end closed the pipe")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)
