"""Where a rendered model's SQL starts in its file, so SQL errors name the file's line.

A leading ``{{ config(...) }}`` written over several lines (as large dbt
projects do: one key per line) renders to nothing, so counting the rendered
text's leading newlines puts every later error that many lines too early.
The rendered SQL's first line is looked up in the source instead: Jinja only
removes lines, so it is at or after the counted line.
"""

from __future__ import annotations

import re

_JINJA_OR_COMMENT = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|--[^\n]*", re.S)


def body_offset(source: str, rendered: str, counted: int) -> int:
    """Lines of ``source`` before the line that starts ``rendered`` (the model's stripped SQL);
    ``counted`` (the rendered text's own leading newlines) when that line is not found as written."""
    first = next((line.strip() for line in rendered.splitlines() if line.strip()), "")
    if not first:
        return counted
    lines = source.splitlines()
    for index in range(counted, len(lines)):
        if lines[index].strip() == first:
            # Only when nothing but Jinja tags, comments and blanks precede it: a line that merely
            # repeats the first one further down is not where the SQL starts.
            before = _JINJA_OR_COMMENT.sub("", "\n".join(lines[:index]))
            return index if not before.strip() else counted
    return counted
