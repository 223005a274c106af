"""Check SQL: each check is a query returning the rows that fail it.

Written in the project's dialect against *virtual* relation names, like model
SQL; apply rewrites them to the physical versions being audited.
"""

from __future__ import annotations

from faborite.config.properties import CheckSpec
from faborite.errors import CompileError


def _col(name: str) -> str:
    # Check SQL is written in the project dialect and transpiled later; ANSI quoting parses everywhere.
    return '"' + name.replace('"', '""') + '"'


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def check_sql(check: CheckSpec, relation_sql: str, *, resolve_ref, rendered_custom: str | None = None) -> str:
    """The failing-rows query for ``check`` on ``relation_sql`` (a quoted relation).

    ``resolve_ref(name)`` gives the quoted relation of another node (for
    relationships); ``rendered_custom`` is the rendered SQL of a custom check.
    """
    column = _col(check.column) if check.column else None
    if check.kind == "not_null":
        return f"select * from {relation_sql} where {column} is null"
    if check.kind == "unique":
        return (
            f"select {column}, count(*) as n from {relation_sql} where {column} is not null "
            f"group by {column} having count(*) > 1"
        )
    if check.kind == "accepted_values":
        if not check.values:
            raise CompileError(f"accepted_values on {check.column!r} needs 'values: [...]'")
        values = ", ".join(_literal(v) for v in check.values)
        return f"select * from {relation_sql} where {column} is not null and {column} not in ({values})"
    if check.kind == "relationships":
        if not check.to or not check.field:
            raise CompileError(f"relationships on {check.column!r} needs 'to: ref(...)' and 'field:'")
        parent = resolve_ref(check.to)
        field = _col(check.field)
        return (
            f"select child.* from {relation_sql} as child left join {parent} as parent "
            f"on child.{column} = parent.{field} where child.{column} is not null and parent.{field} is null"
        )
    assert check.kind == "sql" and rendered_custom is not None
    return rendered_custom


def parse_custom_check(sql: str, spec: CheckSpec, name: str, file: str, *, read: str, cache) -> None:
    """A custom check's rendered ``sql`` must parse as one query (in sqlglot dialect ``read``) at
    compile, not fail at apply's audit. ``cache`` (the compile cache) remembers what parsed before:
    importing sqlglot costs every plan ~0.1 s."""
    if cache.passed("check-parses", read, sql):
        return
    from faborite.compiler.sql import parse_query  # sqlglot: only when a custom check changed

    try:
        parse_query(sql, read, file=file)
    except CompileError as exc:
        message = exc.message.replace("the model is empty: it renders to no SQL", "the check's SQL is empty")
        message = message.replace("a model holds one SELECT statement", "a check holds one SELECT statement")
        message = message.replace("a model must be a query", "a check must be a query")
        raise CompileError(f"check {spec.label!r} on {name}: {message}", file=file, line=spec.line,
                           hint=exc.hint) from None
    cache.remember_passed("check-parses", read, sql)

