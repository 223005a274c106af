"""Which columns a sync copies, and how each is masked, as DuckDB select-list expressions.

``columns: {include, exclude, mask}`` becomes one expression per output
column. Masks run inside the sampling query, so unmasked values never leave
the engine:

- ``hash``: ``sha256`` of the value cast to VARCHAR (stable: the same value
  always gives the same digest, so masked keys still join);
- ``redact``: the fixed string ``'***'`` for string columns, NULL of the
  column's own type for any other type;
- ``null``: NULL of the column's own type;
- ``drop``: the column is left out, like ``exclude``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from faborite.errors import did_you_mean
from faborite.sync import SyncError
from faborite.sync.spec import ColumnsSpec, MaskKind

if TYPE_CHECKING:
    import pyarrow as pa

REDACTED = "***"


@dataclass(frozen=True)
class OutputColumn:
    """One column of a sync's output: its name, the source column it comes from, its expression."""

    name: str
    source: str
    expr: str
    mask: MaskKind | None = None


def quote(name: str) -> str:
    """``name`` as a DuckDB identifier, always quoted."""
    return '"' + name.replace('"', '""') + '"'


def resolve_column(name: str, available: Sequence[str], *, table: str, role: str) -> str:
    """The column of ``available`` that ``name`` means (exact, else a unique case-insensitive match).

    A clear :class:`SyncError` names the table, the role (``columns.mask``,
    ``sample.by``, ...), and the columns there are.
    """
    if name in available:
        return name
    folded = [c for c in available if c.lower() == name.lower()]
    if len(folded) == 1:
        return folded[0]
    raise SyncError(
        f"{role} names column {name!r}, which is not in table {table!r}; its columns: {', '.join(available)}",
        hint=did_you_mean(name, available) or "column names must match the source table's columns",
    )


def projection(schema: "pa.Schema", columns: ColumnsSpec, *, table: str = "table") -> list[OutputColumn]:
    """The output columns for ``schema`` under ``columns``, in the source's column order."""
    available = list(schema.names)
    include = _resolve_all(columns.include, available, table, "columns.include") if columns.include else None
    # One sync spans many tables: an excluded or masked name applies to the tables that
    # have it (`exclude: [ssn]` over orders and customers); 'include' stays strict.
    present = {name.lower(): name for name in available}
    excluded = {present[n.lower()] for n in columns.exclude if n.lower() in present}
    masks = {present[n.lower()]: kind for n, kind in columns.mask.items() if n.lower() in present}
    out: list[OutputColumn] = []
    for field in schema:
        if (include is not None and field.name not in include) or field.name in excluded:
            continue
        kind = masks.get(field.name)
        if kind == "drop":
            continue
        expr = mask_expression(field.name, kind, field.type) if kind else quote(field.name)
        out.append(OutputColumn(name=field.name, source=field.name, expr=expr, mask=kind))
    if not out:
        raise SyncError(
            f"no columns of table {table!r} are left to copy after include/exclude/drop",
            hint=f"its columns: {', '.join(available)}",
        )
    return out


def mask_expression(column: str, kind: MaskKind, type_: "pa.DataType") -> str:
    """The DuckDB expression masking ``column`` (of Arrow type ``type_``) with ``kind``."""
    col = quote(column)
    # NULL of the column's own type without naming the type: DuckDB folds this to a typed constant.
    typed_null = f"CASE WHEN FALSE THEN {col} END"
    if kind == "hash":
        return f"sha256(CAST({col} AS VARCHAR))"
    if kind == "redact":
        return f"CASE WHEN {col} IS NULL THEN NULL ELSE '{REDACTED}' END" if _is_string(type_) else typed_null
    if kind == "null":
        return typed_null
    raise SyncError(f"unknown mask {kind!r} for column {column!r}", hint="masks: hash, redact, null, drop")


def _resolve_all(names: Iterable[str], available: Sequence[str], table: str, role: str) -> list[str]:
    return [resolve_column(n, available, table=table, role=role) for n in names]


def _is_string(type_: "pa.DataType") -> bool:
    import pyarrow as pa

    return pa.types.is_string(type_) or pa.types.is_large_string(type_) or pa.types.is_string_view(type_)
