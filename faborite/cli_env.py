"""``faborite env``: list, compare, promote and delete environments. The work is in :mod:`faborite.api`
(``Workspace.environments``, ``diff_environments``, ``plan_promote``/``promote``, ``delete_environment``)."""

from __future__ import annotations

import time

import click
from rich.markup import escape

from faborite.cli import _confirm, _State, pass_state
from faborite.cli_lock_timeout import lock_timeout_option


@click.group(name="env")
def env_group() -> None:
    """Environments: isolated virtual layers (--env NAME) sharing built versions."""


@env_group.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
def env_list(state: _State, as_json: bool) -> None:
    """Every environment of the target: serial, last operation and when, node count."""
    envs = state.workspace().environments()
    if as_json:
        from faborite.output import print_json

        print_json([e.model_dump(mode="json") for e in envs])
        return
    out = state.out()
    for e in envs:
        at = e.last_applied_at.strftime("%Y-%m-%d %H:%M:%S") if e.last_applied_at else "-"
        what = "deleted" if e.deleted else f"{e.nodes} nodes"
        mark = " (default)" if e.default else ""
        serial = f"serial {e.serial}" if e.serial else "no state"
        out.print(f"[bold]{escape(e.name)}[/]{mark}  {serial}  {escape(e.last_operation or '-')} {at}  {what}")


@env_group.command(name="diff")
@click.argument("a")
@click.argument("b")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
def env_diff(state: _State, a: str, b: str, as_json: bool) -> None:
    """Nodes whose published versions differ between environments A and B, and nodes only one has."""
    diff = state.workspace().diff_environments(a, b)
    if as_json:
        from faborite.output import print_json

        print_json(diff.model_dump(mode="json"))
        return
    out = state.out()
    for d in diff.differ:
        out.print(f"  [yellow]~[/] {escape(d.node)}: {a} {d.a_version[:12]}, {b} {d.b_version[:12]}")
    for node in diff.only_in_a:
        out.print(f"  [green]<[/] {escape(node)}: only in {escape(a)}")
    for node in diff.only_in_b:
        out.print(f"  [red]>[/] {escape(node)}: only in {escape(b)}")
    out.print(f"{len(diff.differ)} differ, {len(diff.only_in_a)} only in {escape(a)}, "
              f"{len(diff.only_in_b)} only in {escape(b)}, {diff.same} the same.")


@env_group.command(name="promote")
@click.argument("source")
@click.argument("dest")
@click.option("--auto-approve", is_flag=True, help="Skip the confirmation question.")
@pass_state
@lock_timeout_option
def env_promote(state: _State, source: str, dest: str, auto_approve: bool) -> None:
    """Make DEST publish SOURCE's versions: 0 builds, only views swapped, atomically."""
    ws = state.workspace()
    out = state.out()
    pplan = ws.plan_promote(source, dest)
    moves = pplan.moves
    out.print(f"Promoting [bold]{escape(source)}[/] (serial {pplan.source.serial}) to [bold]{escape(dest)}[/] "
              f"on target {escape(ws.target)}: 0 builds, {moves.count} view(s) to change:")
    now = pplan.dest.nodes if pplan.dest else {}
    for node_id in moves.moved:
        out.print(f"  [yellow]~[/] {escape(node_id)}: version {now[node_id].version[:12]} -> "
                  f"{pplan.goal[node_id].version[:12]}")
    for node_id in moves.restored:
        out.print(f"  [green]+[/] {escape(node_id)}: published")
    for node_id in moves.removed:
        out.print(f"  [red]-[/] {escape(node_id)}: unpublished")
    _confirm(state, f"Do you want to promote {source} to {dest}?", auto_approve)
    started = time.perf_counter()
    new = ws.promote(pplan)
    out.print(f"[bold green]Promote complete![/] 0 built, {moves.count} published in "
              f"{time.perf_counter() - started:.3f}s ({escape(dest)} state serial {new.serial}).")


@env_group.command(name="delete")
@click.argument("name")
@click.option("--auto-approve", is_flag=True, help="Skip the confirmation question.")
@pass_state
@lock_timeout_option
def env_delete(state: _State, name: str, auto_approve: bool) -> None:
    """Drop environment NAME's views and schemas; its history stays, its versions are left to gc."""
    ws = state.workspace()
    doomed = ws.environment_to_delete(name)
    state.out().print(f"Deleting environment [bold]{escape(name)}[/] (serial {doomed.serial}): "
                      f"{len(doomed.nodes)} view(s) to drop.")
    _confirm(state, f"Do you want to delete environment {name}?", auto_approve)
    new = ws.delete_environment(name)
    state.out().print(f"[bold green]Deleted[/] environment {escape(name)} (state serial {new.serial}); "
                      "`faborite gc` drops versions no environment uses.")
