"""Benchmark 8: state backends. What a shared state costs per operation, and what it adds to plan.

1. **Round trip** per backend: ``read()`` + ``lock("apply")`` + ``write(next)``
   + ``unlock()``, the state work of one apply, in-process, on a state of
   ``--nodes`` nodes (2,000: the plan benchmark's project; 10: the fixed cost).
   Backends: local files, PostgreSQL (``{type: target}``), MariaDB
   (``{type: target}``) and Azure Blob on Azurite (``{type: azure_blob}``,
   HTTPS to localhost). Median and 90th percentile of ``--rounds`` rounds, and
   a read alone.
2. **Plan at 2,000 models, state in PostgreSQL vs local** (target <= 1.3x):
   the compile benchmark's generated project (``generate.py``) applied once
   with local state and copied; in the copy the state is moved with ``faborite
   state migrate --to '{type: postgres, url_env: ...}'`` and the ``state:`` key
   switched. A no-change ``faborite plan`` then runs ``--runs`` times on each,
   interleaved (local, postgres, local, ...), medians compared. Whole CLI
   processes; each side's target is its own copy of the same DuckDB file.

Servers come from the test fixtures' helpers (``tests/postgres.py``,
``tests/mysql.py``, ``tests/azurite.py``); a backend whose server is not
installed is reported as ``n/a``, never guessed.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.generate import write_faborite_project
from benchmarks.measure import publish_figures, run
from benchmarks.peers import WORK as ROOT_WORK

WORK = ROOT_WORK / "state-backends"
FABORITE = [sys.executable, "-m", "faborite"]
URL_ENV = "FABORITE_BENCH_STATE_URL"


def _state(nodes: int):
    """A first state of ``nodes`` plausible nodes (the conformance suite's node shape)."""
    from datetime import datetime, timezone

    from faborite.state.model import NodeState, State
    from faborite.target import Column

    when = datetime(2026, 11, 30, tzinfo=timezone.utc)
    made = [NodeState(id=f"model.m{i:05d}", kind="model", version=f"{i:064x}", data_hash="d" * 64,
                      metadata_hash="m" * 64, relation=f"main.m{i:05d}", physical=f"faborite__main.m{i:05d}__{i:012x}",
                      materialized="table", sql=f"select {i} as id, amount from {{{{ ref('x') }}}}",
                      parents=(f"model.m{i - 1:05d}",) if i else (),
                      columns=(Column(name="id", type="INTEGER"), Column(name="amount", type="DOUBLE")),
                      row_count=i, applied_at=when) for i in range(nodes)]
    return State.first(target="dev", nodes=made, event=None, faborite_version="bench")


def round_trips(backend: Any, nodes: int, rounds: int) -> dict[str, float]:
    """Milliseconds per read + lock + write + unlock (median, p90) and per read alone (median)."""
    state = _state(nodes)
    backend.write(state, expected_serial=None)
    trips, reads = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        current = backend.read()
        reads.append(time.perf_counter() - started)
        info = backend.lock("apply")
        current_next = current.next(nodes=current.nodes, event=None, faborite_version="bench")
        backend.write(current_next, expected_serial=current.serial)
        backend.unlock(info.id)
        trips.append(time.perf_counter() - started)
    trips.sort()
    return {"round_trip_ms_median": round(statistics.median(trips) * 1000, 1),
            "round_trip_ms_p90": round(trips[int(len(trips) * 0.9) - 1] * 1000, 1),
            "read_ms_median": round(statistics.median(reads) * 1000, 1)}


def _servers(stack: contextlib.ExitStack, scratch: Path) -> dict[str, Any]:
    """Every server that can be started here, by name (a missing one is left out, with the reason)."""
    found: dict[str, Any] = {}
    starters: dict[str, Callable[[], Any]] = {}

    def postgres() -> Any:
        from tests.postgres import run_postgres

        return stack.enter_context(run_postgres())

    def mariadb() -> Any:
        from tests.mysql import run_mysql

        return stack.enter_context(run_mysql())

    def azurite() -> Any:
        from tests.azurite import run_azurite

        return stack.enter_context(run_azurite(scratch / "azurite"))

    starters.update(postgres=postgres, mariadb=mariadb, azurite=azurite)
    for name, start in starters.items():
        try:
            found[name] = start()
        except Exception as exc:  # noqa: BLE001 - reported as n/a with the reason
            found[name] = f"n/a: {str(exc).splitlines()[0][:120]}"
    return found


def _postgres(pg: Any) -> Any:
    from faborite.providers.postgres import PostgresTargetConfig
    from faborite.providers.postgres_state import target_state_backend

    return target_state_backend(PostgresTargetConfig.model_validate(pg.config(pg.create_database())), None, "dev")


def _mariadb(maria: Any) -> Any:
    from faborite.providers.mysql import MySQLTargetConfig
    from faborite.providers.mysql_state import target_state_backend

    database = maria.create_database()
    return target_state_backend(MySQLTargetConfig.model_validate(maria.config(database)), database, "dev")


def _azure_blob(blob: Any) -> Any:
    import uuid

    from faborite.providers.azure_blob_state import AzureBlobStateBackend

    container = f"bench-{uuid.uuid4().hex[:12]}"
    blob.create_container(container)
    return AzureBlobStateBackend(blob.blob_service().get_container_client(container), prefix="state", name="dev")


#: Backend name -> (the server it needs, a function opening a fresh, empty backend on that server).
_ON_SERVERS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "postgres (target)": ("postgres", _postgres),
    "mariadb (target)": ("mariadb", _mariadb),
    "azure_blob (Azurite, HTTPS)": ("azurite", _azure_blob),
}


