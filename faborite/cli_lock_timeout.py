"""``--lock-timeout DURATION``: one option for every command that takes the state lock.

apply, rollback, gc and sync share it through :func:`lock_timeout_option`, so
the flag, its help and its parsing are written once.
"""

from __future__ import annotations

import functools
from typing import Any

import click

from faborite.duration import parse_duration


class _Duration(click.ParamType):
    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, (int, float)):
            return float(value)
        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def lock_timeout_option(command):
    """Add ``--lock-timeout`` to a command taking the shared state (below ``@pass_state``)."""

    @click.option("--lock-timeout", type=_Duration(), default="0", metavar="DURATION",
                  help="Wait up to DURATION (30s, 5m) for a state lock another run holds, instead of failing "
                       "at once.")
    @functools.wraps(command)
    def wrapper(state, *args, lock_timeout: float = 0.0, **kwargs):
        state.lock_timeout = lock_timeout
        return command(state, *args, **kwargs)

    return wrapper
