"""Destructive changes: which published columns a new version takes away.

One comparison, used twice: by the planner with the column names sqlglot reads
from the new query (drops only: types are not known before building), and by
apply after building, with the built relation's names and types, for what the
plan could not see (a ``*`` query, a retyped column). Apply refuses either
without ``--allow-destructive``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from faborite.target import Column


def _type_key(type_name: str) -> str:
    # Engines print the same type with different spacing and case ("decimal(10, 2)").
    return "".join(type_name.split()).upper()


#: Types each of which holds every value of the ones before it (a move up a ladder is a widening).
_LADDERS = (("TINYINT", "SMALLINT", "INT2", "INTEGER", "INT", "INT4", "MEDIUMINT", "BIGINT", "INT8", "HUGEINT"),
            ("REAL", "FLOAT", "FLOAT4", "DOUBLE", "FLOAT8", "DOUBLEPRECISION"))
_SIZED = re.compile(r"\A(?P<name>[A-Z ]+?)(?:\((?P<args>[0-9, ]*)\))?\Z")


def _widens(old: str, new: str) -> bool:
    """Whether every value of type ``old`` fits type ``new`` unchanged (readers lose nothing):
    a bigger integer or float, a decimal with at least as many digits on both sides of the
    point, a longer (or unbounded) string."""
    a, b = _SIZED.match(old), _SIZED.match(new)
    if a is None or b is None:
        return False
    for ladder in _LADDERS:
        if a["name"] in ladder and b["name"] in ladder:
            return ladder.index(b["name"]) >= ladder.index(a["name"]) and not a["args"] and not b["args"]
    if a["name"] != b["name"]:
        return False
    old_args = [int(x) for x in (a["args"] or "").split(",") if x.strip()]
    new_args = [int(x) for x in (b["args"] or "").split(",") if x.strip()]
    if not new_args:
        return not old_args or a["name"] in ("VARCHAR", "CHARACTERVARYING", "TEXT", "NVARCHAR")
    if not old_args or len(old_args) != len(new_args):
        return False
    if len(new_args) == 2:  # (precision, scale): both the integer digits and the scale must not shrink
        return new_args[1] >= old_args[1] and new_args[0] - new_args[1] >= old_args[0] - old_args[1]
    return new_args[0] >= old_args[0]


def column_losses(old: Sequence[Column], new: Iterable[Column | str]) -> tuple[str, ...]:
    """Old columns missing from ``new`` (``"amount dropped"``) or of another type there
    (``"id retyped INTEGER -> VARCHAR"``; only when ``new`` gives types, and not for a widening
    such as ``INTEGER -> BIGINT``). Names compare case-insensitively, as SQL identifiers usually do."""
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
        if (now is not None and column.type and now.type and _type_key(column.type) != _type_key(now.type)
                and not _widens(_type_key(column.type), _type_key(now.type))):
            losses.append(f"{column.name} retyped {column.type} -> {now.type}")
    return tuple(losses)
