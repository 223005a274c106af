"""Rendering a model without Jinja when every tag is a plain call with literal arguments.

Most models only use ``{{ ref('x') }}``, ``{{ source('a', 'b') }}``,
``{{ var('x') }}``, ``{{ this }}`` and ``{{ config(k=literal) }}``; compiling each
through Jinja costs milliseconds (dbt's static parser exists for the same
reason). Anything else, and every error, goes through Jinja, so results and
messages are identical.
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from faborite.compiler.jinja import THIS_PLACEHOLDER, RenderRecord, _current

if TYPE_CHECKING:
    from faborite.compiler.jinja import TemplateContext

#: One ``{{ ... }}`` tag (its expression in group 1); also read by :mod:`faborite.compiler.jinja_calls`.
EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.S)


def static_render(context: "TemplateContext", text: str, path: str) -> "tuple[str, RenderRecord] | None":
    """``text`` rendered with ``context``'s ref/source/var/config, or None: render it through Jinja."""
    if "{%" in text or "{#" in text:
        return None
    matches = list(EXPRESSION.finditer(text))
    if text.count("{{") != len(matches) or text.count("}}") != len(matches):
        return None  # unbalanced delimiters: Jinja reports the syntax error
    record = RenderRecord(file=path)
    token = _current.set(record)
    try:
        parts, position = [], 0
        for match in matches:
            value = _static_value(context, match.group(1))
            if value is None:
                return None
            parts += [text[position:match.start()], value]
            position = match.end()
        parts.append(text[position:])
        return "".join(parts), record
    except Exception:  # noqa: BLE001 - let the Jinja path produce the located error
        return None
    finally:
        _current.reset(token)


def _static_value(context: "TemplateContext", expression: str) -> str | None:
    if "\\" in expression:
        return None
    try:
        node = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, ast.Name) and node.id == "this":
        return THIS_PLACEHOLDER
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return None
    name = node.func.id
    if name in context._overridden:
        return None  # the project's own ref()/source() macro: Jinja calls it
    if name in ("ref", "source", "var") and not node.keywords and all(
            isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args):
        function = {"ref": context._ref, "source": context._source, "var": context._var}[name]
        return str(function(*(a.value for a in node.args)))
    if name == "config" and not node.args:
        kwargs = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                return None
            value = ast.literal_eval(keyword.value)  # ValueError (not a literal) -> Jinja path
            if _has_python_only_literal(keyword.value):
                return None
            kwargs[keyword.arg] = value
        return context._config(**kwargs)
    return None


def _has_python_only_literal(node: ast.AST) -> bool:
    """Literals Jinja reads differently (True/None are fine; sets, bytes, complex are not Jinja)."""
    return any(isinstance(n, (ast.Set, ast.BinOp, ast.UnaryOp)) or
               (isinstance(n, ast.Constant) and isinstance(n.value, (bytes, complex)))
               for n in ast.walk(node))
