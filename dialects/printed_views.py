"""Reading a view's SQL as a server prints it back: tokens and dotted names.

PostgreSQL (``pg_get_viewdef``) and MySQL (``information_schema.VIEWS``) do not
keep a view's SQL; they print the parsed query. A dialect's ``pointer_reads``
recognises the printed form of ``SELECT * FROM <physical>`` with these two
functions, without an SQL parser (``plan`` reads every published view).
"""

from __future__ import annotations

import functools
import re

Token = tuple[str, str]


@functools.cache
def _pattern(quote: str) -> re.Pattern[str]:
    q = re.escape(quote)
    return re.compile(rf"\s*(?:({q}(?:[^{q}]|{q}{q})*{q})|([^\s.{q}(),;]+)|([.,;]))", re.DOTALL)


def tokens(text: str, quote: str) -> list[Token] | None:
    """``(kind, value)`` pairs: ("name", unquoted identifier), ("word", lowercased bare word) or
    ("punct", mark); None when ``text`` holds anything else (operators, parentheses, literals).
    ``quote`` delimits identifiers and is escaped inside them by doubling."""
    found, position, end = [], 0, len(text.rstrip())
    pattern = _pattern(quote)
    while position < end:
        match = pattern.match(text, position)
        if match is None or match.end() == position:
            return None
        quoted, bare, punct = match.groups()
        if quoted is not None:
            found.append(("name", quoted[1:-1].replace(quote * 2, quote)))
        elif bare is not None:
            found.append(("word", bare.lower()))
        else:
            found.append(("punct", punct))
        position = match.end()
    return found


def dotted(found: list[Token], *, bare_words: bool = True) -> list[str] | None:
    """``a . "b c"`` tokens -> ``['a', 'b c']``; None unless the tokens are exactly a dotted name
    (of quoted names only, unless ``bare_words``: a bare word is taken as printed)."""
    if not found or len(found) % 2 == 0:
        return None
    kinds = ("name", "word") if bare_words else ("name",)
    parts = []
    for index, (kind, value) in enumerate(found):
        if index % 2:
            if (kind, value) != ("punct", "."):
                return None
        elif kind in kinds:
            parts.append(value)
        else:
            return None
    return parts


def split_items(found: list[Token]) -> list[list[Token]]:
    """A select list's tokens split at its commas (printed views hold no nested commas here:
    anything with parentheses is not a pointer, and :func:`tokens` refuses it)."""
    items: list[list[Token]] = [[]]
    for token in found:
        if token == ("punct", ","):
            items.append([])
        else:
            items[-1].append(token)
    return items


def select_from(text: str, quote: str) -> tuple[list[Token], list[Token]] | None:
    """A printed ``SELECT <items> FROM <rest>`` as (item tokens, rest tokens); None otherwise."""
    found = tokens(text, quote)
    if found is None or len(found) < 2 or found[0] != ("word", "select"):
        return None
    try:
        from_at = found.index(("word", "from"))
    except ValueError:
        return None
    return found[1:from_at], found[from_at + 1:]
