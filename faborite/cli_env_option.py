"""``--env NAME``: one option for every command that acts on one environment's state.

plan, apply, rollback, gc, force-unlock and the ``state`` commands share it
through :func:`env_option`, so the flag and its help are written once. The name
is checked by the API (``Workspace.env``), where faborite.yml's
``environments:`` block says what the default environment is called.
"""

from __future__ import annotations

import functools

import click

ENV_HELP = ("Act on environment NAME: its own views (schemas suffixed __NAME) and state, sharing built versions "
            "with the others (default: the default environment).")


def env_option(command):
    """Add ``--env NAME`` to a command taking the shared state (below ``@pass_state``)."""

    @click.option("--env", "env_name", metavar="NAME", help=ENV_HELP)
    @functools.wraps(command)
    def wrapper(state, *args, env_name: str | None = None, **kwargs):
        state.env = env_name or state.env
        return command(state, *args, **kwargs)

    return wrapper
