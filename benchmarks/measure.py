"""Run a command as a child process and measure its wall time and peak RSS.

The peak is reported by the child itself: ``peak_hook/sitecustomize.py`` is put
on the child's ``PYTHONPATH`` and, just before the child exits, writes the
``VmHWM`` of ``/proc/self/status`` (its own peak, whatever its parent's) to a
file this module reads. ``os.wait4``'s ``ru_maxrss`` is not used: on Linux it
carries the parent's peak into the child across fork/exec, so it said more
about the benchmark process (e.g. one that had just generated a 10M-row table)
than about the command measured. Every command measured here is a Python
process (faborite, dbt, the peer and raw scripts); one that reports nothing
(not Python, killed, ``os._exit``, no ``/proc``) gets ``peak_mib = nan``.
"""

from __future__ import annotations

import math
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

#: The directory put first on a measured child's PYTHONPATH.
PEAK_HOOK = Path(__file__).resolve().parent / "peak_hook"
PEAK_FILE_VARIABLE = "FABORITE_BENCH_PEAK_FILE"


@dataclass(frozen=True)
class Measurement:
    """Wall seconds, peak resident memory (MiB) and CPU seconds (user + system) of one run."""

    seconds: float
    peak_mib: float
    returncode: int
    output: str = ""
    #: The command's and its waited-for children's (compile workers') CPU time: on a shared machine
    #: it says what the command cost where wall time also says what else was running.
    cpu_seconds: float = math.nan


def child_env(env: dict[str, str] | None, peak_file: Path) -> dict[str, str]:
    """The child's environment: ``env`` over ours, plus the peak hook and the file it writes."""
    merged = {**os.environ, **(env or {})}
    pythonpath = merged.get("PYTHONPATH")
    merged["PYTHONPATH"] = str(PEAK_HOOK) + (os.pathsep + pythonpath if pythonpath else "")
    merged[PEAK_FILE_VARIABLE] = str(peak_file)
    return merged


def read_peak_mib(peak_file: Path) -> float:
    """The peak the child wrote (KiB) in MiB; ``nan`` when it wrote none."""
    try:
        return int(peak_file.read_text().strip()) / 1024
    except (OSError, ValueError):
        return math.nan


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None, check: bool = True) -> Measurement:
    """Run ``command`` once; its peak RSS is the one it reports itself (see the module docstring)."""
    with tempfile.TemporaryDirectory(prefix="faborite-bench-peak-") as scratch:
        peak_file = Path(scratch) / "peak-kib"
        cpu_before = _children_cpu()
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, env=child_env(env, peak_file),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        output, _ = proc.communicate()
        seconds = time.perf_counter() - started
        cpu_seconds = _children_cpu() - cpu_before
        peak_mib = read_peak_mib(peak_file)
    text = output.decode(errors="replace")
    if check and proc.returncode not in (0, 2):
        raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}) in {cwd}:\n{text[-3000:]}")
    return Measurement(seconds=seconds, peak_mib=peak_mib, returncode=proc.returncode, output=text,
                       cpu_seconds=cpu_seconds)


def _children_cpu() -> float:
    """CPU seconds of every child this process has waited for (one command runs at a time here)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def best_of(runs: int, command: list[str], cwd: Path, env: dict[str, str] | None = None,
            before=None) -> Measurement:
    """The fastest of ``runs`` runs (``before()`` is called ahead of each, e.g. to clear a cache)."""
    results = []
    for _ in range(runs):
        if before is not None:
            before()
        results.append(run(command, cwd, env))
    return min(results, key=lambda m: m.seconds)


def publish_figures(figures: dict, report: str, json_path: Path | None) -> None:
    """Print a benchmark's report and, when asked, write every figure as JSON (each script's main)."""
    import json

    print(report)
    if json_path:
        json_path.write_text(json.dumps(figures, indent=2, default=str), encoding="utf-8")


def compile_bytecode() -> None:
    """Write the ``.pyc`` of faborite's packages, as an installed package has them.

    A child started with ``PYTHONDONTWRITEBYTECODE=1`` (as on the shared benchmark machine) and an
    editable install would otherwise compile every faborite module from source on each start
    (~0.3 s of a command), a cost no installed faborite pays; site-packages already hold theirs.
    """
    import compileall

    import faborite.dialects
    import faborite.providers

    for package in (faborite, faborite.providers, faborite.dialects):
        for folder in package.__path__:
            compileall.compile_dir(folder, quiet=2)
