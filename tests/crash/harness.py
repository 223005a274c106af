"""Crash injection: SIGKILL real ``faborite apply`` / ``faborite sync`` processes and check
that the state never lies.

One *trial*: a project applied at files version A is edited to version B; the
CLI applies (or syncs) B in a subprocess that is killed, either at a named
crash point (:mod:`faborite.crashpoints`: every stage boundary, each publish
statement and link, each built node, each synced batch, inside state writes)
or after a random delay. Then, as the next commands would:

1. the state and any intent parse;
2. the lock is recoverable: the next command takes over the dead holder's lock;
3. published data is A's or B's, never a mix the state does not record (a mix
   is allowed only while the plan shows it: half-swapped file links are drift,
   and ``faborite sync`` by design publishes new copies under old models);
   once the next command resolved the journal, "No changes." against B's files
   means the published data equals a fresh build of B, and likewise after a
   rollback and a revert to A's files (the issue's scenario);
4. the next apply converges: published == a fresh build of B, and the plan
   after it says "No changes.".

Fresh builds are made once per files version, in-process, in another folder.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
from deltalake import write_deltalake

from faborite.api import Workspace, init_project
from faborite.state.backend import locked
from faborite.state.local import LocalStateBackend

DB = ".faborite/dev.duckdb"
STATE = ".faborite/state/dev"

#: Named points (the n of point@n: the n-th time it is reached), each with the edits whose apply
#: reaches it (empty: every edit does).
POINTS: dict[str, tuple[str, ...]] = {
    "stage:build:before": (), "build:model@1": ("add_column", "logic", "new_and_dropped"),
    "build:model@3": ("logic",), "build:sync": ("sample", "source_moved", "files_moved", "files_synced"),
    "sync:batch": ("sample", "source_moved", "files_moved", "files_synced"),
    "stage:build:after": (), "stage:audit:after": (), "atomic:intent.json": (), "stage:journal:after": (),
    "publish:statement@1": (), "publish:statement@3": ("logic", "sample", "new_and_dropped"),
    "publish:commit": (), "publish:link": ("files_moved", "files_synced"),
    "publish:link@2": ("files_moved", "files_synced"),
    "stage:publish:after": (), "state:link": (), "stage:record:before": (), "stage:record:after": (),
}


# -- the project and its edits -------------------------------------------------------------


def make_project(root: Path) -> Path:
    """The template project plus a Delta lake synced into the target and into Parquet files."""
    init_project(root)
    write_deltalake(str(root / "lake/events"), _events(0, 300))
    write_deltalake(str(root / "lake/regions"), pa.table({"id": [1, 2, 3], "name": ["n", "s", "e"]}))
    write_deltalake(str(root / "lake/codes"), pa.table({"code": ["a", "b"]}))
    (root / "sources").mkdir(exist_ok=True)
    (root / "sources/lake.yml").write_text("sources:\n  - name: lake\n    type: delta\n    path: lake\n")
    (root / "syncs").mkdir(exist_ok=True)
    (root / "syncs/lake.yml").write_text(
        "syncs:\n"
        "  - name: events\n    from: lake\n    tables: [events]\n"
        "    sample: {strategy: random, rows: 200, seed: 7}\n"
        "  - name: files\n    from: lake\n    tables: [regions, codes]\n"
        "    to: {format: parquet, path: out}\n")
    (root / "models/event_counts.sql").write_text(
        "select kind, count(*) as n from {{ ref('events') }} group by kind\n")
    return root


def _events(start: int, n: int) -> pa.Table:
    return pa.table({"id": list(range(start, start + n)), "kind": [f"k{i % 5}" for i in range(start, start + n)]})


def _replace(rel: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        path = root / rel
        text = path.read_text()
        assert old in text, f"{old!r} not in {rel}"
        path.write_text(text.replace(old, new))
    return edit


def _append_events(root: Path) -> None:
    write_deltalake(str(root / "lake/events"), _events(1000, 50), mode="append")


def _lake_moved(root: Path) -> None:
    """Both file outputs change: two links to swap at publish."""
    write_deltalake(str(root / "lake/regions"), pa.table({"id": [4], "name": ["w"]}), mode="append")
    write_deltalake(str(root / "lake/codes"), pa.table({"code": ["c"]}), mode="append")


def _new_model(root: Path) -> None:
    (root / "models/marts/big_orders.sql").write_text("select * from {{ ref('orders') }} where amount > 20\n")


def _drop_model(root: Path) -> None:
    (root / "models/marts/daily_revenue.sql").unlink()


#: name -> (edit, command that applies it)
EDITS: dict[str, tuple[Callable[[Path], None], tuple[str, ...]]] = {
    "add_column": (_replace("models/marts/orders.sql", "c.name", "c.name, o.status"), ("apply", "--auto-approve", "--allow-destructive")),
    "logic": (_replace("models/staging/stg_orders.sql", "as amount", "+ 1 as amount"), ("apply", "--auto-approve", "--allow-destructive")),
    "sample": (_replace("syncs/lake.yml", "rows: 200", "rows: 150"), ("apply", "--auto-approve", "--allow-destructive")),
    "new_and_dropped": (lambda root: (_new_model(root), _drop_model(root)), ("apply", "--auto-approve", "--allow-destructive")),
    "source_moved": (_append_events, ("sync", "--auto-approve")),
    "files_moved": (_lake_moved, ("apply", "--auto-approve", "--allow-destructive")),
    "files_synced": (_lake_moved, ("sync", "files", "--auto-approve")),
}


# -- what is published ---------------------------------------------------------------------


def published(root: Path) -> dict[str, list]:
    """Every published view's rows and every published Parquet output's rows, sorted."""
    data: dict[str, list] = {}
    if (root / DB).exists():
        con = duckdb.connect(str(root / DB), read_only=True)
        try:
            names = con.sql("select table_schema, table_name from information_schema.tables "
                            "where table_schema not like 'faborite__%'").fetchall()
            for schema, name in names:
                data[f"{schema}.{name}"] = sorted(con.sql(f'select * from "{schema}"."{name}"').fetchall(), key=repr)
        finally:
            con.close()
    out = root / "out"
    if out.is_dir():
        for link in sorted(out.iterdir()):
            if link.name.startswith("."):
                continue
            files = sorted(str(p) for p in link.glob("*.parquet"))
            rows = duckdb.sql(f"select * from read_parquet({files!r})").fetchall() if files else []
            data[f"files:{link.name}"] = sorted(rows, key=repr)
    return data


def copy_files(source: Path, destination: Path) -> None:
    """The project's files (not .faborite/ or outputs): what a fresh build starts from."""
    shutil.copytree(source, destination, symlinks=True, ignore=shutil.ignore_patterns(".faborite", "out"))


