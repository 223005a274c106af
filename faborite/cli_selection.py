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
