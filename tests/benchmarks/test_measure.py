"""benchmarks.measure reports each child's own peak RSS, never its parent's.

On Linux a child's ``ru_maxrss`` (from ``os.wait4``) carries the parent's peak
across fork/exec, so a benchmark process that had generated a big table made
every command it measured look as big. These tests run the measurement from a
fresh parent process that holds a large block of memory while it spawns a
tiny child: a leak of the parent's peak would show as a child at least that
big.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BALLAST_MIB = 256

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="VmHWM needs Linux /proc")

# The parent: touch BALLAST_MIB of memory, keep it alive, then measure the child given in argv.
PARENT = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path
    from benchmarks.measure import run
    ballast = b"x" * (int(sys.argv[1]) * 2**20)  # written, so resident
    child = json.loads(sys.argv[2])
    measured = run(child, Path.cwd(), check=False)
    _, _, usage = os.wait4(__import__("subprocess").Popen(child).pid, 0)
    with open("/proc/self/status") as status:
        hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(json.dumps({"peak_mib": measured.peak_mib, "returncode": measured.returncode,
                      "wait4_mib": usage.ru_maxrss / 1024, "parent_mib": hwm / 1024, "ballast": len(ballast)}))
    """
)


def _measure_from_big_parent(child: list[str], ballast_mib: int = BALLAST_MIB) -> dict:
    proc = subprocess.run([sys.executable, "-c", PARENT, str(ballast_mib), json.dumps(child)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_tiny_child_of_a_big_parent_reports_its_own_small_peak() -> None:
    report = _measure_from_big_parent([sys.executable, "-c", "pass"])
    assert report["returncode"] == 0
    assert report["parent_mib"] >= BALLAST_MIB, report
    # The naive measurement really does inherit the parent's peak here (else this test proves nothing) ...
    assert report["wait4_mib"] >= BALLAST_MIB, report
    # ... and the child's own report does not: a bare interpreter is ~10-20 MiB.
    assert 0 < report["peak_mib"] < BALLAST_MIB / 4, report


def test_a_child_that_allocates_reports_what_it_allocated() -> None:
    child = [sys.executable, "-c", "block = b'y' * (160 * 2**20)"]
    report = _measure_from_big_parent(child, ballast_mib=16)
    assert 160 <= report["peak_mib"] < 160 + BALLAST_MIB / 4, report


def test_python_grandchildren_do_not_overwrite_the_childs_report() -> None:
    # The child holds 160 MiB, then runs a tiny Python grandchild; the report stays the child's.
    code = ("import subprocess, sys\nblock = b'y' * (160 * 2**20)\n"
            "subprocess.run([sys.executable, '-c', 'pass'], check=True)\n")
    report = _measure_from_big_parent([sys.executable, "-c", code], ballast_mib=16)
    assert report["peak_mib"] >= 160, report


def test_a_child_that_reports_nothing_gets_nan_not_a_guess() -> None:
    # -S skips the site module, so the peak hook never loads.
    report = _measure_from_big_parent([sys.executable, "-S", "-c", "pass"])
    assert report["returncode"] == 0 and math.isnan(report["peak_mib"]), report
