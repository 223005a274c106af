"""``faborite import``: convert another tool's project into a faborite project (dbt today).

Thin: the work is :func:`faborite.api.import_dbt`.
"""

from __future__ import annotations

from pathlib import Path

import click

from faborite.cli import _State, pass_output_state


@click.group(name="import")
def import_group() -> None:
    """Convert another tool's project into a native faborite project."""


@import_group.command(name="dbt")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--profile", help="The profiles.yml profile whose outputs become targets (default: the project's).")
@pass_output_state
def import_dbt_command(state: _State, path: Path, out: Path, profile: str | None) -> None:
    """Write a faborite project in OUT from the dbt project in PATH (PATH is only read).

    faborite also reads a dbt project in place, unchanged: this is for leaving dbt.
    """
    from rich.markup import escape

    from faborite.api import import_dbt

    notes = import_dbt(path, out, profile=profile)
    err = state.out(stderr=True)
    for note in notes:
        err.print(f"[yellow]note:[/] {escape(note)}")
    state.out().print(f"[green]imported[/] {escape(str(path))} -> {escape(str(out))}; "
                      f"next: cd {escape(str(out))} && faborite plan")
