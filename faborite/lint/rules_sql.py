"""Rules about the compiled queries themselves: ``select *`` from a source, ambiguous columns.

Both walk sqlglot's scopes of each model's compiled SQL (the project dialect)
and map every table back to the manifest node it reads, so they know which
reads are sources and which columns a parent is known to have.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, traverse_scope

from faborite.lint.finding import Finding, LintContext


class _Reads:
    """Which manifest node a table expression in compiled SQL reads."""

    def __init__(self, ctx: LintContext) -> None:
        self._nodes = list(ctx.manifest.nodes.values())

    @cached_property
    def _by_relation(self) -> dict:
        return {node.relation.lower(): node for node in self._nodes}

    def node(self, table: exp.Expression):
        """The node ``table`` (a Table of the compiled SQL) reads, or None (a CTE, a function, unknown)."""
        if not isinstance(table, exp.Table):
            return None
        if isinstance(table.this, exp.Identifier):
            key = f"{table.db}.{table.name}" if table.db else table.name
            return self._by_relation.get(key.lower())
        # A files source renders as a table function over its path (the source node's relation).
        for literal in table.find_all(exp.Literal):
            node = self._by_relation.get(literal.this.lower()) if literal.is_string else None
            if node is not None and node.kind == "source":
                return node
        return None

    def columns(self, source) -> set[str] | None:
        """The column names a scope's source is known to have (None: not known)."""
        if isinstance(source, Scope):
            query = source.expression  # a UNION's columns are its first branch's
            if isinstance(query, exp.Query) and not any(p.is_star for p in query.selects):
                return {p.alias_or_name.lower() for p in query.selects}
            return None
        node = self.node(source)
        if node is None:
            return None
        if node.output_columns is not None:
            return {c.lower() for c in node.output_columns}
        return {c.name.lower() for c in node.columns} or None


def _scopes(ctx: LintContext, node) -> list[Scope]:
    import sqlglot

    try:
        return list(traverse_scope(sqlglot.parse_one(node.sql or "", read=ctx.dialect)))
    except Exception:  # noqa: BLE001 - it compiled; a query the scope walker cannot follow is skipped
        return []


def _read_in(scope: Scope) -> dict:
    """What the scope's FROM and JOINs read, by alias (``scope.sources`` also holds every visible CTE)."""
    return {alias: source for alias, (_, source) in scope.selected_sources.items()}


def select_star_from_source(ctx: LintContext) -> Iterator[Finding]:
    """FAB001: ``select *`` straight from a source: a column added upstream changes the model silently."""
    reads = _Reads(ctx)
    for node in ctx.models():
        seen: set[str] = set()
        for scope in _scopes(ctx, node):
            if not isinstance(scope.expression, exp.Select):
                continue
            for projection in scope.expression.expressions:
                if not projection.is_star:
                    continue
                qualifier = projection.table if isinstance(projection, exp.Column) else ""
                for alias, source in _read_in(scope).items():
                    read = reads.node(source)
                    if read is None or read.kind != "source" or qualifier not in ("", alias) or read.id in seen:
                        continue
                    seen.add(read.id)
                    _, source_name, table = read.id.split(".", 2)
                    call = rf"""\bsource\(\s*['"]{re.escape(source_name)}['"]\s*,\s*['"]{re.escape(table)}['"]"""
                    yield Finding(code="FAB001", file=node.file, line=ctx.line_of(node.file, call),
                                  message=f"model {node.name!r} selects * from source {source_name}.{table}",
                                  hint="list the columns it needs: a column added to the source would "
                                       "otherwise change this model and everything downstream")


def ambiguous_join_columns(ctx: LintContext) -> Iterator[Finding]:
    """FAB005: an unqualified column in a query reading several relations that more than one may hold."""
    reads = _Reads(ctx)
    for node in ctx.models():
        for scope in _scopes(ctx, node):
            select = scope.expression
            sources = _read_in(scope)
            if not isinstance(select, exp.Select) or len(sources) < 2:
                continue
            known = {alias: reads.columns(source) for alias, source in sources.items()}
            using = {ident.name.lower() for join in select.args.get("joins") or []
                     for ident in join.args.get("using") or []}
            aliases = {p.alias.lower() for p in select.expressions if p.alias}
            reported: set[str] = set()
            for column in scope.columns:
                name = column.name.lower()
                if column.table or name in using or name in aliases or name in reported or not name:
                    continue
                holders = [alias for alias, columns in known.items() if columns is None or name in columns]
                if len(holders) < 2:
                    continue
                reported.add(name)
                sure = [alias for alias in holders if known[alias] is not None]
                what = (f"is in both {sure[0]} and {sure[1]}" if len(sure) >= 2 else
                        f"could come from any of {', '.join(holders)}")
                yield Finding(code="FAB005", file=node.file, line=_column_line(ctx, node.file, column),
                              message=f"column {column.name!r} in model {node.name!r} {what}",
                              hint=f"qualify it: {holders[0]}.{column.name}")


def _column_line(ctx: LintContext, file: str | None, column: exp.Column) -> int | None:
    """The raw file's line of an unqualified column: the first at or after its compiled line."""
    compiled_line = column.this.meta.get("line") or 1
    text = ctx.texts.get(file or "", "")
    pattern = re.compile(rf"(?<![\w.\"']){re.escape(column.name)}\b", re.IGNORECASE)
    lines = [number for number, line in enumerate(text.split("\n"), 1) if pattern.search(line)]
    after = [n for n in lines if n >= compiled_line]
    return (after or lines or [compiled_line])[0]
