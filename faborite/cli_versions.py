"""``faborite rollback``, ``gc`` and ``force-unlock``: going back to earlier versions, dropping
old ones, and freeing a lock a crashed process left. The work is in :mod:`faborite.api`."""

from __future__ import annotations

import time

import click

from faborite.cli import _confirm, _State, pass_state
from faborite.cli_env_option import env_option
from faborite.cli_lock_timeout import lock_timeout_option


@click.command(name="rollback")
@click.option("--to", "to_serial", type=int, help="Serial to return to (default: the previous one).")
@click.option("--auto-approve", is_flag=True, help="Skip the confirmation question.")
@pass_state
@lock_timeout_option
@env_option
def rollback(state: _State, to_serial: int | None, auto_approve: bool) -> None:
    """Republish an earlier state's versions: no recompute, instant."""
    ws = state.workspace()
    out = state.out()
    rplan = ws.plan_rollback(to_serial)
    where = f" environment [bold]{ws.env}[/]" if ws.env else ""
    out.print(f"Rolling back target [bold]{ws.target}[/]{where} from serial {rplan.current.serial} "
              f"to serial {rplan.goal.serial}:")
    for node_id in rplan.moved:
        out.print(f"  [yellow]~[/] {node_id}: version {rplan.current.nodes[node_id].version[:12]} -> "
                  f"{rplan.goal.nodes[node_id].version[:12]}")
    for node_id in rplan.restored:
        out.print(f"  [green]+[/] {node_id}: restored")
    for node_id in rplan.removed:
        out.print(f"  [red]-[/] {node_id}: unpublished")
    if rplan.changes == 0:
        out.print("  (no relation changes; a new serial is still recorded)")
    _confirm(state, "Do you want to roll back?", auto_approve)
    started = time.perf_counter()
    new = ws.rollback(rplan)
    out.print(f"[bold green]Rollback complete[/] in {time.perf_counter() - started:.3f}s (state serial {new.serial}).")


@click.command(name="gc")
@click.option("--keep", type=click.IntRange(1), default=5, show_default=True, help="Keep the versions of the newest N states.")
@click.option("--auto-approve", is_flag=True, help="Skip the confirmation question.")
@click.option("--dry-run", is_flag=True, help="Only list what would be dropped.")
@pass_state
@lock_timeout_option
@env_option
def gc(state: _State, keep: int, auto_approve: bool, dry_run: bool) -> None:
    """Drop physical versions that none of the newest N states use."""
    ws = state.workspace()
    out = state.out()
    gplan = ws.plan_gc(keep)
    if not gplan.drop and not gplan.drop_folders and not gplan.compact:
        out.print("Nothing to drop.")
        return
    out.print(f"Keeping serials {', '.join(map(str, gplan.keep_serials))}; dropping {_gc_counts(gplan)}:")
    for relation in gplan.drop:
        out.print(f"  [red]-[/] {relation.key}")
    for folder in gplan.drop_folders:
        out.print(f"  [red]-[/] {folder}/")
    for compaction in gplan.compact:
        out.print(f"  [red]-[/] {compaction.store.key}: {compaction.rows} row(s) no kept version sees")
    if dry_run:
        return
    _confirm(state, "Drop these? Older serials can no longer be rolled back to.", auto_approve)
    done = ws.gc(keep)
    out.print(f"[bold green]Dropped {_gc_counts(done)}.[/]")


def _gc_counts(gplan) -> str:
    from faborite.output import plural

    parts = [plural(len(gplan.drop), "relation")] if gplan.drop else []
    parts += [plural(len(gplan.drop_folders), "version folder")] if gplan.drop_folders else []
    parts += [plural(sum(c.rows for c in gplan.compact), "unseen stored row")] if gplan.compact else []
    return " and ".join(parts)


@click.command(name="force-unlock")
@click.argument("lock_id")
@click.option("--auto-approve", is_flag=True, help="Skip the confirmation question.")
@pass_state
@env_option
def force_unlock(state: _State, lock_id: str, auto_approve: bool) -> None:
    """Remove a state lock left behind by a crashed process."""
    from rich.markup import escape

    from faborite.errors import StateError

    ws = state.workspace()
    out = state.out()
    # Check before asking: no question when there is nothing (or nothing by that ID) to unlock.
    info = ws.state_backend.lock_info()
    if info is None:
        raise StateError("the state is not locked", hint="nothing to unlock")
    out.print(f"Lock {escape(info.id)}: {escape(info.describe())}")
    if info.id != lock_id:
        ws.force_unlock(lock_id)  # refuses, naming the held lock's ID; removes nothing
    _confirm(state, "Remove this lock? Only do so if that process is gone.", auto_approve)
    ws.force_unlock(lock_id)
    out.print("[green]Unlocked.[/]")
