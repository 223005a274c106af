"""Findings as text: ``file:line: CODE message`` and the hint under it."""

from __future__ import annotations

from collections.abc import Iterable

from faborite.lint.finding import Finding


def render_findings(findings: Iterable[Finding], out) -> None:
    """Print each finding on a line, its hint indented under it."""
    from rich.markup import escape

    for finding in findings:
        out.print(f"{escape(finding.where)}: [bold yellow]{finding.code}[/] {escape(finding.message)}")
        out.print(f"  hint: {escape(finding.hint)}")
