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
