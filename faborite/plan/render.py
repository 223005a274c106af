"""Plans for people on a terminal: Terraform-like colored text (rich). Markdown is in markdown.py."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from faborite.no_change_memo import NO_CHANGES, NOT_REFRESHED
from faborite.plan.model import Action, Change, Plan

_SYMBOL = {
    Action.CREATE: ("+", "green"),
    Action.REPLACE: ("-/+", "yellow"),
    Action.UPDATE: ("~", "cyan"),
    Action.DELETE: ("-", "red"),
    Action.NOOP: (" ", "dim"),
}
_LINES_PER_PRINT = 1000
_INDENT = " " * 8  # reasons and diff lines, under a change's header


def _summary_line(plan: Plan) -> str:
    s = plan.summary()
    return (f"Plan: {s['create']} to create, {s['replace']} to replace, "
            f"{s['update']} to update, {s['delete']} to delete.")


def render_plan(plan: Plan, console: Console, *, show_diff: bool = True) -> None:
    """Print ``plan`` the way Terraform prints one: drift first, then the actions."""
    if plan.environment is not None:
        console.print(f"[bold]{escape(plan.environment.describe().capitalize())}[/]\n")
    if plan.selection is not None:
        console.print(f"[yellow]{escape(partial_note(plan))}[/]\n")
    if plan.drift:
        console.print("[bold magenta]Changed outside faborite[/] (the state records what the target does not hold):")
        for drift in plan.drift:
            console.print(f"  [magenta]![/] {escape(drift.node_id)}: {escape(drift.detail)}")
        console.print("[dim]Applying this plan repairs it.[/]\n")
    elif not plan.refreshed:
        console.print(NOT_REFRESHED)
    if not plan.has_changes:
        if plan.selection is not None:  # the rest of the project may still differ: say only what is true
            console.print("[bold green]No changes in the selected nodes.[/]")
        else:
            console.print(NO_CHANGES)
        return
    destructive = plan.destructive_changes()
    if destructive:
        console.print("[bold red]Destructive changes[/] (apply refuses them without --allow-destructive):")
        for change in destructive:
            for what in change.destroys:
                console.print(f"  [red]![/] {escape(change.name)}: {escape(what)}")
        console.print()
    console.print(f"faborite will perform the following actions on target [bold]{escape(plan.target)}[/]:\n")
    _print_lines(console, [line for change in plan.visible_changes() for line in _change_lines(change, show_diff)])
    console.print(f"\n[bold]{_summary_line(plan)}[/]")
    if plan.publish is not None:
        style = "dim" if plan.publish.atomic else "yellow"
        console.print(f"[{style}]Publish: {escape(plan.publish.detail)}.[/]")


def partial_note(plan: Plan) -> str:
    """One sentence saying a plan is partial, and what that means for the other nodes."""
    assert plan.selection is not None
    built = len(plan.manifest.built_nodes())
    by = f" ({plan.selection.label})" if plan.selection.label else ""
    return (f"Partial plan{by}: {len(plan.selection.nodes)} of {built} nodes selected; "
            "the others keep what the state records and nothing is deleted.")


#: A printed line: its pieces of text, each with a rich style ("" for none).
Line = list[tuple[str, str]]


def _change_lines(change: Change, show_diff: bool) -> list[Line]:
    """The lines printed for one change: its header, why, and the SQL diff."""
    symbol, color = _SYMBOL[change.action]
    header = [("  ", ""), (f"{symbol:>3} ", f"bold {color}"), (f"{change.kind} ", "dim"), (change.name, "bold"),
              (f"  {change.action.value}", color), (f"  ({change.materialized} {change.relation})", "dim")]
    if change.category and change.action is not Action.DELETE:
        header.append((f"  [{change.category}]", "magenta" if change.category == "breaking" else "blue"))
    lines = [header]
    if change.moved_from:
        moved = [(_INDENT, ""), ("moved from", "dim"), (f" {change.moved_from.split('.', 1)[-1]}", "")]
        if not change.rebuild:
            moved += [(" ", ""), ("(0 builds: it keeps its built version)", "dim")]
        lines.append(moved)
    for reason in change.reasons:
        if reason.code == "moved":
            continue  # said just above
        if reason.detail == "new":
            continue  # says nothing a '+' does not
        # "incremental: ..." / "full rebuild: ..." say how it is built; the others say why.
        if reason.code in ("incremental", "full_rebuild"):
            lines.append([(_INDENT + reason.detail, "")])
        else:
            lines.append([(_INDENT, ""), ("because", "dim"), (f" {reason.detail}", "")])
    if show_diff and change.sql_diff:
        for line in change.sql_diff.splitlines():
            style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
            if line.startswith(("+++", "---", "@@")):
                style = "dim"
            lines.append([(_INDENT + line, style)])
    return lines


def _print_lines(console: Console, lines: list[Line]) -> None:
    """Print ``lines``: as plain text when the console shows no style (a pipe, a file, NO_COLOR),
    which is what rich would print there without its per-segment work (~0.3 s for 2,661 changes);
    else styled, in few prints of many lines (rich's cost is per print() call, not per line), in
    chunks that keep the output streaming."""
    if console.color_system is None and not console.record:
        console.file.write("".join(f"{_plain(line)}\n" for line in lines))
        console.file.flush()
        return
    texts = [Text.assemble(*line) for line in lines]
    for start in range(0, len(texts), _LINES_PER_PRINT):
        console.print(Text("\n").join(texts[start:start + _LINES_PER_PRINT]))


def _plain(line: Line) -> str:
    text = "".join(piece for piece, _ in line)
    if text.isprintable():
        return text
    # Tabs, control codes or a line break: rich expands, strips or splits them; let it.
    styled = Text(text)
    styled.expand_tabs()
    return styled.plain
