"""Rules about things declared and never used: sources no model reads, macros no file calls."""

from __future__ import annotations

import re
from collections.abc import Iterator

from faborite.lint.finding import Finding, LintContext

_MACRO_DEFINITION = re.compile(r"\{%-?\s*macro\s+(\w+)\s*\(")


def unused_sources(ctx: LintContext) -> Iterator[Finding]:
    """FAB002: a source table no model reads (a stale declaration, or a typo in source())."""
    children = ctx.manifest.children
    for node in ctx.manifest.nodes.values():
        if node.kind != "source" or children.get(node.id):
            continue
        source, table = node.id.split(".", 2)[1:]
        entry = ctx.project.sources.get(source)
        file = entry.file if entry else node.file
        start = rf"name:\s*['\"]?{re.escape(table)}['\"]?\s*$"
        yield Finding(code="FAB002", file=file, line=ctx.line_of(file, start, entry.line if entry else None),
                      message=f"source table {source}.{table} is read by no model",
                      hint="remove it from the sources file, or read it with "
                           f"{{{{ source('{source}', '{table}') }}}}")


def unused_macros(ctx: LintContext) -> Iterator[Finding]:
    """FAB003: a macro that no model, macro or properties file calls."""
    properties = [path.read_text(encoding="utf-8") for path in ctx.properties_files.values()]
    for macro in ctx.project.macros:
        for match in _MACRO_DEFINITION.finditer(macro.text):
            name = match.group(1)
            call = re.compile(rf"(?<![\w.]){re.escape(name)}\s*\(")
            # The definition itself matches too: remove it before searching its own file.
            own = macro.text[:match.start()] + macro.text[match.end():]
            others = [m.text for m in ctx.project.models] + [m.text for m in ctx.project.macros if m is not macro]
            if any(call.search(text) for text in (own, *others, *properties)):
                continue
            yield Finding(code="FAB003", file=macro.path, line=macro.text.count("\n", 0, match.start()) + 1,
                          message=f"macro {name!r} is called nowhere",
                          hint="delete it, or call it from a model: {{ " + name + "(...) }}")
