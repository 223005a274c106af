"""SQL through sqlglot: parse with locations, a version-stable canonical form, columns.

Fingerprints must not change when sqlglot's *generator* changes between
releases, so the canonical form hashed for a model is built from the token
stream (keywords and names lower-cased, literals and quoted names kept, comments
and whitespace dropped), not from ``Expression.sql()``.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from faborite.errors import CompileError

_KEEP_CASE = {TokenType.STRING, TokenType.IDENTIFIER, TokenType.NATIONAL_STRING}


def parse_query(sql: str, dialect: str, *, file: str) -> exp.Query:
    """Parse a model's rendered SQL; it must be exactly one query."""
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except ParseError as exc:
        err = exc.errors[0] if exc.errors else {}
        near = (err.get("highlight") or "").strip()
        description = err.get("description", str(exc)).split(" <Token")[0].strip()
        if near:
            description += f" {near!r}" if description.endswith("got") else f" near {near!r}"
        raise CompileError(
            f"SQL syntax error: {description}",
            file=file,
            line=err.get("line"),
            hint=f"line {err.get('line')}, column {err.get('col')} of the rendered SQL; `faborite compile` shows it",
        ) from None
    except TokenError as exc:
        raise CompileError(f"SQL syntax error: {exc}", file=file, hint="check quotes and brackets") from None
    if len(statements) != 1:
        raise CompileError(
            f"a model holds one SELECT statement, found {len(statements)}",
            file=file, hint="remove extra ';'-separated statements",
        )
    query = statements[0]
    if not isinstance(query, exp.Query):
        raise CompileError(
            f"a model must be a query (SELECT/WITH/UNION), found {query.key.upper()}",
            file=file, line=1, hint="faborite creates the table or view itself; write only the SELECT",
        )
    return query


def canonical_text(sql: str, dialect: str) -> str:
    """Formatting- and comment-insensitive text of ``sql`` for hashing."""
    tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(sql)
    parts = []
    for token in tokens:
        if token.token_type in _KEEP_CASE:
            parts.append(f"{token.token_type.name[0]}'{token.text}'")
        else:
            parts.append(token.text.lower())
    return " ".join(parts)


def output_columns(query: exp.Query) -> list[str] | None:
    """Names of the query's output columns, or None when a ``*`` hides them."""
    if has_star(query):
        return None
    return [projection.alias_or_name for projection in query.selects]


def has_star(query: exp.Query) -> bool:
    """Whether the outermost projection uses ``*`` or ``t.*`` (its columns follow its inputs)."""
    return any(p.is_star for p in query.selects)


def table_keys(query: exp.Query) -> set[str]:
    """``schema.name`` of every table the query reads (CTE names excluded)."""
    ctes = {cte.alias_or_name for cte in query.find_all(exp.CTE)}
    keys = set()
    for table in query.find_all(exp.Table):
        if not table.db and table.name in ctes:
            continue
        keys.add(f"{table.db}.{table.name}" if table.db else table.name)
    return keys


def to_target_sql(sql: str, *, read: str, write: str, relation_map: dict[str, str]) -> str:
    """Rewrite virtual relation names to physical ones and print in the target's dialect."""
    from sqlglot.errors import UnsupportedError

    from faborite.errors import ProviderError

    query = sqlglot.parse_one(sql, read=read)
    if relation_map:
        query = exp.replace_tables(query, relation_map, dialect=read, copy=False)
    try:
        return query.sql(dialect=write, unsupported_level=sqlglot.ErrorLevel.RAISE)
    except UnsupportedError as exc:
        raise ProviderError(f"cannot translate SQL from {read} to {write}: {exc}") from None
