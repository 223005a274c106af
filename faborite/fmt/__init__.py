"""``faborite fmt``: model SQL in one canonical layout, Jinja untouched, meaning kept.

- :mod:`jinja_segments`: Jinja swapped for placeholders and put back verbatim.
- :mod:`sql_format`: one file's canonical text (idempotent, comments kept) or why not.
- :mod:`project_format`: every model, checked against the real compiler before writing.
"""

from faborite.fmt.project_format import FormatReport, format_project
from faborite.fmt.sql_format import FormatOutcome, format_model_text

__all__ = ["FormatOutcome", "FormatReport", "format_model_text", "format_project"]
