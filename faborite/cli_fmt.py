"""``faborite fmt`` and ``faborite lint``: thin commands over :mod:`faborite.api`.

The work is in :mod:`faborite.fmt` and :mod:`faborite.lint`.
"""

from __future__ import annotations

import sys

import click

from faborite.cli import _State, pass_state


@click.command(name="fmt")
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if a model needs formatting.")
@click.option("-v", "--verbose", is_flag=True, help="Also list unchanged and skipped files.")
@pass_state
def fmt_command(state: _State, check: bool, verbose: bool) -> None:
    """Rewrite model SQL and project YAML in canonical form (Jinja and comments kept)."""
    from rich.markup import escape

    from faborite.output import plural

    report = state.workspace().format(write=not check)
    out = state.out()
    verb = "would reformat" if check else "formatted"
    for outcome in report.with_status("formatted"):
        rebuild = " (fingerprint changes: the next apply rebuilds it)" if outcome.rebuilds else ""
        out.print(f"{verb} {escape(outcome.path)}{rebuild}")
    if check or verbose:
        for outcome in report.with_status("skipped"):
            out.print(f"[yellow]skipped[/] {escape(outcome.path)}: {escape(outcome.reason or '')}")
    if verbose:
        for outcome in report.with_status("unchanged"):
            out.print(f"unchanged {escape(outcome.path)}")
    counts = [plural(len(report.with_status(s)), "file") + f" {word}" for s, word in
              (("formatted", "would be reformatted" if check else "formatted"), ("unchanged", "unchanged"),
               ("skipped", "skipped")) if report.with_status(s)]
    out.print(", ".join(counts) or "no models")
    if check and report.needs_formatting:
        sys.exit(1)


@click.command(name="lint")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
def lint_command(state: _State, as_json: bool) -> None:
    """Report likely mistakes with file:line; exit 1 if there are any."""
    report = state.workspace().lint()
    if as_json:
        from faborite.output import print_json

        print_json({"findings": [f.model_dump() for f in report.findings], "disabled": list(report.disabled)})
    else:
        from faborite.output import plural
        from faborite.api import render_findings

        out = state.out()
        render_findings(report.findings, out)
        out.print(plural(len(report.findings), "finding") if report.findings else "[green]no findings[/]")
    if report.findings:
        sys.exit(1)
