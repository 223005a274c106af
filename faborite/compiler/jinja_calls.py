"""Render a template whose tags are only calls with literal arguments, without compiling it.

dbt models call macros with literal arguments far more often than they use
control flow: ``{{ cents_to_dollars('amount') }}``,
``{{ dbt_utils.generate_surrogate_key(['id', 'grp']) }}``,
``{{ dbt.type_string() }}``. Compiling each such model through Jinja
(lexing, parsing, generating and compiling Python) costs milliseconds, more
than running the macros it calls, which are compiled once with their files. A
template made only of ``{{ call(...) }}`` tags is rendered here by making the
calls Jinja's generated code would make, through the same sandbox entry points
(``environment.call`` with a context, ``environment.getattr``) under the same
render budget, and joining the text.

The promise: the output is what Jinja's render gives, or there is no output
(``None``) and the caller renders through Jinja, which then gives the result
and, for a template that fails, the located error. So only what is read here
exactly as Jinja reads it is accepted: string literals without escapes,
decimal numbers, ``true``/``false``/``none``, lists, tuples and dicts of them,
names of globals (no ``{% set %}`` can exist in such a template), attribute
access and nested calls. Anything else (operators, filters, tests,
subscripts, ``{%`` tags, comments, whitespace control) goes to Jinja.

Templates of a package's models are not rendered here: their unqualified
names resolve in the package's scope, which Jinja's path sets up.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from faborite.compiler.jinja_limits import MAX_OUTPUT_CHARS, render_budget
from faborite.compiler.jinja_static import EXPRESSION

#: Decimal literals as Jinja's lexer reads them (no hex, octal or imaginary numbers).
_NUMBER = re.compile(r"^\d+(\.\d+)?$")
#: Jinja's literal names, in either spelling it accepts.
_LITERAL_NAMES = {"true": True, "True": True, "false": False, "False": False, "none": None, "None": None}


class _NotHere(Exception):  # noqa: N818 - a signal: "let Jinja render this", never shown
    """The expression uses something this module does not read exactly as Jinja does."""


def calls_only(text: str) -> list[tuple[int, int, ast.expr, str]] | None:
    """The ``(start, end, expression, source)`` of each ``{{ }}`` tag of ``text`` when every tag is
    a call (or a global's name or attribute) this module can evaluate; None otherwise (the template
    needs Jinja)."""
    if "{%" in text or "{#" in text or "\r" in text:
        return None  # (Jinja's lexer turns "\r\n" in the text into "\n")
    matches = list(EXPRESSION.finditer(text))
    if not matches or text.count("{{") != len(matches) or text.count("}}") != len(matches):
        return None
    found = []
    for match in matches:
        source = match.group(1).strip()
        if not source or "\\" in source or match.group(1)[:1] in "-+" or match.group(1)[-1:] in "-+":
            return None  # whitespace control: Jinja trims the text around the tag
        try:
            node = ast.parse(source, mode="eval").body
        except (SyntaxError, RecursionError, MemoryError, ValueError):
            return None  # (too deep for Python's parser: Jinja's path reports where)
        if not isinstance(node, (ast.Call, ast.Name, ast.Attribute)) or not _readable(node, source):
            return None
        found.append((match.start(), match.end(), node, source))
    return found


def _readable(node: ast.AST, source: str) -> bool:
    """Whether every part of ``node`` is one Jinja reads the same way (see the module docstring)."""
    for part in ast.walk(node):
        if isinstance(part, ast.Constant):
            segment = ast.get_source_segment(source, part) or ""
            if isinstance(part.value, str):
                # One plain quoted literal: no prefixes (r'', b''), no adjacent literals, no triple quotes.
                if len(segment) < 2 or segment[0] not in "'\"" or segment[-1] != segment[0] \
                        or segment[0] in segment[1:-1]:
                    return False
            elif isinstance(part.value, bool) or part.value is None:
                continue
            elif not (isinstance(part.value, (int, float)) and _NUMBER.match(segment)):
                return False
        elif isinstance(part, ast.keyword):
            if part.arg is None:
                return False  # **kwargs
        elif not isinstance(part, (ast.Call, ast.Name, ast.Attribute, ast.List, ast.Tuple, ast.Dict,
                                   ast.Load, ast.expr_context)):
            return False
        if isinstance(part, ast.Attribute) and part.attr.startswith("_"):
            return False
        if isinstance(part, ast.Call) and any(isinstance(a, ast.Starred) for a in part.args):
            return False
        if isinstance(part, ast.Dict) and any(k is None for k in part.keys):
            return False
    return True


def render_calls(env: Any, calls: list[tuple[int, int, ast.expr, str]], text: str, path: str) -> str | None:
    """``text`` with each call's result in place of its tag, or None when any call fails or a
    value is not one Jinja would give the same way (the caller then renders through Jinja)."""
    from jinja2.runtime import new_context

    context = new_context(env, path, {}, None, False, env.globals)
    parts, position, total = [], 0, 0
    try:
        with render_budget():
            for start, end, node, _ in calls:
                value = str(_evaluate(env, context, node))
                total += len(value)
                if total > MAX_OUTPUT_CHARS:
                    return None
                parts += [text[position:start], value]
                position = end
    except Exception:  # noqa: BLE001 - any failure: Jinja's path renders it and locates the error
        return None
    parts.append(text[position:])
    return "".join(parts)


def _evaluate(env: Any, context: Any, node: ast.expr) -> Any:
    """The value Jinja's generated code computes for ``node`` (a subset; see :func:`_readable`)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in _LITERAL_NAMES:
            return _LITERAL_NAMES[node.id]
        if node.id not in env.globals:
            raise _NotHere(node.id)  # undefined: Jinja's StrictUndefined reports it
        return env.globals[node.id]
    if isinstance(node, ast.Attribute):
        return env.getattr(_evaluate(env, context, node.value), node.attr)
    if isinstance(node, ast.List):
        return [_evaluate(env, context, item) for item in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_evaluate(env, context, item) for item in node.elts)
    if isinstance(node, ast.Dict):
        return {_evaluate(env, context, k): _evaluate(env, context, v) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.Call):
        function = _evaluate(env, context, node.func)
        args = [_evaluate(env, context, a) for a in node.args]
        kwargs = {k.arg: _evaluate(env, context, k.value) for k in node.keywords}
        return env.call(context, function, *args, **kwargs)
    raise _NotHere(type(node).__name__)
