"""``faborite fmt``: model SQL and project YAML in one canonical layout, Jinja and comments kept, meaning kept.

- :mod:`jinja_segments`: Jinja swapped for placeholders and put back verbatim.
- :mod:`sql_format`: one file's canonical text (idempotent, comments kept) or why not.
- :mod:`project_format`: every model, checked against the real compiler before writing.
- :mod:`yaml_format`: faborite.yml and properties files, comments kept, data unchanged.
"""

from faborite.fmt.project_format import FormatReport, format_project
from faborite.fmt.sql_format import FormatOutcome, format_model_text

__all__ = ["FormatOutcome", "FormatReport", "format_model_text", "format_project"]
