"""SQL through sqlglot: parse with locations, a version-stable canonical form, columns.

Fingerprints must not change when sqlglot's *generator* changes between
releases, so the canonical form hashed for a model is built from the token
stream (keywords and names lower-cased, literals and quoted names kept, comments
and whitespace dropped), not from ``Expression.sql()``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from faborite.errors import CompileError, shorten_excerpt
from faborite.relation import Relation

_KEEP_CASE = {TokenType.STRING, TokenType.IDENTIFIER, TokenType.NATIONAL_STRING}


def parse_query(sql: str, dialect: str, *, file: str, line_offset: int = 0) -> exp.Query:
    """Parse a model's rendered SQL; it must be exactly one query.

    ``line_offset`` is how many lines of the file precede ``sql`` (blank lines a
    leading ``{{ config(...) }}`` left behind), so errors name the file's line.
    """
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except RecursionError:
        raise too_deep_error(sql, dialect, file=file, line_offset=line_offset) from None
    except ParseError as exc:
        err = exc.errors[0] if exc.errors else {}
        near = shorten_excerpt((err.get("highlight") or "").strip())
        description = err.get("description", str(exc)).split(" <Token")[0].strip()
        if description.startswith("Required keyword:"):  # names a sqlglot class; say what it means
            description = "incomplete expression"
        if near:
            description += f" {near!r}" if description.endswith("got") else f" near {near!r}"
        # Name the dialect: SQL written for another engine (a dbt project's Snowflake `v:key::int`)
        # fails here, and the parser's own words do not say why.
        where = (f"line {err.get('line')}, column {err.get('col')} of the rendered SQL, read as "
                 f"{dialect or 'generic'} SQL (the project's dialect); `faborite compile` shows it")
        unbalanced = _unbalanced_paren(sql, dialect)
        if unbalanced is not None:
            text, paren_line = unbalanced
            fix = "add the missing ')'" if text.startswith("'('") else "remove the extra ')' or add its '('"
            raise CompileError(f"SQL syntax error: {text} ({description})", file=file, line=paren_line + line_offset,
                               hint=f"{fix}; the parser stopped at {where}") from None
        raise CompileError(
            f"SQL syntax error: {description}",
            file=file,
            line=err["line"] + line_offset if err.get("line") else None,
            hint=where,
        ) from None
    except TokenError as exc:
        cause = shorten_excerpt(str(exc.__cause__ or exc))
        opened = _unclosed_literal(sql)
        raise CompileError(
            f"SQL syntax error: {opened[0] if opened else cause}", file=file,
            line=opened[1] + line_offset if opened else None, hint="check quotes, comments and brackets",
        ) from None
    if not statements:
        raise CompileError("the model is empty: it renders to no SQL", file=file, line=1 + line_offset,
                           hint="write one SELECT statement, or delete the file; SQL that Jinja builds from "
                                "the warehouse's catalog or a query (run_query, statement, "
                                "get_relations_by_pattern) is empty at plan time, where no query runs")
    if len(statements) != 1:
        raise CompileError(
            f"a model holds one SELECT statement, found {len(statements)}",
            file=file, line=_second_statement_line(sql, dialect) + line_offset,
            hint="remove extra ';'-separated statements",
        )
    query = statements[0]
    if not isinstance(query, exp.Query):
        raise CompileError(
            f"a model must be a query (SELECT/WITH/UNION), found {query.key.upper()}",
            file=file, line=1 + line_offset, hint="faborite creates the table or view itself; write only the SELECT",
        )
    return query


def too_deep_error(sql: str, dialect: str, *, file: str, line_offset: int = 0) -> CompileError:
    """The error for SQL nested deeper than the parser (sqlglot recurses per level) can follow."""
    depth, deepest, line = 0, 0, 1
    try:
        for token in sqlglot.Dialect.get_or_raise(dialect).tokenize(sql):
            if token.token_type in (TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE):
                depth += 1
                if depth > deepest:
                    deepest, line = depth, token.line
            elif token.token_type in (TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE):
                depth -= 1
    except (TokenError, RecursionError):
        pass
    where = f" ({deepest} levels of brackets)" if deepest > 1 else ""
    if deepest <= 1:  # no nested brackets: a long chain of operators; name the longest line
        lengths = [len(text) for text in sql.split("\n")]
        line = lengths.index(max(lengths)) + 1
    return CompileError(f"SQL nested too deeply to parse{where}", file=file, line=line + line_offset,
                        hint="flatten the nesting: fewer nested parentheses or subqueries, or a CTE or ref()'d "
                             "model per level")


def _unbalanced_paren(sql: str, dialect: str) -> tuple[str, int] | None:
    """The first ``)`` without a ``(``, else the last ``(`` never closed: (what, line), or None."""
    try:
        tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(sql)
    except TokenError:
        return None
    stack = []
    for token in tokens:
        if token.token_type == TokenType.L_PAREN:
            stack.append(token.line)
        elif token.token_type == TokenType.R_PAREN:
            if not stack:
                return "')' without a matching '('", token.line
            stack.pop()
    return ("'(' is never closed", stack[-1]) if stack else None


def _unclosed_literal(sql: str) -> tuple[str, int] | None:
    """Where an unterminated string, quoted name or block comment starts: (what, line), or None."""
    closers = {"'": ("'", "string"), '"': ('"', "quoted name"), "/*": ("*/", "comment")}
    i, line = 0, 1
    while i < len(sql):
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            i = len(sql) if end < 0 else end
            continue
        opener = "/*" if sql.startswith("/*", i) else sql[i] if sql[i] in "'\"" else None
        if opener is None:
            line += sql[i] == "\n"
            i += 1
            continue
        closer, what = closers[opener]
        end = sql.find(closer, i + len(opener))
        if end < 0:
            return f"{what} opened on this line is never closed", line
        line += sql.count("\n", i, end)
        i = end + len(closer)
    return None


def _second_statement_line(sql: str, dialect: str) -> int:
    """The line where a second ``;``-separated statement starts (1 if it cannot be told)."""
    tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(sql)
    for token, following in zip(tokens, tokens[1:]):
        if token.token_type == TokenType.SEMICOLON and following.token_type != TokenType.SEMICOLON:
            return following.line
    return 1


def canonical_text(sql: str, dialect: str) -> str:
    """Formatting- and comment-insensitive text of ``sql`` for hashing."""
    return canonical_from_tokens(sqlglot.Dialect.get_or_raise(dialect).tokenize(sql))


def canonical_from_tokens(tokens) -> str:
    """:func:`canonical_text` of already-tokenized SQL.

    Unquoted names are case-insensitive, except an alias after ``AS``: engines
    publish the column under the alias as written.
    """
    parts = []
    after_as = False
    for t in tokens:
        if t.token_type in _KEEP_CASE:
            parts.append(f"{t.token_type.name[0]}'{t.text}'")
        elif after_as and t.token_type == TokenType.VAR:
            parts.append(f"A'{t.text}'")
        else:
            parts.append(t.text.lower())
        after_as = t.token_type == TokenType.ALIAS
    return " ".join(parts)


def output_columns(query: exp.Query) -> list[str] | None:
    """Names of the query's output columns, or None when they follow its inputs' columns.

    That is any ``*`` projection in any SELECT of the query (a later UNION
    branch too), a NATURAL join (it joins on whatever columns match), or
    DuckDB's ``COLUMNS(...)``: a parent gaining a column changes such a query.
    """
    if follows_input_columns(query):
        return None
    return [projection.alias_or_name for projection in query.selects]


def follows_input_columns(query: exp.Query) -> bool:
    """Whether the query's result depends on its inputs' column lists (see :func:`output_columns`)."""
    # One walk of the tree for the three cases (three find_all walks took twice as long).
    for node in query.walk():
        if isinstance(node, exp.Select):
            if any(p.is_star for p in node.expressions):
                return True
        elif isinstance(node, exp.Join):
            if (node.args.get("method") or "").upper() == "NATURAL":
                return True
        elif isinstance(node, exp.Func) and node.sql_name() == "COLUMNS":
            return True
    return False


_QUOTED_RELATION = re.compile(r'"((?:[^"]|"")+)"\."((?:[^"]|"")+)"')


@functools.cache
def _quotes_with_double_quotes(dialect: str) -> bool:
    """Whether ref() in this dialect writes ``"schema"."name"`` (the fast path's pattern)."""
    identifiers = sqlglot.Dialect.get_or_raise(dialect).tokenizer_class.IDENTIFIERS
    return '"' in identifiers


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def to_target_sql(sql: str, *, read: str, write: str, relation_map: Mapping[str, Relation],
                  default_schema: str | None = None) -> str:
    """Rewrite virtual relation names to physical ones and print in the target's dialect.

    ``relation_map`` maps ``schema.name`` to the physical relation. Looking each
    table up in a dict keeps this linear in the query's size, not the project's.
    """
    from sqlglot.errors import UnsupportedError

    from faborite.errors import ProviderError

    if read == write and _quotes_with_double_quotes(read):
        # Same dialect: no translation, so swap the quoted names ref() wrote for the
        # physical ones without parsing (parsing every model again cost ~5 ms each).
        def physical(match: re.Match) -> str:
            schema, name = match.group(1).replace('""', '"'), match.group(2).replace('""', '"')
            target = relation_map.get(f"{schema}.{name}")
            if target is None:
                return match.group(0)
            two = _quote(target.schema_name) + "." + _quote(target.name)
            return _quote(target.catalog) + "." + two if target.catalog else two

        return _QUOTED_RELATION.sub(physical, sql)
    query = sqlglot.parse_one(sql, read=read)
    if relation_map:
        for table in query.find_all(exp.Table):
            if table.args.get("catalog") or not table.name:
                continue
            schema = table.db or default_schema
            physical = relation_map.get(f"{schema}.{table.name}") if schema else None
            if physical is not None:
                table.set("this", exp.to_identifier(physical.name, quoted=True))
                table.set("db", exp.to_identifier(physical.schema_name, quoted=True))
                if physical.catalog:
                    table.set("catalog", exp.to_identifier(physical.catalog, quoted=True))
    try:
        return query.sql(dialect=write, unsupported_level=sqlglot.ErrorLevel.RAISE)
    except UnsupportedError as exc:
        raise ProviderError(f"cannot translate SQL from {read} to {write}: {exc}") from None
