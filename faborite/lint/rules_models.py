"""Rules about models as nodes: ones nothing checks, refs to deprecated ones."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

from faborite.lint.finding import Finding, LintContext


def models_without_checks(ctx: LintContext) -> Iterator[Finding]:
    """FAB004: a model with no check at all: apply publishes whatever it computes."""
    for node in ctx.models():
        if node.checks:
            continue
        entry = ctx.project.model_docs.get(node.name)
        file, line = (entry.file, entry.line) if entry else (node.file, 1)
        yield Finding(code="FAB004", file=file, line=line, message=f"model {node.name!r} has no checks",
                      hint="add e.g. 'checks: [not_null, unique]' under a key column in its properties entry")


def refs_to_deprecated(ctx: LintContext, today: datetime.date | None = None) -> Iterator[Finding]:
    """FAB006: a ref() to a model marked ``deprecated: true`` or with a ``deprecation_date``."""
    today = today or datetime.date.today()
    for node in ctx.models():
        for parent_id in node.parents:
            parent = ctx.manifest.nodes[parent_id]
            if not (parent.deprecated or parent.deprecation_date):
                continue
            when = parent.deprecation_date
            status = ("is deprecated" if when is None else
                      f"is deprecated since {when}" if when <= today else f"will be deprecated on {when}")
            pattern = rf"""\bref\(\s*['"]{re.escape(parent.name)}['"]\s*\)"""
            yield Finding(code="FAB006", file=node.file, line=ctx.line_of(node.file, pattern),
                          message=f"model {node.name!r} reads {parent.name!r}, which {status}",
                          hint=f"move to its replacement (see {parent.file}) before it is removed")
