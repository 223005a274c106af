"""Run a command as a child process and measure its wall time and peak RSS."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measurement:
    """Wall seconds and peak resident memory (MiB) of one run."""

    seconds: float
    peak_mib: float
    returncode: int
    output: str = ""


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None, check: bool = True) -> Measurement:
    """Run ``command`` once; ``wait4`` gives this child's own peak RSS."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = output.decode(errors="replace")
    if check and proc.returncode not in (0, 2):
        raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}) in {cwd}:\n{text[-3000:]}")
    return Measurement(seconds=seconds, peak_mib=usage.ru_maxrss / 1024, returncode=proc.returncode, output=text)


def best_of(runs: int, command: list[str], cwd: Path, env: dict[str, str] | None = None,
            before=None) -> Measurement:
    """The fastest of ``runs`` runs (``before()`` is called ahead of each, e.g. to clear a cache)."""
    results = []
    for _ in range(runs):
        if before is not None:
            before()
        results.append(run(command, cwd, env))
    return min(results, key=lambda m: m.seconds)
