"""Shared fixtures: a fresh demo project and a way to drive the real CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from faborite.api import init_project

#: The throw-away servers' fixtures, registered once: a fixture imported into each test module is a
#: fixture of that module, so each module would start its own session-scoped server.
pytest_plugins = ["tests.postgres", "tests.mysql", "tests.azurite", "tests.spark"]


def pytest_sessionstart(session: pytest.Session) -> None:
    """Write faborite's ``.pyc`` once: with ``PYTHONDONTWRITEBYTECODE=1`` (CI machines set it) and an
    editable install, every ``faborite`` child would compile its modules from source again
    (~0.2 s a command, hundreds of commands), a cost no installed faborite pays."""
    from benchmarks.measure import compile_bytecode

    compile_bytecode()


#: The xdist group of the tests that use the in-process Spark session (``tests/spark.py``): under
#: ``--dist loadgroup`` (the README's test command) they all run on one worker, so one JVM starts
#: instead of one per worker (13-20 s each on 2 cores, and a second JVM's compiler threads take
#: CPU from the other worker's tests).
SPARK_SESSION_GROUP = "spark-session"


@pytest.hookimpl(tryfirst=True)  # before xdist reads the xdist_group marks
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, keep the Spark session users together and start the slow tests first.

    ``--dist loadgroup`` hands out one test (or one group) at a time from the front, the groups
    with most tests first: the slow tests go to the front so no worker is left with minutes of
    tail. Under ``--dist load`` (a first chunk of about N / workers / 4 consecutive tests each,
    then more from the front), each worker's first chunk starts with its share of them. Every
    worker computes the same order (xdist requires it); the test ids are unchanged (but for the
    ``@spark-session`` suffix xdist adds under ``--dist loadgroup``).
    """
    for item in items:
        if "spark_connection" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group(SPARK_SESSION_GROUP))
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    slow = [item for item in items if item.get_closest_marker("slow") is not None]
    if workers < 2 or not slow:
        return
    rest = [item for item in items if item.get_closest_marker("slow") is None]
    if config.getoption("dist", "no") != "load":
        items[:] = slow + rest
        return
    chunk = max(len(items) // workers // 4, 2)
    ordered: list[pytest.Item] = []
    for worker in range(workers):
        share = slow[worker::workers]
        ordered += share
        fill = max(chunk - len(share), 0) if worker < workers - 1 else 0
        ordered += rest[:fill]
        rest = rest[fill:]
    items[:] = ordered + rest


@dataclass
class CliResult:
    """What a CLI run printed and returned."""

    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(*args: str, cwd: Path, input: str | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> CliResult:
    """Run ``faborite ARGS`` in a subprocess, as a user would (no terminal); ``timeout`` in seconds."""
    proc = subprocess.run(
        [sys.executable, "-m", "faborite", "--no-color", *args], cwd=cwd, input=input, text=True,
        capture_output=True, env={**os.environ, "COLUMNS": "200", **(env or {})}, timeout=timeout,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def run_cli_in_process(*args: str, cwd: Path, input: str | None = None, env: dict[str, str | None] | None = None,
                       ) -> CliResult:
    """``faborite ARGS`` in this process, seen as :func:`run_cli` sees it: same arguments, same result.

    For tests about what a command prints and returns, not about the process (a kill, a second
    process finding what the first left, start-up): a ``python -m faborite`` child costs ~0.5 s of
    start-up alone. ``env`` is laid over this process's environment (None: the variable unset)
    for the command only. What a child would also have written to stderr is kept there: an escaping
    exception as Python's traceback (exit 1, as with ``--debug``), log records at WARNING and above
    (Python's last-resort handler) and warnings shown by Python's default filters.
    """
    import contextlib
    import gc
    import io
    import logging
    import traceback
    import warnings

    from faborite.cli import main

    out, err = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(err)
    handler.setLevel(logging.WARNING)
    saved_env, saved_gc = dict(os.environ), gc.get_threshold()
    for name, value in {"COLUMNS": "200", **(env or {})}.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    logging.getLogger().addHandler(handler)
    saved_cwd = os.getcwd()
    os.chdir(cwd)  # (contextlib.chdir is Python 3.11+; faborite supports 3.10)
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
                warnings.filterwarnings("ignore", category=category)
            saved_stdin, sys.stdin = sys.stdin, io.StringIO(input or "")
            try:
                main(["--no-color", *args])
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
            except Exception:  # noqa: BLE001 - what the interpreter would print before exiting 1
                traceback.print_exc(file=err)
                code = 1
            finally:
                sys.stdin = saved_stdin
            for warning in caught:
                err.write(warnings.formatwarning(warning.message, warning.category, warning.filename, warning.lineno))
    finally:
        os.chdir(saved_cwd)
        logging.getLogger().removeHandler(handler)
        os.environ.clear()
        os.environ.update(saved_env)
        gc.set_threshold(*saved_gc)  # main() raises it for a short-lived process
    return CliResult(code, out.getvalue(), err.getvalue())


def run_on_pty(args: list[str], *, cwd: Path, env: dict[str, str], answer: str | None = None) -> tuple[int, str]:
    """Run ``python -m faborite ARGS`` on a pseudo-terminal; type ``answer`` at the prompt.

    Returns the exit code and everything the terminal showed (escape codes kept).
    """
    import pty
    import select

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "faborite", *args], cwd=cwd, stdin=slave, stdout=slave,
                            stderr=slave, env=env, close_fds=True)
    os.close(slave)
    chunks: list[bytes] = []
    answered = answer is None
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            proc.kill()
            raise TimeoutError("faborite did not finish: " + b"".join(chunks).decode(errors="replace"))
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
        if not answered and b"Enter a value" in b"".join(chunks):
            os.write(master, (answer + "\n").encode())
            answered = True
    os.close(master)
    code = proc.wait(timeout=60)
    return code, b"".join(chunks).decode(errors="replace").replace("\r\n", "\n")


def run_cli_tty(*args: str, cwd: Path, answer: str = "yes") -> CliResult:
    """Run ``faborite ARGS`` on a pseudo-terminal and type ``answer`` at the prompt."""
    code, text = run_on_pty(["--no-color", *args], cwd=cwd, env={**os.environ, "COLUMNS": "200"}, answer=answer)
    return CliResult(code, re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text), "")


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A fresh project made from project_template/, not yet applied."""
    return init_project(tmp_path / "demo")
