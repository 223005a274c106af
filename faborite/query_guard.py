"""``faborite query`` is read-only: one SELECT, and no files beyond the project's sources.

Two layers, so that neither alone has to be perfect:

1. :func:`check_read_only_sql` parses the text with sqlglot: exactly one
   statement, a query (``SELECT``, ``WITH``, ``UNION``, ``VALUES``,
   ``DESCRIBE``, ``SHOW``, ``SUMMARIZE``, ``PIVOT``), and no write anywhere
   inside it (``COPY``, ``INSERT``, ``SELECT ... INTO``, ``ATTACH``, ``SET``,
   ``PRAGMA``, ``INSTALL``, ...).
2. The connection is confined by its provider (DuckDB: only the directories
   of :func:`source_directories` are readable, no other file or network
   access, configuration locked, and again only a single SELECT statement).
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import TYPE_CHECKING

from faborite.errors import QueryError

if TYPE_CHECKING:
    from faborite.config.loader import Project

HINT = "faborite query runs one SELECT against the published relations; it never writes"

_READS = ("Query", "Values", "Describe", "Show", "Summarize", "Pivot")
_WRITES = ("Into", "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "Copy", "Command", "Set",
           "Pragma", "Use", "Transaction", "Commit", "Rollback", "Attach", "Detach", "Install", "LoadData",
           "TruncateTable", "Analyze", "Export", "Cache", "Uncache", "Refresh", "Kill")


def check_read_only_sql(sql: str, dialect: str, *, strict: bool = True) -> None:
    """Refuse anything but exactly one read-only query (see the module docstring).

    SQL sqlglot cannot parse is refused when ``strict``; otherwise it is left to
    the provider's own parser (DuckDB's knows every statement DuckDB runs).
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    reads = tuple(getattr(exp, name) for name in _READS if hasattr(exp, name))
    writes = tuple(getattr(exp, name) for name in _WRITES if hasattr(exp, name))
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except (ParseError, TokenError) as exc:
        if not strict:
            return
        raise QueryError(f"refused: cannot parse the query: {_first_line(str(exc))}", hint=HINT) from None
    if not statements:
        raise QueryError("the query is empty", hint=HINT)
    if len(statements) > 1:
        raise QueryError(f"the query holds {len(statements)} statements; faborite query runs exactly one", hint=HINT)
    statement = statements[0]
    if not isinstance(statement, reads):
        raise QueryError(f"refused: {_kind(statement)} is not a read-only query", hint=HINT)
    for node in statement.walk():
        if isinstance(node, writes):
            raise QueryError(f"refused: the query contains {_kind(node)}", hint=HINT)


def _kind(node) -> str:
    name = type(node).__name__
    if name == "Command":
        return f"a {str(node.this).upper()} statement"
    if name == "Into":
        return "SELECT ... INTO"
    return f"a{'n' if name[0] in 'AEIOU' else ''} {name.upper()} statement"


def _first_line(text: str) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), text)
    return line.replace("\x1b[4m", "").replace("\x1b[0m", "")


def source_directories(project: Project, cwd: Path | None = None) -> list[Path]:
    """The directories the project's ``files`` sources read: all a query may open.

    A source ``data/events/*.parquet`` gives ``<root>/data/events``; a file
    ``data/countries.txt`` gives ``<root>/data``. Each is listed as written and
    with symlinks resolved. Relative source paths are also listed against
    ``cwd`` when that stays inside the project, because DuckDB checks a
    relative path against the working directory before it searches the
    project root (``file_search_path``).
    """
    root = Path(project.root)
    resolved_root = root.resolve()
    cwd = Path.cwd() if cwd is None else cwd
    found: set[Path] = set()
    for entry in project.sources.values():
        if entry.doc.type != "files":
            continue
        for table in entry.doc.tables:
            if not table.path:
                continue
            base = Path(_static_prefix(table.path, root))
            candidates = [base] if base.is_absolute() else [root / base]
            if not base.is_absolute():
                beside_cwd = (cwd / base).resolve()
                if beside_cwd == resolved_root or resolved_root in beside_cwd.parents:
                    candidates.append(cwd / base)
            for candidate in candidates:
                found.update({Path(str(candidate)), candidate.resolve()})
    return sorted(found)


def _static_prefix(path: str, root: Path) -> str:
    """The folder holding everything ``path`` (a file, folder or glob) can match."""
    expanded = Path(path).expanduser()
    parts = expanded.parts
    for index, part in enumerate(parts):
        if glob.has_magic(part):
            return str(Path(*parts[:index])) if index else "."
    return str(expanded if (root / expanded).is_dir() else expanded.parent)
