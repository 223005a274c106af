"""One model's text in canonical form: sqlglot's pretty printer, Jinja put back verbatim.

The promise: :func:`format_model_text` either returns text that formats to
itself again (idempotent), keeps every Jinja segment byte for byte and every
SQL comment's text in order (a ``-- x`` that ends a line stays ``-- x``; sqlglot
itself prints every comment as ``/* x */``), or it returns the text unchanged with the reason.
Whether the *compiled* SQL keeps its meaning is checked a level up, against
the real compiler (:mod:`faborite.fmt.project_format`).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

from faborite.fmt.jinja_segments import PLACEHOLDER_PATTERN, NotSubstitutable, split_template

Status = Literal["formatted", "unchanged", "skipped"]


class FormatOutcome(BaseModel):
    """What formatting did to one file: its new text, or why it was left as it is."""

    model_config = ConfigDict(frozen=True)

    path: str
    status: Status
    text: str
    reason: str | None = None
    #: Whether the model's fingerprint (data_hash) moves, so the next apply rebuilds it.
    rebuilds: bool = False

    def skipped(self, reason: str, original: str) -> "FormatOutcome":
        """This outcome turned into 'left unchanged because ``reason``'."""
        return FormatOutcome(path=self.path, status="skipped", text=original, reason=reason)


def format_model_text(text: str, dialect: str, *, path: str = "") -> FormatOutcome:
    """The canonical text of one model written in sqlglot ``dialect`` (see the module doc)."""
    try:
        template = split_template(text)
        if not template.sql.strip():
            return FormatOutcome(path=path, status="unchanged", text=text)
        comments = comment_texts(template.sql, dialect)
        line_comments = _line_comments(template.sql, comments)
        formatted = _as_line_comments(pretty_sql(template.sql, dialect), line_comments)
        if _as_line_comments(pretty_sql(formatted, dialect), line_comments) != formatted:
            raise NotSubstitutable("sqlglot does not print it the same way twice")
        if _quoted_placeholders(formatted) != _quoted_placeholders(template.sql):
            raise NotSubstitutable("a Jinja expression would end up quoted")
        if comments and comment_texts(formatted, dialect) != comments:
            raise NotSubstitutable("sqlglot would move or drop a comment")
        new = template.restore(formatted)
    except NotSubstitutable as why:
        return FormatOutcome(path=path, status="skipped", text=text, reason=str(why))
    return FormatOutcome(path=path, status="unchanged" if new == text else "formatted", text=new)


def pretty_sql(sql: str, dialect: str) -> str:
    """``sql`` (one query) printed by sqlglot's pretty printer, ending in one line break."""
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except (ParseError, TokenError, RecursionError):
        raise NotSubstitutable("it does not parse as SQL with its Jinja as placeholders") from None
    if len(statements) != 1 or not isinstance(statements[0], sqlglot.exp.Query):
        raise NotSubstitutable("it is not one query")
    try:
        return statements[0].sql(dialect=dialect, pretty=True) + "\n"
    except Exception as exc:  # noqa: BLE001 - a generator gap leaves the file as it is
        raise NotSubstitutable(f"sqlglot cannot print it: {exc}") from None


def comment_texts(sql: str, dialect: str) -> list[str]:
    """The text of every SQL comment, in order (``-- x`` and ``/* x */`` both give ``x``)."""
    import sqlglot

    tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(sql)
    return [comment.strip() for token in tokens for comment in token.comments]


def _line_comments(sql: str, comments: list[str]) -> set[str]:
    """Which of ``sql``'s ``comments`` are ``-- ...`` comments (sqlglot prints every comment as ``/* */``)."""
    return {text for text in comments
            if re.search(r"--[ \t]*" + re.escape(text) + r"[ \t]*(\n|$)", sql)}


def _as_line_comments(sql: str, texts: set[str]) -> str:
    """``/* x */`` ending a line back to ``-- x`` when the author wrote ``-- x``."""
    def back(match: re.Match) -> str:
        return f"-- {match.group(1)}" if match.group(1) in texts else match.group(0)

    return re.sub(r"/\* ((?:(?!\*/)[^\n])*?) \*/(?=[ \t]*(?:\n|$))", back, sql)


def _quoted_placeholders(sql: str) -> int:
    # A placeholder right after a quote character sits inside a quoted name or string.
    return sum(1 for m in PLACEHOLDER_PATTERN.finditer(sql) if m.start() and sql[m.start() - 1] in "\"'`[")
