"""What an engine lacks: found at compile time, so a model never becomes SQL that fails at apply.

sqlglot translates what it knows and passes the rest through: DuckDB's
``arg_max(a, b)`` or ``CAST(x AS HUGEINT)`` come out for PostgreSQL as
``ARG_MAX(a, b)`` and ``INT128``, which PostgreSQL refuses at apply, after
other models were built. A dialect that declares the functions and types its
engine has (``Dialect.functions``, ``Dialect.types``) lets the compiler check
every call and cast in the translated query against them, and name the
model, line and construct it cannot run.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp

#: Calls the SQL standard spells as syntax: no engine lists them as functions.
SQL_SYNTAX = frozenset({
    "CAST", "TRY_CAST", "COALESCE", "NULLIF", "GREATEST", "LEAST", "EXTRACT", "CASE", "IF", "EXISTS", "IN",
    "ANY", "ALL", "SOME", "ARRAY", "ROW", "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "LOCALTIME",
    "LOCALTIMESTAMP", "CURRENT_USER", "SESSION_USER", "USER", "CURRENT_SCHEMA", "CURRENT_CATALOG", "POSITION",
    "SUBSTRING", "TRIM", "OVERLAY", "COLLATE", "INTERVAL", "FILTER", "WITHIN", "OVER", "DISTINCT", "NOT", "AND",
    "OR", "LIKE", "ILIKE", "BETWEEN", "IS", "VALUES", "GROUPING", "ROLLUP", "CUBE",
})
_CALL = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_$]*)\s*\(")
_TYPE_NAME = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_ ]*?)\s*(?:\(|\[|<|$)")


@dataclass(frozen=True)
class Unsupported:
    """One construct the engine lacks: what it is, and where in the model it was written."""

    construct: str
    line: int | None


def load_names(file: Path) -> frozenset[str]:
    """Upper-cased names, one per line, ``#`` comments skipped (a dialect's function list)."""
    return _load_names(str(file))


@functools.cache
def _load_names(file: str) -> frozenset[str]:
    lines = Path(file).read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().upper() for line in lines if line.strip() and not line.startswith("#"))


def find_unsupported(tree: exp.Expression, write: str, functions: frozenset[str],
                     types: frozenset[str], refused=None) -> Iterator[Unsupported]:
    """Constructs of ``tree`` that, written in sqlglot dialect ``write``, the engine lacks.

    ``functions`` / ``types``: what the engine has, upper case (empty: not checked).
    ``refused(node)``: the name of a construct the engine has no spelling for, else None.
    """
    for node in tree.walk():
        construct = refused(node) if refused is not None else None
        if construct:
            yield Unsupported(construct, _line(node))
        elif functions and isinstance(node, exp.Func) and not isinstance(node, exp.Cast):
            name = _call_name(node, write)
            if name and name.upper() not in functions and name.upper() not in SQL_SYNTAX:
                yield Unsupported(f"function {name}()", _line(node))
        elif types and isinstance(node, exp.DataType) and not isinstance(node.parent, exp.DataType):
            spelled = node.sql(dialect=write)
            if spelled.endswith("[]"):
                spelled = spelled[:-2]
            match = _TYPE_NAME.match(spelled)
            if match and match.group(1).upper() not in types:
                yield Unsupported(f"type {spelled}", _line(node))


def _call_name(node: exp.Func, write: str) -> str | None:
    """The function name ``node`` is written with in ``write`` (None when it is not a call)."""
    try:
        text = node.sql(dialect=write)
    except Exception:  # noqa: BLE001 - an untranslatable node is reported by transpile itself
        return None
    match = _CALL.match(text)
    return match.group(1) if match else None


def duckdb_only_construct(node: exp.Expression) -> str | None:
    """DuckDB syntax sqlglot passes through unchanged to engines that lack it (None: not one)."""
    if isinstance(node, exp.Star) and any(node.args.get(k) for k in ("except_", "except", "replace", "rename")):
        return "SELECT * EXCLUDE/REPLACE"
    if isinstance(node, exp.Join) and node.args.get("method"):
        return f"{node.args['method'].upper()} JOIN"
    if isinstance(node, exp.Lambda):
        return "a lambda (x -> ...)"
    return None


def _line(node: exp.Expression) -> int | None:
    """The line ``node`` starts on: the first position recorded in it, else in its nearest ancestor."""
    scope: exp.Expression | None = node
    while scope is not None:
        for candidate in scope.walk():
            line = candidate.meta.get("line") if candidate.meta else None
            if line:
                return line
        scope = scope.parent
    return None
