"""Ephemeral models (dbt's ``materialized: ephemeral``): never built, inlined where they are used.

Each model that refs an ephemeral model gets it as a common table expression
named ``__dbt__cte__<name>`` (dbt's name), ahead of its own CTEs; an ephemeral
model that refs another brings that one along first. The inlined SQL is part
of the model's SQL, so editing an ephemeral model changes the version of
every model using it, and its parents become theirs.
"""

from __future__ import annotations

import re

_LEADING_WITH = re.compile(r"^(\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*)with(\s+recursive)?\b", re.I | re.S)


def cte_name(name: str) -> str:
    """The identifier an ephemeral model is inlined as."""
    return f"__dbt__cte__{name}"


def with_ctes(sql: str, ctes: list[tuple[str, str]]) -> str:
    """``sql`` with ``ctes`` (``(name, query)``, dependencies first) ahead of its own CTEs."""
    if not ctes:
        return sql
    block = ",\n".join(f"{cte_name(name)} as (\n{query}\n)" for name, query in ctes)
    match = _LEADING_WITH.match(sql)
    if match:
        # `with recursive` applies to the whole list; ours are not recursive but may sit in it.
        return f"{match.group(1)}with{match.group(2) or ''} {block},\n{sql[match.end():].lstrip()}"
    return f"with {block}\n{sql}"
