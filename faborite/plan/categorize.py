"""Is a SQL change breaking? Only adding output columns is not.

A change is *non-breaking* when the new query equals the old one except for
extra top-level projections that cannot change the row count (no DISTINCT,
no set-returning functions). Anything else, or anything that does not parse,
is *breaking*: downstream nodes are rebuilt.
"""

from __future__ import annotations

from typing import Literal

import sqlglot
from sqlglot import exp

_ROW_CHANGING = (exp.Unnest, exp.Explode, exp.Posexplode, exp.Lateral)


def categorize_sql(old_sql: str | None, new_sql: str, dialect: str) -> Literal["breaking", "non-breaking"]:
    """``non-breaking`` if ``new_sql`` only adds output columns to ``old_sql``."""
    if not old_sql:
        return "breaking"
    try:
        old = sqlglot.parse_one(old_sql, read=dialect)
        new = sqlglot.parse_one(new_sql, read=dialect)
    except sqlglot.errors.SqlglotError:
        return "breaking"
    if not isinstance(old, exp.Select) or not isinstance(new, exp.Select):
        return "breaking"
    if new.args.get("distinct") or old.args.get("distinct"):
        return "breaking"
    old_projections = [p.sql(dialect) for p in old.expressions]
    new_projections = [p.sql(dialect) for p in new.expressions]
    if len(new_projections) <= len(old_projections) or not set(old_projections) <= set(new_projections):
        return "breaking"
    added = [p for p, text in zip(new.expressions, new_projections) if text not in set(old_projections)]
    if any(p.find(*_ROW_CHANGING) for p in added):
        return "breaking"
    old_names = {p.alias_or_name for p in old.expressions}
    if any(p.alias_or_name in old_names for p in added):
        return "breaking"  # a new column shadowing an old name changes what readers see
    old_rest, new_rest = old.copy(), new.copy()
    old_rest.set("expressions", [exp.Star()])
    new_rest.set("expressions", [exp.Star()])
    return "non-breaking" if old_rest.sql(dialect) == new_rest.sql(dialect) else "breaking"
