"""``faborite state``: look at the recorded state, and move it (pull, push, migrate).

The commands are thin: the work is in :mod:`faborite.api` and
:mod:`faborite.state.transfer`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.markup import escape

from faborite.cli import _confirm, _State, pass_state
from faborite.cli_env_option import env_option
from faborite.cli_lock_timeout import lock_timeout_option


@click.group(name="state")
def state_group() -> None:
    """Inspect recorded state, and move it (pull, push, migrate)."""


@state_group.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
@env_option
def history(state: _State, as_json: bool) -> None:
    """Every serial: when, who, what changed."""
    entries = state.workspace().history()
    if as_json:
        from faborite.output import print_json

        print_json([e.model_dump(mode="json") for e in entries])
        return
    if not entries:
        state.out().print("No state yet: run `faborite apply`.")
        return
    from faborite.output import render_history

    render_history(entries, state.out())


@state_group.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
@env_option
def state_list(state: _State, as_json: bool) -> None:
    """The nodes in the current state, their versions and relations."""
    ws = state.workspace()
    current = ws.state()
    intent = ws.state_backend.read_intent()
    if intent is not None:
        state.out(stderr=True).print(
            f"[yellow]warning:[/] an apply or rollback was interrupted while publishing serial {intent.serial}; "
            "the next plan, apply, rollback, gc or sync resolves it against what is published")
    if as_json:
        from faborite.output import print_json

        print_json(current.model_dump(mode="json") if current else None)
        return
    out = state.out()
    if current is None:
        out.print("No state yet: run `faborite apply`.")
        return
    from faborite.output import render_state

    render_state(current, out)


@state_group.command()
@click.argument("node")
@click.option("--schema", is_flag=True, help="Its columns and types at every serial that records it.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
@env_option
def show(state: _State, node: str, schema: bool, as_json: bool) -> None:
    """One node of the state: the current record, or with --schema its columns through history."""
    ws = state.workspace()
    entries = ws.schema_history(node)
    shown = entries if schema else entries[-1:]
    if as_json:
        from faborite.output import print_json

        print_json([e.model_dump(mode="json") for e in shown])
        return
    out = state.out()
    previous = None
    for entry in shown:
        columns = ", ".join(f"{c.name} {c.type}" for c in entry.columns) or "(no columns recorded)"
        same = schema and previous is not None and previous.columns == entry.columns
        at = f"{entry.at:%Y-%m-%d %H:%M:%S} UTC" if entry.at else "?"
        out.print(f"[bold]serial {entry.serial}[/]  {at}  version {entry.version[:12]}  {escape(entry.physical)}")
        out.print(f"  [dim]same columns as serial {previous.serial}[/]" if same else f"  {escape(columns)}")
        previous = entry


@state_group.command()
@click.option("-o", "--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the state to FILE instead of standard output.")
@pass_state
@env_option
def pull(state: _State, out_file: Path | None) -> None:
    """Print the current state as JSON (the state file format)."""
    data = state.workspace().pull_state()
    if out_file is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    from faborite.atomic_file import write_atomic

    write_atomic(out_file, data)
    state.out(stderr=True).print(f"Wrote the current state to [bold]{out_file}[/].")


@state_group.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Push a state of another lineage or target, or an older serial.")
@click.option("--auto-approve", is_flag=True, help="Skip the confirmation prompt.")
@pass_state
@env_option
def push(state: _State, file: Path, force: bool, auto_approve: bool) -> None:
    """Record the state in FILE as the target's next serial."""
    ws = state.workspace()
    _confirm(state, f"Record {file} as the next state of target {ws.target}?", auto_approve)
    new = ws.push_state(file.read_bytes(), str(file), force=force)
    out = state.out()
    if new is None:
        out.print("No changes: the file is the current state.")
    else:
        out.print(f"[green]Pushed[/] {file} as serial {new.serial} of target {ws.target}.")



def _backend_block(ctx: click.Context, param: click.Parameter, value: str) -> dict:
    import yaml

    try:
        block = yaml.safe_load(value)
    except yaml.YAMLError:
        block = None
    if isinstance(block, str) and block.strip():
        return {"type": block.strip()}
    if not isinstance(block, dict) or not block.get("type"):
        raise click.BadParameter("expected a state type (local, target) or a `state:` block as inline YAML, "
                                 "e.g. --to '{type: azure_blob, url: https://...}'")
    return block


@state_group.command()
@click.option("--to", "to", required=True, metavar="BACKEND", callback=_backend_block,
              help="The new backend: a `state:` block as inline YAML ('{type: azure_blob, url: ...}') or a "
                   "type name (local, target).")
@click.option("--auto-approve", is_flag=True, help="Skip the confirmation prompt.")
@pass_state
@lock_timeout_option
@env_option
def migrate(state: _State, to: dict, auto_approve: bool) -> None:
    """Move the whole history to another backend."""
    from faborite.api import inline_yaml

    ws = state.workspace()
    _confirm(state, f"Copy the state history of target {ws.target} to {inline_yaml(to)}, then make the current "
                    "state read-only?", auto_approve)
    result = ws.migrate_state(to)
    out = state.out()
    resumed = f" ({result.already_there} already there)" if result.already_there else ""
    out.print(f"[green]Copied[/] serials 1-{result.serials}{resumed} of lineage {result.lineage} to "
              f"{result.moved_to} and verified them.")
    out.print(f"The old state is read-only now (serial {result.marker_serial} records the move).")
    out.print(f"Next: set `state: {result.moved_to}` for target {ws.target} in faborite.yml.")
