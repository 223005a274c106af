"""The ``--full-refresh [NAME]`` and ``--allow-rebuild NAME`` flags of plan and apply (incremental models)."""

from __future__ import annotations

import functools

import click

_FULL_REFRESH_HELP = ("Build incremental models whole instead of from their previous version: the named one "
                      "(repeatable), or every one when no name is given.")
_ALLOW_REBUILD_HELP = "Let this protect: true model be rebuilt whole. Repeatable."


def rebuild_options(command):
    """Add the two flags; the command receives ``rebuild`` (a RebuildOptions, None when neither is given)."""

    @click.option("--full-refresh", "full_refresh", multiple=True, is_flag=False, flag_value="*",
                  metavar="[NAME]", help=_FULL_REFRESH_HELP)
    @click.option("--allow-rebuild", "allow_rebuild", multiple=True, metavar="NAME", help=_ALLOW_REBUILD_HELP)
    @functools.wraps(command)
    def wrapper(*args, full_refresh: tuple[str, ...] = (), allow_rebuild: tuple[str, ...] = (), **kwargs):
        from faborite.api import rebuild_options as options

        rebuild = None
        if full_refresh or allow_rebuild:
            # A bare --full-refresh (the "*" flag value) refreshes every incremental model.
            names = None if not full_refresh else [] if "*" in full_refresh else list(full_refresh)
            rebuild = options(names, allow_rebuild)
        return command(*args, rebuild=rebuild, **kwargs)

    return wrapper
