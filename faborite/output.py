"""Terminal output for people (rich, colored when a terminal) and JSON for machines."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from faborite.apply.context import ApplyEvent
    from faborite.diagnose import TargetDiagnosis
    from faborite.errors import FaboriteError
    from faborite.state.model import HistoryEntry, State


def color_disabled(no_color: bool = False) -> bool:
    """Whether to print plain text: ``--no-color``, or a non-empty ``NO_COLOR`` (no-color.org)."""
    return no_color or bool(os.environ.get("NO_COLOR"))


def console(*, stderr: bool = False, no_color: bool = False) -> "Console":
    """A rich console; plain text when not a terminal, with --no-color, or with NO_COLOR set.

    Plain means no escape codes at all: rich's own ``no_color`` drops colours but
    keeps bold and dim, so colour is switched off at the colour system instead.
    """
    from rich.console import Console

    if color_disabled(no_color):
        return Console(stderr=stderr, color_system=None, no_color=True, highlight=False, soft_wrap=True)
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def plural(count: int, word: str, plural_form: str | None = None) -> str:
    """``count`` and ``word``, agreeing: ``1 seed``, ``2 seeds``, ``0 rows``."""
    return f"{count} {word if count == 1 else (plural_form or word + 's')}"


def print_json(data: Any) -> None:
    """Write ``data`` as indented JSON to stdout."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def print_error(error: "FaboriteError", out: "Console") -> None:
    """One block: location, message, hint."""
    from rich.markup import escape

    where = f"[bold]{escape(error.location)}[/]: " if error.location else ""
    out.print(f"[bold red]error:[/] {where}{escape(error.message)}")
    if error.hint:
        out.print(f"  [yellow]hint:[/] {escape(error.hint)}")


def apply_event_printer(out: "Console"):
    """A callback that prints apply progress as one line per step."""
    from rich.markup import escape

    def show(event: "ApplyEvent") -> None:
        seconds = f" [dim]{event.seconds:.2f}s[/]" if event.seconds is not None else ""
        message = escape(event.message)
        if event.kind == "stage":
            out.print(f"[bold]{message}[/]")
        elif event.kind == "node_done":
            verb = "synced" if event.node and event.node.startswith("sync.") else "built"
            out.print(f"  [green]✓[/] {verb} {message}{seconds}")
        elif event.kind == "node_reused":
            out.print(f"  [green]✓[/] reused {message}")
        elif event.kind == "check":
            mark = "[green]✓[/]" if message.endswith("passed") else "[red]✗[/]"
            out.print(f"  {mark} check {message}")
        elif event.kind == "warning":
            out.print(f"  [yellow]![/] {message}")
    return show


def render_diagnosis(diagnoses: list["TargetDiagnosis"], out: "Console") -> None:
    """``faborite debug``: a block per target, a line per check."""
    from rich.markup import escape

    for diagnosis in diagnoses:
        out.print(f"target [bold]{escape(diagnosis.target)}[/] (type {escape(diagnosis.type)})")
        settings = ", ".join(f"{k}: {v}" for k, v in diagnosis.config.items() if k != "type") or "(defaults)"
        out.print(f"  [dim]config[/]      {escape(settings)}")
        for check in diagnosis.checks:
            mark = "[green]ok[/]  " if check.ok else "[bold red]FAIL[/]"
            out.print(f"  {mark} {check.name:<10} {escape(check.detail)}")
            if check.hint and not check.ok:
                out.print(f"       [dim]hint:[/] {escape(check.hint)}")
    failed = [d.target for d in diagnoses if not d.ok]
    if failed:
        out.print(f"\n[bold red]{len(failed)} target(s) failed:[/] {escape(', '.join(failed))}")
    else:
        out.print("\n[bold green]All checks passed.[/]")


def render_state(state: "State", out: "Console") -> None:
    """``faborite state list``: the serial, then a line per node."""
    out.print(f"serial {state.serial}, lineage {state.lineage}")
    for node in state.nodes.values():
        rows = plural(node.row_count, "row") if node.row_count is not None else node.materialized
        out.print(f"  {node.id:40} {node.version[:12]}  {node.relation} -> {node.physical}  [dim]{rows}[/]")


def render_source_tables(tables: list, out: "Console") -> None:
    """``faborite sources list``: a table of the source's tables."""
    from rich.table import Table

    view = Table(show_edge=False, header_style="bold")
    for column in ("table", "version", "rows", "location"):
        view.add_column(column)
    for table in tables:
        rows = f"{table.row_count:,}" if table.row_count is not None else "?"
        view.add_row(table.name, table.version, rows, table.location or "")
    out.print(view)


def render_history(entries: list["HistoryEntry"], out: "Console") -> None:
    """A table of serials: when, who, operation, what changed."""
    from rich.table import Table

    table = Table(show_edge=False, header_style="bold")
    for column in ("serial", "when (UTC)", "who", "operation", "changes"):
        table.add_column(column)
    for entry in entries:
        event = entry.event
        if event is None:
            table.add_row(str(entry.serial), "", "", "", "")
            continue
        summary = event.summary()
        changed = ", ".join(f"{n} {a}" for a, n in summary.items() if n) or "no changes"
        operation = event.operation + (f" to {event.rolled_back_to}" if event.rolled_back_to else "")
        operation += f" to {event.moved_to}" if event.moved_to else ""
        table.add_row(str(entry.serial), event.at.strftime("%Y-%m-%d %H:%M:%S"), f"{event.who}@{event.host}",
                      operation, changed)
    out.print(table)


def render_arrow(table, out: "Console", *, limit: int) -> None:
    """Rows of an Arrow table as a rich table (at most ``limit`` rows)."""
    from rich.table import Table

    view = Table(show_edge=False, header_style="bold")
    for name in table.column_names:
        view.add_column(name)
    for row in table.slice(0, limit).to_pylist():
        view.add_row(*("NULL" if v is None else str(v) for v in row.values()))
    out.print(view)
    if table.num_rows > limit:
        out.print(f"[dim]({plural(table.num_rows, 'row')}, first {limit} shown)[/]")
    else:
        out.print(f"[dim]({plural(table.num_rows, 'row')})[/]")