def apply_in_process(root: Path) -> None:
    ws = Workspace.open(root)
    plan = ws.plan()
    if plan.has_changes:
        ws.apply(plan, allow_destructive=True)  # the edits drop models: allowed, as in CI


# -- one trial -------------------------------------------------------------------------------


@dataclass
class Outcome:
    """Counts over a harness run."""

    trials: int = 0
    kills: int = 0
    completed: int = 0  # the process finished before the kill point or time
    lying_states: int = 0
    non_converging: int = 0
    by_point: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.trials} trials: {self.kills} kills ({self.completed} finished first), "
                f"{self.lying_states} lying states, {self.non_converging} non-converging runs")


class Harness:
    """Builds the base project once, fresh builds once per files version, then runs trials."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.base = make_project(workdir / "base")
        apply_in_process(self.base)
        self._fresh: dict[str, dict] = {}
        self._count = 0

    def fresh(self, files: Path, key: str) -> dict:
        """What a from-scratch apply of ``files`` publishes (cached under ``key``)."""
        if key not in self._fresh:
            build = self.workdir / f"fresh-{key}"
            copy_files(files, build)
            apply_in_process(build)
            self._fresh[key] = published(build)
            shutil.rmtree(build, ignore_errors=True)
        return self._fresh[key]

    def new_root(self) -> Path:
        self._count += 1
        root = self.workdir / f"trial-{self._count}"
        shutil.copytree(self.base, root, symlinks=True)
        return root

    def trial(self, outcome: Outcome, edit_name: str, *, point: str | None = None,
              delay: float | None = None) -> None:
        """Kill one apply/sync of ``edit_name`` at ``point`` or after ``delay`` seconds, then check."""
        edit, command = EDITS[edit_name]
        root = self.new_root()
        files_a = self.workdir / f"files-a-{self._count}"
        copy_files(root, files_a)
        edit(root)
        label = f"{edit_name} {' '.join(command)} @ {point or f'{delay:.2f}s'}"
        outcome.trials += 1
        env = {**os.environ, "COLUMNS": "200"}
        if point:
            env["FABORITE_CRASH_AT"] = point
        proc = subprocess.Popen([sys.executable, "-m", "faborite", "--no-color", *command], cwd=root, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if delay is not None:
            try:
                proc.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
        output, _ = proc.communicate(timeout=180)
        killed = proc.returncode == -signal.SIGKILL
        if killed:
            outcome.kills += 1
            outcome.by_point[point or "random time"] += 1
        else:
            outcome.completed += 1
            if proc.returncode != 0:
                outcome.failures.append(f"{label}: exited {proc.returncode}: {output.decode()[-500:]}")
                outcome.non_converging += 1
                return
        try:
            self._check(root, files_a, edit_name)
        except _Lie as exc:
            outcome.lying_states += 1
            outcome.failures.append(f"{label}: {exc}")
        except _NoConvergence as exc:
            outcome.non_converging += 1
            outcome.failures.append(f"{label}: {exc}")
        finally:
            shutil.rmtree(root, ignore_errors=True)
            shutil.rmtree(files_a, ignore_errors=True)

    def _check(self, root: Path, files_a: Path, edit_name: str) -> None:
        sync_only = EDITS[edit_name][1][0] == "sync"
        backend = LocalStateBackend(root / STATE)
        try:
            backend.read()
            backend.read_intent()
        except Exception as exc:  # noqa: BLE001 - any failure to parse is the finding
            raise _Lie(f"state does not parse: {exc}") from exc
        fresh_b = self.fresh(root, edit_name)
        fresh_a = self.fresh(files_a, "base")
        # The lock is recoverable: the next locking command takes over the dead holder's lock.
        try:
            with locked(backend, "check"):
                pass
        except Exception as exc:  # noqa: BLE001
            raise _Lie(f"the lock could not be taken: {type(exc).__name__}: {exc}") from exc
        # The next command resolves the journal.
        try:
            state = Workspace.open(root).recover()
        except Exception as exc:  # noqa: BLE001
            raise _Lie(f"the next command could not recover: {type(exc).__name__}: {exc}") from exc
        now = published(root)
        if now not in (fresh_a, fresh_b):
            # Legitimate only while the plan says so: links a kill left half-swapped are drift, and
            # `faborite sync` publishes new copies under old models by design (the plan shows them).
            plan = Workspace.open(root).plan()
            if not plan.drift and not (sync_only and plan.has_changes):
                raise _Lie("published data is neither A's nor B's, and the plan shows no drift")
        _no_changes_means_fresh(root, fresh_b, "B")
        # The scenario: roll back to A's serial, revert the files to A.
        base_serial = LocalStateBackend(self.base / STATE).read().serial
        if state is not None and state.serial > base_serial:
            ws = Workspace.open(root)
            ws.rollback(ws.plan_rollback(base_serial))
        b_files = self.workdir / f"files-b-{self._count}"
        copy_files(root, b_files)
        _swap_files(root, files_a)
        _no_changes_means_fresh(root, fresh_a, "A (after rollback)")
        # Converge on B.
        _swap_files(root, b_files)
        shutil.rmtree(b_files, ignore_errors=True)
        try:
            apply_in_process(root)
        except Exception as exc:  # noqa: BLE001
            raise _NoConvergence(f"apply after the kill failed: {type(exc).__name__}: {exc}") from exc
        if published(root) != fresh_b:
            raise _NoConvergence("after apply, published data differs from a fresh build")
        if Workspace.open(root).plan().has_changes:
            raise _NoConvergence("after apply, plan still has changes")


class _Lie(AssertionError):
    pass


class _NoConvergence(AssertionError):
    pass


def _no_changes_means_fresh(root: Path, fresh: dict, which: str) -> None:
    plan = Workspace.open(root).plan()
    if not plan.has_changes and published(root) != fresh:
        raise _Lie(f"plan said 'No changes.' against {which}'s files, but published data is not a fresh build")


def _swap_files(root: Path, files: Path) -> None:
    """Make ``root``'s project files those of ``files`` (outputs and .faborite kept)."""
    for entry in root.iterdir():
        if entry.name not in (".faborite", "out"):
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    for entry in files.iterdir():
        target = root / entry.name
        shutil.copytree(entry, target, symlinks=True) if entry.is_dir() else shutil.copy2(entry, target)


def run(workdir: Path, *, named_rounds: int, random_kills: int, seed: int = 1) -> Outcome:
    """Every named point for every edit ``named_rounds`` times (cycling edits), plus random-time kills."""
    rng = random.Random(seed)
    harness = Harness(workdir)
    outcome = Outcome()
    edits = list(EDITS)
    started = time.perf_counter()
    # How long an uninterrupted apply takes bounds the random kill times.
    probe = harness.new_root()
    EDITS["add_column"][0](probe)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "faborite", "--no-color", "apply", "--auto-approve"], cwd=probe,
                   capture_output=True, check=True)
    duration = time.perf_counter() - t0
    shutil.rmtree(probe, ignore_errors=True)
    for round_ in range(named_rounds):
        for index, (point, reaching) in enumerate(POINTS.items()):
            choices = reaching or edits
            harness.trial(outcome, choices[(round_ + index) % len(choices)], point=point)
    for _ in range(random_kills):
        harness.trial(outcome, rng.choice(edits), delay=rng.uniform(0.2, duration))
    outcome.seconds = time.perf_counter() - started  # type: ignore[attr-defined]
    outcome.apply_seconds = duration  # type: ignore[attr-defined]
    return outcome
