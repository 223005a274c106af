"""Benchmark 4: CLI start-up (`faborite --help`, `faborite validate` on a 5-model project)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from benchmarks.generate import write_faborite_project
from benchmarks.measure import Measurement, best_of, run
from benchmarks.peers import WORK


def faborite_script() -> list[str]:
    """The installed console script itself (a pyenv shim would add its own start-up)."""
    script = Path(sys.executable).parent / "faborite"
    return [str(script)] if script.exists() else [sys.executable, "-m", "faborite"]


def bench_startup(runs: int = 5) -> dict[str, Measurement]:
    """Start-up times, next to a bare ``python -c pass`` for scale."""
    project = WORK / "startup-5"
    shutil.rmtree(project, ignore_errors=True)
    write_faborite_project(project, 5)
    faborite = faborite_script()
    run([*faborite, "validate"], project)  # warm the OS file cache
    return {
        "python -c pass": best_of(runs, [sys.executable, "-c", "pass"], project),
        "faborite --help": best_of(runs, [*faborite, "--help"], project),
        "faborite validate (5 models)": best_of(runs, [*faborite, "validate"], project),
    }


def imports_for_help() -> set[str]:
    """Heavy modules imported by `faborite --help` (should be none)."""
    code = ("import sys; from faborite.cli import cli\n"
            "try:\n    cli.main(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
            "print('HEAVY:' + ' '.join(m for m in ('sqlglot', 'duckdb', 'pyarrow', 'networkx', 'pydantic')"
            " if m in sys.modules))")
    out = run([sys.executable, "-c", code], WORK).output
    line = next((line for line in out.splitlines() if line.startswith("HEAVY:")), "HEAVY:")
    return set(line[len("HEAVY:"):].split())
