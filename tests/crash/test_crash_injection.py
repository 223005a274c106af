"""The crash-injection harness (tests/crash/harness.py) as tests.

The reduced run (every named point once, a few random kills) is in CI's
suite; the full one (>= 100 kills, about 3.5 minutes) is run by hand, and its
figures are in docs/reliability.md:

    FABORITE_CRASH_FULL=1 python -m pytest tests/crash -s
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.crash.harness import POINTS, run


def _report(outcome) -> str:
    lines = [outcome.summary(), f"uninterrupted apply: {outcome.apply_seconds:.2f}s; harness: {outcome.seconds:.0f}s",
             "kills by point: " + ", ".join(f"{k}={v}" for k, v in sorted(outcome.by_point.items())),
             *outcome.failures[:20]]
    return "\n".join(lines)


def _check(outcome) -> None:
    print("\n" + _report(outcome))
    assert outcome.lying_states == 0 and outcome.non_converging == 0, _report(outcome)


def test_reduced_crash_harness(tmp_path: Path) -> None:
    outcome = run(tmp_path, named_rounds=1, random_kills=3)
    _check(outcome)
    # Nearly every named point must really be reached, or the harness tests nothing.
    assert outcome.kills >= len(POINTS), _report(outcome)


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("FABORITE_CRASH_FULL"),
                    reason="the full crash harness (>= 100 kills) runs with FABORITE_CRASH_FULL=1")
def test_full_crash_harness(tmp_path: Path) -> None:
    outcome = run(tmp_path, named_rounds=5, random_kills=25, seed=7)
    _check(outcome)
    assert outcome.kills >= 100, _report(outcome)
