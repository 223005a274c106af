"""Column-level lineage, where sqlglot's scopes can resolve it without a schema.

For each output column: the ``relation.column`` pairs it is computed from.
Unqualified columns resolve only when their scope reads a single source;
anything unresolvable is left out rather than guessed.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, build_scope

_MAX_DEPTH = 32


def column_lineage(query: exp.Query) -> dict[str, tuple[str, ...]]:
    """``{output column: ("schema.table.column", ...)}`` for the query's resolvable columns."""
    try:
        scope = build_scope(query)
    except Exception:  # noqa: BLE001 - lineage is best effort; never fail a compile for it
        return {}
    if scope is None or not isinstance(scope.expression, exp.Select):
        return {}
    result = {}
    for projection in scope.expression.selects:
        if projection.is_star:
            continue
        found: set[str] = set()
        for column in projection.find_all(exp.Column):
            found |= _resolve(scope, column.table, column.name, 0)
        result[projection.alias_or_name] = tuple(sorted(found))
    return result


def _resolve(scope: Scope, table: str, column: str, depth: int) -> set[str]:
    if depth > _MAX_DEPTH:
        return set()
    sources = scope.sources
    if not table:
        if len(sources) != 1:
            return set()
        table = next(iter(sources))
    source = sources.get(table)
    if isinstance(source, exp.Table):
        if not source.name:  # a table function (read_parquet(...)): no relation to name
            return set()
        key = f"{source.db}.{source.name}" if source.db else source.name
        return {f"{key}.{column}"}
    if isinstance(source, Scope) and isinstance(source.expression, exp.Select):
        for projection in source.expression.selects:
            if projection.alias_or_name == column and not projection.is_star:
                found: set[str] = set()
                for inner in projection.find_all(exp.Column):
                    found |= _resolve(source, inner.table, inner.name, depth + 1)
                return found
    return set()