def _backends(servers: dict[str, Any]) -> dict[str, Callable[[], Any] | str]:
    """A factory of a fresh, empty backend per name (a string: why it is not available)."""
    made: dict[str, Callable[[], Any] | str] = {"local": _local}
    for name, (server, opener) in _ON_SERVERS.items():
        found = servers[server]
        made[name] = found if isinstance(found, str) else functools.partial(opener, found)
    return made


def _local() -> Any:
    import uuid

    from faborite.state.local import LocalStateBackend

    return LocalStateBackend(_fresh(WORK / "local" / uuid.uuid4().hex[:12]))


def bench_round_trips(servers: dict[str, Any], sizes: list[int], rounds: int) -> dict[str, Any]:
    """Round-trip figures per backend and state size."""
    figures: dict[str, Any] = {}
    for name, make in _backends(servers).items():
        if isinstance(make, str):
            figures[name] = make
            continue
        figures[name] = {}
        for nodes in sizes:
            backend = make()
            try:
                figures[name][f"{nodes} nodes"] = round_trips(backend, nodes, rounds)
            finally:
                getattr(backend, "close", lambda: None)()
    return figures


def bench_plan(pg: Any, n_models: int, runs: int) -> dict[str, Any]:
    """No-change plan wall seconds, state local vs migrated to PostgreSQL, runs interleaved."""
    if isinstance(pg, str):
        return {"postgres": pg}
    local = write_faborite_project(_fresh(WORK / f"plan-{n_models}"), n_models)
    run([*FABORITE, "apply", "--auto-approve"], local)  # not timed: makes the state
    # A copy of the applied project (its DuckDB file and state included) whose state then moves.
    remote = _fresh(WORK / f"plan-{n_models}-postgres")
    shutil.copytree(local, remote)
    env = {URL_ENV: f"postgresql://{pg.user}@{pg.host}:{pg.port}/{pg.create_database()}"}
    to = f"{{type: postgres, url_env: {URL_ENV}}}"
    run([*FABORITE, "state", "migrate", "--to", to, "--auto-approve"], remote, env)
    config = remote / "faborite.yml"
    config.write_text(config.read_text().replace(
        "dev: {type: duckdb, path: .faborite/dev.duckdb}",
        f"dev: {{type: duckdb, path: .faborite/dev.duckdb, state: {to}}}"), encoding="utf-8")
    plan = [*FABORITE, "plan", "--detailed-exitcode"]
    # Interleaved, so load from other work on the machine falls on both sides alike.
    pairs = [(run(plan, local), run(plan, remote, env)) for _ in range(runs)]
    for _, in_postgres in pairs:
        if in_postgres.returncode != 0:
            raise RuntimeError(f"the plan with state in PostgreSQL is not empty:\n{in_postgres.output[-2000:]}")
    local_s = statistics.median(a.seconds for a, _ in pairs)
    postgres_s = statistics.median(b.seconds for _, b in pairs)
    return {"models": n_models, "runs": runs, "local_s": round(local_s, 2), "postgres_s": round(postgres_s, 2),
            "ratio": round(postgres_s / local_s, 2),
            "ratio_median_of_pairs": round(statistics.median(b.seconds / a.seconds for a, b in pairs), 2),
            "target_ratio": 1.3, "local_peak_mib": round(max(a.peak_mib for a, _ in pairs)),
            "postgres_peak_mib": round(max(b.peak_mib for _, b in pairs))}


def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    return path


def bench_state_backends(*, sizes: list[int], rounds: int, plan_models: int, runs: int) -> dict[str, Any]:
    """Both parts; ``plan_models`` 0 skips the plan comparison."""
    WORK.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="faborite-bench-servers-")))
        servers = _servers(stack, scratch)
        figures: dict[str, Any] = {"round_trips": bench_round_trips(servers, sizes, rounds) if rounds else {}}
        if plan_models:
            figures["plan"] = bench_plan(servers["postgres"], plan_models, runs)
    return figures


def format_report(figures: dict[str, Any]) -> str:
    lines = [f"  {'backend':30} {'state':>11} {'round trip median':>18} {'p90':>9} {'read':>9}"]
    for name, sizes in figures["round_trips"].items():
        if isinstance(sizes, str):
            lines.append(f"  {name:30} {sizes}")
            continue
        for size, f in sizes.items():
            lines.append(f"  {name:30} {size:>11} {f['round_trip_ms_median']:15.1f} ms {f['round_trip_ms_p90']:6.1f} ms "
                         f"{f['read_ms_median']:6.1f} ms")
    plan = figures.get("plan")
    if plan and "ratio" in plan:
        lines.append(f"  no-change plan, {plan['models']:,} models, median of {plan['runs']} interleaved runs: local "
                     f"state {plan['local_s']:.2f}s, PostgreSQL state {plan['postgres_s']:.2f}s = {plan['ratio']:.2f}x "
                     f"(median of pairs {plan['ratio_median_of_pairs']:.2f}x; target <= 1.3x)")
    elif plan:
        lines.append(f"  plan with PostgreSQL state: {plan['postgres']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.state_backends", description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", default="10,2000", help="state sizes for the round trips (default 10,2000)")
    parser.add_argument("--rounds", type=int, default=30, help="round trips per backend and size (default 30; 0: skip)")
    parser.add_argument("--plan-models", type=int, default=2000, help="models in the plan comparison (0: skip)")
    parser.add_argument("--runs", type=int, default=5, help="plan runs per side, interleaved; medians count (default 5)")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    args = parser.parse_args(argv)
    figures = bench_state_backends(sizes=[int(n) for n in args.nodes.split(",")], rounds=args.rounds,
                                   plan_models=args.plan_models, runs=args.runs)
    publish_figures(figures, format_report(figures), args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
