"""Jinja inside SQL, swapped for placeholders sqlglot parses and prints unchanged.

The promise: every Jinja segment (``{{ }}``, ``{% %}``, ``{# #}``) comes back
byte for byte. An expression ``{{ ... }}`` becomes an identifier
``__fab_jinja_<n>__``: in FROM position sqlglot reads it as a table name, in an
expression as a column, inside a string literal it is just text. Leading lines
that hold only Jinja (``{{ config(...) }}``, ``{% set %}``, ``{# #}``) form a
header kept verbatim. Anything else (control blocks such as ``{% if %}`` or
``{% for %}`` around SQL fragments, a ``{# #}`` inside the SQL) cannot be
substituted safely: :func:`split_template` says why and the model is left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PLACEHOLDER = "__fab_jinja_{}__"
PLACEHOLDER_PATTERN = re.compile(r"__fab_jinja_(\d+)__")
_OPENERS = {"{{": "}}", "{%": "%}", "{#": "#}"}
# A header statement stands alone: it renders to nothing and encloses no SQL.
_HEADER_STATEMENT = re.compile(r"^\{%-?\s*(set|do)\b")


@dataclass(frozen=True)
class Segment:
    """One Jinja segment: its exact text and where it starts in the file."""

    start: int
    text: str

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def kind(self) -> str:
        return self.text[:2]


class NotSubstitutable(Exception):
    """The template's Jinja cannot be replaced by placeholders; the message says why."""


def jinja_segments(text: str) -> list[Segment]:
    """Every Jinja segment of ``text``, in order. Quotes inside a segment are honoured
    (``{{ "}}" }}`` is one segment); an unclosed segment raises :class:`NotSubstitutable`."""
    segments = []
    i = 0
    while True:
        starts = [(text.find(opener, i), opener) for opener in _OPENERS]
        starts = [(pos, opener) for pos, opener in starts if pos >= 0]
        if not starts:
            return segments
        start, opener = min(starts)
        end = _segment_end(text, start, opener)
        segments.append(Segment(start, text[start:end]))
        i = end


def _segment_end(text: str, start: int, opener: str) -> int:
    closer = _OPENERS[opener]
    if opener == "{#":  # comments hold no strings
        end = text.find(closer, start + 2)
        if end < 0:
            raise NotSubstitutable("an unclosed Jinja comment")
        return end + 2
    i, quote = start + 2, None
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 2
                continue
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif text.startswith(closer, i):
            return i + 2
        i += 1
    raise NotSubstitutable(f"an unclosed Jinja {opener} ... {closer}")


@dataclass(frozen=True)
class Template:
    """A model split for formatting: a verbatim header, then SQL with placeholders."""

    header: str
    sql: str
    expressions: tuple[str, ...]

    def restore(self, formatted_sql: str) -> str:
        """The file text for ``formatted_sql``: header, SQL with each placeholder's Jinja back.

        Raises :class:`NotSubstitutable` unless every placeholder appears exactly once.
        """
        found = [int(m.group(1)) for m in PLACEHOLDER_PATTERN.finditer(formatted_sql)]
        if sorted(found) != list(range(len(self.expressions))):
            raise NotSubstitutable("the formatter moved or dropped a Jinja expression")
        body = PLACEHOLDER_PATTERN.sub(lambda m: self.expressions[int(m.group(1))], formatted_sql)
        return self.header + body


def split_template(text: str) -> Template:
    """Split a model into a Jinja-only header and substitutable SQL (see the module doc)."""
    if PLACEHOLDER_PATTERN.search(text):
        raise NotSubstitutable("the model already contains a __fab_jinja_N__ name")
    segments = jinja_segments(text)
    header_end = _header_end(text, segments)
    sql_parts: list[str] = []
    expressions: list[str] = []
    cursor = header_end
    for segment in segments:
        if segment.start < header_end:
            continue
        if segment.kind == "{%":
            raise NotSubstitutable("Jinja control flow")
        if segment.kind == "{#":
            raise NotSubstitutable("a Jinja comment inside the SQL")
        sql_parts.append(text[cursor:segment.start])
        sql_parts.append(PLACEHOLDER.format(len(expressions)))
        expressions.append(segment.text)
        cursor = segment.end
    sql_parts.append(text[cursor:])
    header = text[:header_end].rstrip()
    # One line break between the header and the SQL; blank lines there render to nothing.
    return Template(header=header + "\n" if header else "", sql="".join(sql_parts), expressions=tuple(expressions))


def _header_end(text: str, segments: list[Segment]) -> int:
    """Where the SQL starts: after leading lines that hold only whitespace and header Jinja."""
    header = {s.start: s for s in segments if _is_header_segment(s)}
    end = i = 0
    while True:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        segment = header.get(i)
        if segment is None:
            return end
        after = segment.end
        while after < len(text) and text[after] in " \t":
            after += 1
        if after < len(text) and text[after] not in "\r\n" and after not in header:
            return end  # SQL follows on the same line: the segment belongs to the SQL
        end = i = segment.end


def _is_header_segment(segment: Segment) -> bool:
    if segment.kind == "{#":
        return True
    if segment.kind == "{%":
        return bool(_HEADER_STATEMENT.match(segment.text))
    return bool(re.match(r"^\{\{-?\s*config\s*\(", segment.text))
