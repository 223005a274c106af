"""``--lock-timeout`` on apply, rollback, gc and sync: two processes, one lock."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from faborite.state import LocalStateBackend
from tests.cli.conftest import run_subprocess

from ..state.conformance import SAFETY_NET_SECONDS


@pytest.mark.parametrize("command", [["apply"], ["rollback"], ["gc"], ["sync"]], ids=" ".join)
def test_every_locking_command_takes_the_option(command, tiny: Path):
    result = run_subprocess(*command, "--lock-timeout", "soon", cwd=tiny)
    assert result.code != 0 and "not a duration" in result.err


def test_timeout_fails_naming_the_holder(tiny: Path):
    holder = LocalStateBackend(tiny / ".faborite/state/dev")
    held = holder.lock("rollback")
    result = run_subprocess("apply", "--auto-approve", "--lock-timeout", "1s", cwd=tiny)
    assert result.code == 1
    err = " ".join(result.err.split())
    assert held.describe() in err and held.id in err and "(waited 1s)" in err
    assert holder.lock_info() == held


def test_apply_waits_for_the_lock_and_then_succeeds(tiny: Path):
    holder = LocalStateBackend(tiny / ".faborite/state/dev")
    held = holder.lock("apply")
    proc = subprocess.Popen([sys.executable, "-m", "faborite", "--no-color", "apply", "--auto-approve",
                             "--lock-timeout", "5m"], cwd=tiny, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"})
    try:
        # The plan is printed just before apply asks for the lock: from then on it is waiting.
        for line in proc.stdout:
            if line.startswith("Plan:"):
                break
        assert proc.poll() is None, "apply gave up instead of waiting for the lock"
        holder.unlock(held.id)
        out, err = proc.communicate(timeout=SAFETY_NET_SECONDS)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Apply complete!" in out
    assert [h.serial for h in holder.history()] == [1]
