"""Plan files and plan views for the CLI and API users: save, load, render (re-exported by :mod:`faborite.api`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime

    from rich.console import Console

    from faborite.compiler.manifest import Manifest, Node
    from faborite.compiler.selector import NodeSelection
    from faborite.no_change_memo import KnownNoChange
    from faborite.plan.incremental import RebuildOptions
    from faborite.plan.model import Plan


# -- plan files and views: the CLI reads, saves and shows plans only through these --------


def save_plan(plan: "Plan", path: Path) -> None:
    """Write ``plan`` to ``path`` atomically, for ``faborite apply PATH`` (format-versioned JSON).

    Args:
        plan: from :meth:`Workspace.plan`.
        path: the file to write (its folder is created).
    """
    from faborite.plan.planfile import save_plan as save

    save(plan, Path(path))


def load_plan(path: Path) -> "Plan":
    """Read a plan file written by :func:`save_plan`.

    Args:
        path: the plan file.

    Returns:
        The plan, as reviewed. Check it with :meth:`Workspace.check_saved_plan` before showing it.

    Raises:
        PlanError: the file is missing, not a plan, or of an unknown format version.
    """
    from faborite.plan.planfile import load_plan as load

    return load(Path(path))


def plan_to_json(plan: "Plan") -> dict[str, Any]:
    """The machine-readable view of ``plan`` (``plan --json``; its own ``format_version``).

    Args:
        plan: any plan.

    Returns:
        A JSON-ready dict: changes, drift, counts.
    """
    from faborite.plan.json_view import plan_to_json as to_json

    return to_json(plan)


def plan_to_markdown(plan: "Plan") -> str:
    """``plan`` as Markdown for a pull-request comment (``plan --markdown``).

    Args:
        plan: any plan.

    Returns:
        The Markdown text.
    """
    from faborite.plan.markdown import plan_to_markdown as to_markdown

    return to_markdown(plan)


def render_plan(plan: "Plan", console: "Console", *, show_diff: bool = True) -> None:
    """Print ``plan`` for people, as ``faborite plan`` does.

    Args:
        plan: any plan.
        console: a rich console (``faborite.output.console()``).
        show_diff: include SQL diffs.
    """
    from faborite.plan.render import render_plan as render

    render(plan, console, show_diff=show_diff)


def render_known_no_change(known: "KnownNoChange", console: "Console") -> None:
    """Print a plan :meth:`Workspace.known_no_change` recalled, as ``faborite plan`` prints the full one.

    Args:
        known: the recalled outcome.
        console: a rich console (``faborite.output.console()``).
    """
    from faborite.no_change_memo import render_no_changes

    render_no_changes(known, console)


def apply_stages() -> list[tuple[str, str]]:
    """The stages apply runs, in order (``apply --explain``).

    Returns:
        ``(name, description)`` per stage: build, audit, journal, publish, record.
    """
    from faborite.apply.runner import STAGES

    return [(name, description) for name, description, _ in STAGES]


def find_node(manifest: "Manifest", name: str) -> "Node":
    """The node ``name`` (an id such as ``model.orders``, or a model or seed name) of ``manifest``.

    Args:
        manifest: from :meth:`Workspace.compile`.
        name: the node's id or name.

    Returns:
        The node, with its rendered SQL.

    Raises:
        CompileError: no such node (with the close matches).
    """
    from faborite.compiler.jinja import best_match_hint
    from faborite.errors import CompileError

    found = manifest.find(name)
    if found is None:
        raise CompileError(f"no node named {name!r}",
                           hint=best_match_hint(name, [n.name for n in manifest.nodes.values()]))
    return found


def render_findings(findings, console: "Console") -> None:
    """Print ``faborite lint`` findings for people, one per line with its hint.

    Args:
        findings: from :meth:`Workspace.lint` (``report.findings``).
        console: a rich console (``faborite.output.console()``).
    """
    from faborite.lint.render import render_findings as render

    render(findings, console)


def node_selection(select: "tuple[str, ...] | list[str]" = (),
                   exclude: "tuple[str, ...] | list[str]" = ()) -> "NodeSelection":
    """A selection from ``-s``/``--exclude`` values, for :meth:`Workspace.plan` and :meth:`Workspace.select`.

    Args:
        select: selectors in dbt's syntax (``orders+``, ``tag:daily``, ``state:modified`` ...);
            each may hold several separated by spaces (union); commas intersect.
        exclude: selectors whose nodes are left out.

    Returns:
        The selection, as given (resolved against a manifest when used).
    """
    from faborite.compiler.selector import NodeSelection

    return NodeSelection(select=tuple(select), exclude=tuple(exclude))


def rebuild_options(full_refresh: "tuple[str, ...] | list[str] | None" = None,
                    allow_rebuild: "tuple[str, ...] | list[str]" = ()) -> "RebuildOptions":
    """``--full-refresh [NAME...]`` and ``--allow-rebuild NAME`` for :meth:`Workspace.plan`.

    Args:
        full_refresh: incremental models to build whole instead of incrementally; an empty
            list means every one (a bare ``--full-refresh``); None: none.
        allow_rebuild: ``protect: true`` models that may be rebuilt whole.

    Returns:
        The options, as given (a name that is no incremental model is refused by the plan).
    """
    from faborite.plan.incremental import ALL, RebuildOptions

    refresh = frozenset() if full_refresh is None else frozenset(full_refresh or (ALL,))
    return RebuildOptions(full_refresh=refresh, allow_rebuild=frozenset(allow_rebuild))


# -- apply guards and clocks -------------------------------------------------------------


def refuse_destructive(plan: "Plan", allow: bool) -> None:
    """Refuse ``plan`` when it deletes relations or drops published columns, unless ``allow``.

    Args:
        plan: any plan; its deferred changes are never refused.
        allow: ``--allow-destructive``.

    Raises:
        ApplyError: naming each node and what it destroys.
    """
    from faborite.apply.destructive_guard import refuse_destructive as refuse

    refuse(plan, allow)


def schedule_clock(text: str | None) -> "datetime":
    """The clock ``apply --due`` judges schedules by: ``text`` (ISO 8601; no zone means UTC) or now.

    Args:
        text: ``--now``, e.g. ``2026-01-02T06:00:00Z``; None for the current time.

    Returns:
        A timezone-aware UTC datetime.

    Raises:
        ConfigError: ``text`` is not an ISO 8601 time.
    """
    from datetime import datetime, timezone

    from faborite.errors import ConfigError

    if text is None:
        return datetime.now(timezone.utc)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise ConfigError(f"--now {text!r} is not an ISO 8601 time",
                          hint="e.g. --now 2026-01-02T06:00:00Z (no zone means UTC)") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
