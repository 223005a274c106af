"""Refuse at compile time a model its target cannot run, naming model, line and construct.

Models are written in the project's dialect and translated for the target at
build. What the target lacks (see :meth:`faborite.dialects.base.Dialect.unsupported`)
would otherwise fail at apply, after other models were built: here it is one
located error before anything runs.
"""

from __future__ import annotations

from collections.abc import Iterable

from faborite.errors import CompileError


def check_target_support(models: Iterable[tuple[str, str, str, int]], *, read: str, target, target_name: str,
                         cache=None) -> None:
    """Raise for the first model whose SQL the target cannot run.

    ``models``: ``(name, sql, file, line_offset)``; ``read``: the sqlglot dialect
    the SQL is written in; ``target``: the target's faborite dialect; ``cache``:
    a :class:`~faborite.compiler.cache.CompileCache` remembering SQL that passed
    (parsing every model again would cost each plan milliseconds per model).
    """
    if not target.checks_queries_from(read):
        return
    for name, sql, file, offset in models:
        if cache is not None and cache.passed(target.name, read, sql):
            continue
        found = target.unsupported(sql, read)
        if not found:
            if cache is not None:
                cache.remember_passed(target.name, read, sql)
            continue
        first = found[0]
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise CompileError(
            f"model {name!r} uses {first.construct}, which target {target_name!r} ({target.name}) "
            f"does not have{more}",
            file=file, line=first.line + offset if first.line else None,
            hint=f"rewrite it in SQL both {read or 'generic SQL'} and {target.name} have, "
                 f"or build this model on another target",
        )
