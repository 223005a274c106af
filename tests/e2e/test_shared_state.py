"""Issue 10: every runner sees one truth. Two copies of one project (two folders, no shared
``.faborite``) with a postgres target keep their state in the target's database: what one
applies, the other plans against; while one holds the lock, the other is refused at once,
told who holds it; two applies racing never both write.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from faborite.api import Workspace, init_project
from tests.conftest import run_cli
from tests.postgres import PostgresServer

pytestmark = pytest.mark.service

PG_TARGET = """\
  pg:
    type: postgres
    host: {host}
    port: {port}
    user: {user}
    dbname: {dbname}
    schema: analytics
"""


@pytest.fixture
def copies(tmp_path: Path, postgres: PostgresServer, pg_database: str) -> tuple[Path, Path]:  # noqa: F811
    """The template project with a `pg` target as the default, in two folders (two runners)."""
    first = init_project(tmp_path / "first")
    config = first / "faborite.yml"
    block = PG_TARGET.format(host=postgres.host, port=postgres.port, user=postgres.user, dbname=pg_database)
    text = config.read_text().replace("\ntarget: dev", "\ntarget: pg", 1)
    assert "target: pg" in text
    config.write_text(text.replace("targets:\n", "targets:\n" + block, 1))
    second = tmp_path / "second"
    shutil.copytree(first, second, ignore=shutil.ignore_patterns(".faborite"))
    return first, second


def cli(*args: str, cwd: Path, ok: bool = True):
    result = run_cli(*args, cwd=cwd)
    assert (result.code == 0) == ok, result.output
    return result


def test_the_second_copy_plans_against_what_the_first_applied(copies) -> None:
    first, second = copies
    cli("apply", "--auto-approve", cwd=first)
    assert "No changes." in cli("plan", cwd=second).output
    assert not (first / ".faborite" / "state").exists() and not (second / ".faborite" / "state").exists()
    history = cli("state", "history", cwd=second).output
    assert "apply" in history


def test_while_one_copy_holds_the_lock_the_other_is_refused_at_once_naming_it(copies) -> None:
    first, second = copies
    backend = Workspace.open(first).state_backend
    held = backend.lock("apply")
    try:
        refused = cli("apply", "--auto-approve", cwd=second, ok=False)
        assert f"state is locked: {held.describe()}, lock ID {held.id}" in refused.output
        assert f"faborite force-unlock {held.id}" in refused.output
        assert backend.read() is None  # nothing written
    finally:
        backend.unlock(held.id)
        backend.close()
    cli("apply", "--auto-approve", cwd=second)


def test_two_racing_applies_never_both_write(copies) -> None:
    first, second = copies
    procs = [subprocess.Popen([sys.executable, "-m", "faborite", "--no-color", "apply", "--auto-approve"],
                              cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for cwd in (first, second)]
    outputs = [proc.communicate(timeout=300)[0] for proc in procs]
    codes = [proc.returncode for proc in procs]
    assert 0 in codes, outputs
    for code, output in zip(codes, outputs):
        # The loser was refused (lock held, or the state moved on), or ran after and had nothing to do.
        assert code == 0 or "state is locked" in output or "state changed" in output, output
    backend = Workspace.open(second).state_backend
    assert [entry.serial for entry in backend.history()] == [1]
    backend.close()


def test_local_state_moves_into_the_target_with_pull_and_push(copies, tmp_path: Path) -> None:
    first, _ = copies
    config = first / "faborite.yml"
    shared = config.read_text()
    config.write_text(shared.replace("    schema: analytics\n", "    schema: analytics\n    state: {type: local}\n", 1))
    cli("apply", "--auto-approve", cwd=first)
    saved = tmp_path / "state.json"
    cli("state", "pull", "-o", str(saved), cwd=first)
    config.write_text(shared)  # now the default: state in the target, which has none yet
    assert "8 to create" in cli("plan", cwd=first).output
    cli("state", "push", str(saved), "--auto-approve", cwd=first)
    assert "No changes." in cli("plan", cwd=first).output


def test_with_a_lock_timeout_the_other_copy_waits_and_history_has_no_gaps(copies) -> None:
    first, second = copies
    backend = Workspace.open(first).state_backend
    held = backend.lock("apply")
    waiting = subprocess.Popen([sys.executable, "-m", "faborite", "--no-color", "apply", "--auto-approve",
                                "--lock-timeout", "2m"], cwd=second, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        # Released once the other apply is waiting (it cannot finish while the lock is held).
        with pytest.raises(subprocess.TimeoutExpired):
            waiting.wait(timeout=5)
    finally:
        backend.unlock(held.id)
    output = waiting.communicate(timeout=300)[0]
    assert waiting.returncode == 0, output
    orders = first / "models" / "marts" / "orders.sql"
    orders.write_text(orders.read_text().replace("select", "select 1 as flag,", 1))
    cli("apply", "--auto-approve", cwd=first)
    assert "No changes." not in cli("plan", cwd=second).output  # second's files lack the edit
    assert [entry.serial for entry in backend.history()] == [1, 2]
    backend.close()
