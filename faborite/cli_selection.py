"""The ``-s/--select`` and ``--exclude`` flags (dbt's selector syntax), shared by plan, apply, compile and validate."""

from __future__ import annotations

import functools

import click

_SELECT_HELP = ("Only these nodes (dbt syntax: name, +name, name+, @name, tag:, path:, source:, "
                "config.KEY:, state:modified; space = union, comma = intersection). Repeatable.")
_EXCLUDE_HELP = "Leave out these nodes (same syntax as --select). Repeatable."


def selection_options(command):
    """Add ``-s/--select`` and ``--exclude``; the command receives ``selection`` (a NodeSelection)."""

    @click.option("-s", "--select", "select", multiple=True, metavar="SELECTOR", help=_SELECT_HELP)
    @click.option("--exclude", "exclude", multiple=True, metavar="SELECTOR", help=_EXCLUDE_HELP)
    @functools.wraps(command)
    def wrapper(*args, select: tuple[str, ...] = (), exclude: tuple[str, ...] = (), **kwargs):
        from faborite.api import node_selection

        return command(*args, selection=node_selection(select, exclude), **kwargs)

    return wrapper


def due_options(command):
    """Add ``--due`` and ``--now ISO-TIME``; the command receives ``due`` (bool) and ``clock`` (None: no --now)."""

    @click.option("--due", is_flag=True, help="Only nodes whose schedule: came due since their last build, "
                                              "and what reads them.")
    @click.option("--now", "now", metavar="ISO-TIME", help="The clock schedules are judged and recorded by "
                                                           "(default: now; tests, backfills).")
    @functools.wraps(command)
    def wrapper(*args, due: bool = False, now: str | None = None, **kwargs):
        from faborite.api import schedule_clock

        return command(*args, due=due, clock=schedule_clock(now) if now is not None else None, **kwargs)

    return wrapper
