"""Destructive changes: which published columns a new version takes away.

One comparison, used twice: by the planner with the column names sqlglot reads
from the new query (drops only: types are not known before building), and by
apply after building, with the built relation's names and types, for what the
plan could not see (a ``*`` query, a retyped column). Apply refuses either
without ``--allow-destructive``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from faborite.target import Column


def _type_key(type_name: str) -> str:
    # Engines print the same type with different spacing and case ("decimal(10, 2)").
    return "".join(type_name.split()).upper()


def column_losses(old: Sequence[Column], new: Iterable[Column | str]) -> tuple[str, ...]:
    """Old columns missing from ``new`` (``"amount dropped"``) or of another type there
    (``"id retyped INTEGER -> VARCHAR"``; only when ``new`` gives types). Names compare
    case-insensitively, as SQL identifiers usually do."""
    by_name: dict[str, Column | None] = {}
    for column in new:
        if isinstance(column, Column):
            by_name[column.name.lower()] = column
        else:
            by_name[column.lower()] = None
    losses = []
    for column in old:
        if column.name.lower() not in by_name:
            losses.append(f"{column.name} dropped")
            continue
        now = by_name[column.name.lower()]
        if now is not None and column.type and now.type and _type_key(column.type) != _type_key(now.type):
            losses.append(f"{column.name} retyped {column.type} -> {now.type}")
    return tuple(losses)
