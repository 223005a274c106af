"""Where a Jinja error happened and what to tell the user: the project file and line from a
template traceback, the deepest nesting of a template too deep to compile, hints."""

from __future__ import annotations

import os
import re
import traceback

from faborite.errors import CompileError, FaboriteError, shorten_excerpt


_BLOCK_TAG = re.compile(r"\{%-?\s*(end)?(if|for|macro|call|filter|set|with|block|raw)\b")
_DELIMITERS = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)


def deepest_line(text: str) -> int:
    """The line where brackets and blocks nest deepest, else the line of the longest tag."""
    steps = [(m.start(), -1 if m.group(1) else 1) for m in _BLOCK_TAG.finditer(text)]
    brackets = _DELIMITERS.sub(lambda m: "  ", text)  # same positions, Jinja's own braces removed
    steps += [(m.start(), 1 if m.group(0) in "([{" else -1) for m in re.finditer(r"[()\[\]{}]", brackets)]
    depth = deepest = position = 0
    for at, step in sorted(steps):
        depth += step
        if depth > deepest:
            deepest, position = depth, at
    if deepest >= 20:
        return text.count("\n", 0, position) + 1
    longest = max(_TAG.finditer(text), key=lambda m: len(m.group(0)), default=None)
    return text.count("\n", 0, longest.start()) + 1 if longest else 1


def macro_line(text: str, name: str) -> int | None:
    """The line of ``{% macro name``."""
    match = re.search(r"{%-?\s*macro\s+" + re.escape(name) + r"\b", text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def template_line(exc: BaseException, default_file: str) -> tuple[str, int | None]:
    """The innermost project file and line in a Jinja-rewritten traceback."""
    file, line = default_file, None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        name = frame.f_code.co_filename
        if name.endswith(".sql") and not os.path.isabs(name):
            file, line = name, lineno
    return file, line


def locate(exc: FaboriteError, path: str) -> FaboriteError:
    """``exc`` with its file and line from the template traceback, when it has none."""
    if exc.file is None:
        exc.file, exc.line = template_line(exc, path)
    return exc


#: Names of dbt's context and of common dbt packages that faborite does not define (everything else
#: of dbt's context is in faborite/dbt/): defining them as a macro is no fix.
_DBT_CONTEXT = frozenset({"dbt_expectations", "dbt_date", "codegen", "audit_helper"})


def undefined_hint(message: str) -> str:
    """The hint for ``'x' is undefined``: never "define it as a macro" for a name of dbt's own context."""
    if " has no element " in message or " has no attribute " in message:
        # e.g. run_query(...).columns[0]: a value read from something that is empty or absent.
        return ("a value the template reads is missing; at plan time run_query/statement results are "
                "empty (no query runs): guard it, e.g. {% if results.rows %}")
    match = re.match(r"'([^']+)' is undefined", message)
    if match and match.group(1) in _DBT_CONTEXT:
        return (f"{match.group(1)!r} is part of dbt's Jinja context or a dbt package that faborite does not "
                "have: vendor the package under dbt_packages/ (see docs/migrating-from-dbt.md)")
    return "define it with {% set %}, as a var(), or as a macro in macros/"


def template_error(exc: Exception, path: str) -> CompileError:
    """Any error raised while rendering, as one located CompileError with a hint."""
    import jinja2

    file, line = template_line(exc, path)
    if isinstance(exc, jinja2.UndefinedError):
        return CompileError(f"Jinja error: {shorten_excerpt(exc.message or '')}", file=file, line=line,
                            hint=undefined_hint(exc.message or ""))
    if isinstance(exc, jinja2.exceptions.SecurityError):
        return CompileError(f"Jinja sandbox refused: {shorten_excerpt(str(exc))}", file=file, line=line,
                            hint="templates cannot reach Python internals")
    if isinstance(exc, jinja2.TemplateError):
        return CompileError(f"Jinja error: {shorten_excerpt(str(exc))}", file=file, line=line)
    # Calling ref(), var(), ... wrongly is a TypeError naming our method: name the function as written.
    text = re.sub(r"\bTemplateContext\._(\w+)\(\)", r"\1()", str(exc))
    return CompileError(f"error while rendering: {type(exc).__name__}: {shorten_excerpt(text)}", file=file, line=line)
