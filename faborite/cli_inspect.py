"""``faborite query`` and ``debug``: read the published relations, and check each target."""

from __future__ import annotations

import sys

import click

from faborite.cli import _State, pass_state
from faborite.cli_env_option import env_option


@click.command(name="query")
@click.argument("sql")
@click.option("--json", "as_json", is_flag=True, help="Rows as JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Rows as CSV.")
@click.option("--limit", type=click.IntRange(1), default=100, show_default=True, help="Rows to show in the table view.")
@pass_state
@env_option
def query(state: _State, sql: str, as_json: bool, as_csv: bool, limit: int) -> None:
    """Run a read-only SQL query against the published relations."""
    table = state.workspace().query(sql)
    if as_json:
        from faborite.output import print_json

        print_json(table.to_pylist())
    elif as_csv:
        import pyarrow.csv as pacsv

        sink = sys.stdout.buffer
        pacsv.write_csv(table, sink)
        sink.flush()
    else:
        from faborite.output import render_arrow

        render_arrow(table, state.out(), limit=limit)


@click.command(name="debug")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
def debug_command(state: _State, as_json: bool) -> None:
    """Check each target (or --target): provider, config, connection, state."""
    ws = state.workspace()
    diagnoses = ws.diagnose([state.target] if state.target else None)
    if as_json:
        from faborite.output import print_json

        print_json([{**d.model_dump(), "ok": d.ok} for d in diagnoses])
    else:
        from faborite.output import render_diagnosis

        render_diagnosis(diagnoses, state.out())
    if not all(d.ok for d in diagnoses):
        sys.exit(1)
