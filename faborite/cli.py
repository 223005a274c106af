"""The ``faborite`` command: parse flags, call :mod:`faborite.api`, render. Nothing else.

Imports are lazy so ``faborite --help`` starts fast.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from faborite import __version__
from faborite.cli_rebuild import rebuild_options
from faborite.cli_selection import due_options, selection_options
from faborite.cli_env_option import env_option
from faborite.cli_lock_timeout import lock_timeout_option


class _State:
    """Options shared by every command (from the group)."""

    def __init__(self, project_dir: Path | None, target: str | None, debug: bool, no_color: bool,
                 vars_override: dict[str, Any]) -> None:
        self.project_dir = project_dir
        self.target = target
        self.debug = debug
        self.no_color = no_color
        self.vars_override = vars_override
        self.lock_timeout = 0.0  # seconds; set by --lock-timeout (faborite/cli_lock_timeout.py)
        self.env: str | None = None  # set by --env (faborite/cli_env_option.py)
        self.profile: str | None = None  # a dbt project's profiles.yml profile (--profile)

    def workspace(self):
        from faborite.api import Workspace

        return Workspace.open(self.project_dir, self.target, self.vars_override, on_warning=self.warn,
                              lock_timeout=self.lock_timeout, env=self.env, profile=self.profile)

    def warn(self, message: str) -> None:
        """Print a warning the API raised while it worked (e.g. an unreachable webhook) to stderr."""
        from rich.markup import escape

        self.out(stderr=True).print(f"[yellow]warning:[/] {escape(message)}")

    def out(self, stderr: bool = False):
        from faborite.output import console

        return console(stderr=stderr, no_color=self.no_color)


def _parse_vars(ctx, param, value: str | None) -> dict[str, Any]:
    if not value:
        return {}
    import yaml

    try:
        data = yaml.safe_load(value)
    except yaml.YAMLError:
        data = None
    if not isinstance(data, dict):
        raise click.BadParameter("expected a YAML mapping, e.g. --vars '{start_date: 2024-01-01}'")
    return data


_DEBUG_HELP = "Show tracebacks for errors."
_NO_COLOR_HELP = "No colors or styles (also when NO_COLOR is set)."


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="faborite")
@click.option("--project-dir", type=click.Path(file_okay=False, path_type=Path), help="Project directory (default: search upward from here).")
@click.option("--target", "-t", help="Target from faborite.yml (default: its 'target:').")
@click.option("--vars", "vars_override", callback=_parse_vars, help="Override project vars (YAML mapping).")
@click.option("--debug", is_flag=True, help=_DEBUG_HELP)
@click.option("--no-color", is_flag=True, help=_NO_COLOR_HELP)
@click.pass_context
def cli(ctx: click.Context, project_dir, target, vars_override, debug, no_color) -> None:
    """faborite: compile, plan and apply data projects, with versioning and instant rollback."""
    ctx.obj = _State(project_dir, target, debug, no_color, vars_override)


_pass_group_state = click.make_pass_decorator(_State)


def pass_output_state(command):
    """Pass the shared options, also accepting --debug/--no-color after the subcommand.

    For commands that need no project (init, schema): they take no --target,
    --project-dir or --vars, so their help does not list them.
    """
    import functools

    @click.option("--debug", "debug_here", is_flag=True, help=_DEBUG_HELP)
    @click.option("--no-color", "no_color_here", is_flag=True, help=_NO_COLOR_HELP)
    @_pass_group_state
    @functools.wraps(command)
    def wrapper(state: _State, *args, debug_here: bool = False, no_color_here: bool = False, **kwargs):
        # main() reads --debug/--no-color from argv too, to render errors raised after parsing.
        state.debug = state.debug or debug_here
        state.no_color = state.no_color or no_color_here
        return command(state, *args, **kwargs)

    return wrapper


def pass_state(command):
    """Pass the shared options, also accepting all of them (--target, --project-dir, --vars,
    --debug, --no-color) after the subcommand."""
    import functools

    @click.option("--target", "-t", "target_here", help="Target from faborite.yml (default: its 'target:').")
    @click.option("--project-dir", "project_dir_here", type=click.Path(file_okay=False, path_type=Path),
                  help="Project directory (default: search upward from here).")
    @click.option("--vars", "vars_here", callback=_parse_vars, help="Override project vars (YAML mapping).")
    @click.option("--profile", help="dbt project read in place: the profiles.yml profile (default: its 'profile:').")
    @pass_output_state
    @functools.wraps(command)
    def wrapper(state: _State, *args, target_here=None, project_dir_here=None, vars_here=None, profile=None, **kwargs):
        state.profile = profile or state.profile
        state.target = target_here or state.target
        state.project_dir = project_dir_here or state.project_dir
        state.vars_override = {**state.vars_override, **(vars_here or {})}
        return command(state, *args, **kwargs)

    return wrapper


def _confirm(state: _State, question: str, auto_approve: bool) -> None:
    """Ask on a terminal; refuse without one unless --auto-approve."""
    from faborite.errors import FaboriteError

    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise FaboriteError("refusing to change data without confirmation: no terminal to ask on",
                            hint="review the plan, then pass --auto-approve")
    answer = click.prompt(f"{question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value",
                          default="", show_default=False)
    if answer.strip().lower() != "yes":
        raise FaboriteError("cancelled: nothing was changed")


# -- project ---------------------------------------------------------------------


@cli.command()
@click.argument("name", type=click.Path(path_type=Path))
@pass_output_state
def init(state: _State, name: Path) -> None:
    """Create a new project NAME from the template (runs on DuckDB with no setup)."""
    from faborite.api import init_project

    path = init_project(name)
    state.out().print(f"[green]Created project[/] {path}\n  next: cd {path} && faborite plan")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@selection_options
@pass_state
def validate(state: _State, as_json: bool, selection) -> None:
    """Load and compile the project; print errors or 'ok: N nodes' (with -s, also the nodes selected)."""
    from faborite.errors import FaboriteError

    ws = state.workspace()
    try:
        manifest = ws.compile()
    except FaboriteError:
        if not as_json and "project" in vars(ws):  # loaded: its notes (skipped tests ...) help fix the errors
            _print_warnings(state, ws)
        raise
    kinds = ("model", "seed", "source", "sync")
    counts = {kind: sum(1 for n in manifest.nodes.values() if n.kind == kind) for kind in kinds}
    selected = None if selection.is_everything else ws.select(manifest, selection)
    if as_json:
        from faborite.output import print_json

        print_json({"ok": True, "nodes": len(manifest.nodes), "counts": counts, "warnings": list(ws.project.warnings),
                    **({"selected": [n.id for n in selected]} if selected is not None else {})})
        return
    from faborite.output import plural

    out = state.out()
    _print_warnings(state, ws)
    detail = ", ".join(plural(n, kind) for kind, n in counts.items() if n)
    out.print(f"[green]ok:[/] {plural(len(manifest.nodes), 'node')} ({detail})")
    if selected is not None:
        out.print(f"selected ({selection.label}): {plural(len(selected), 'node')}: "
                  + ", ".join(n.name for n in selected))


@cli.command(name="compile")
@click.argument("node", required=False)
@selection_options
@pass_state
def compile_(state: _State, node: str | None, selection) -> None:
    """Compile and write .faborite/manifest.json; with NODE (or -s), print the rendered SQL."""
    from faborite.api import find_node
    from faborite.output import plural

    ws = state.workspace()
    manifest = ws.compile()
    if node is None and not selection.is_everything:
        for found in ws.select(manifest, selection):
            if found.sql:
                click.echo(f"-- {found.kind} {found.name}\n{found.sql}\n")
        return
    if node is None:
        state.out().print(f"[green]compiled[/] {plural(len(manifest.nodes), 'node')} -> .faborite/manifest.json")
        return
    found = manifest.analyses.get(node) or find_node(manifest, node)  # a dbt analysis: compiled, never built
    click.echo(found if isinstance(found, str) else found.sql or f"-- {found.kind} {found.name}: no SQL")


@cli.command()
@click.argument("kind", type=click.Choice(["project", "properties", "plan"]), default="project", metavar="[KIND]")
@pass_output_state
def schema(state: _State, kind: str) -> None:
    """Print a JSON Schema: for editors, of faborite.yml (KIND project, the
    default) or of properties files (KIND properties: models/**/*.yml,
    seeds/*.yml, sources/*.yml); for tools, of `plan --json` output (KIND
    plan)."""
    from faborite.api import project_json_schema
    from faborite.output import print_json

    print_json(project_json_schema(kind))


# -- plan and apply ----------------------------------------------------------------


@cli.command()
@click.option("-out", "--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan to FILE for `faborite apply FILE`.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 if no changes, 2 if there are changes, 1 on error.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option("--markdown", is_flag=True, help="Print the plan as Markdown (for a PR comment).")
@click.option("--no-diff", is_flag=True, help="Do not print SQL diffs.")
@click.option("--refresh", type=click.BOOL, default=True, show_default=True, metavar="true|false",
              help="Look at the target (drift, interrupted applies) and read sync sources' current versions. "
                   "--refresh=false plans offline against the recorded state and the last read of the sources.")
@click.option("--no-refresh", is_flag=True, help="Same as --refresh=false.")
@click.option("--state", "state_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Plan against this state file (from `faborite state pull`) instead of the target's state: "
                   "no connection, no credentials (implies --refresh=false).")
@selection_options
@rebuild_options
@due_options
@pass_state
@env_option
def plan(state: _State, out_file: Path | None, detailed_exitcode: bool, as_json: bool, markdown: bool, no_diff: bool,
         refresh: bool, no_refresh: bool, state_file: Path | None, selection, rebuild, due: bool, clock) -> None:
    """Show what apply would change, and why, including changes made outside faborite."""
    ws = state.workspace()
    # Plain text of the whole project: a remembered no-change plan may answer (api_no_change.py).
    plain = not (out_file or as_json or markdown or due or state_file or rebuild) and selection.is_everything
    known = ws.known_no_change(refresh=refresh and not no_refresh) if plain else None
    if known is not None:
        from faborite.api import render_known_no_change

        _print_warnings(state, ws, known.warnings)
        return render_known_no_change(known, state.out())
    the_plan = ws.plan(refresh=refresh and not no_refresh, state_file=state_file, record_inputs=out_file is not None,
                       selection=selection, rebuild=rebuild, due=due, clock=clock)
    _print_warnings(state, ws)
    _show_plan(state, the_plan, as_json=as_json, markdown=markdown, no_diff=no_diff)
    if out_file:
        from faborite.api import save_plan

        save_plan(the_plan, out_file)
        if not as_json:
            state.out().print(f"\nSaved the plan to [bold]{out_file}[/]. To apply exactly it: faborite apply {out_file}")
    if detailed_exitcode and the_plan.has_changes:
        sys.exit(2)


def _print_warnings(state: _State, ws, warnings=None) -> None:
    err = state.out(stderr=True)
    for warning in ws.project.warnings if warnings is None else warnings:
        err.print(f"[yellow]warning:[/] {warning}")


def _show_plan(state: _State, the_plan, *, as_json: bool = False, markdown: bool = False, no_diff: bool = False) -> None:
    if as_json:
        from faborite.api import plan_to_json
        from faborite.output import print_json

        print_json(plan_to_json(the_plan))
    elif markdown:
        from faborite.api import plan_to_markdown

        click.echo(plan_to_markdown(the_plan))
    else:
        from faborite.api import render_plan

        render_plan(the_plan, state.out(), show_diff=not no_diff)


@cli.command()
@click.argument("names", nargs=-1)
@click.option("--auto-approve", is_flag=True, help="Skip the confirmation question.")
@click.option("--threads", type=click.IntRange(1, 64), help="Copy up to N tables at once.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first table that fails.")
@pass_state
@lock_timeout_option
@env_option
def sync(state: _State, names: tuple[str, ...], auto_approve: bool, threads: int | None, fail_fast: bool) -> None:
    """Plan and apply only syncs (NAMES, or all): copy their tables now.

    Models that read the synced tables are not rebuilt; the next `faborite
    plan` shows them.
    """
    ws = state.workspace()
    the_plan = ws.plan_sync(list(names))
    _show_plan(state, the_plan)
    if not the_plan.has_changes:
        return
    state.out().print()
    _confirm(state, "Do you want to copy these tables?", auto_approve)
    # A sync copies what its source holds now: a column its owner dropped is not this project's change.
    _run_apply(state, ws, the_plan, threads, fail_fast, operation="sync", allow_destructive=True)


@cli.group(name="sources")
def sources_group() -> None:
    """Look at the sources syncs read from."""


@sources_group.command(name="list")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
def sources_list(state: _State, name: str, as_json: bool) -> None:
    """The tables of source NAME: versions and row counts."""
    tables = state.workspace().list_source_tables(name)
    if as_json:
        from faborite.output import print_json

        print_json([t.model_dump() for t in tables])
        return
    from faborite.output import render_source_tables

    render_source_tables(tables, state.out())


@cli.command()
@click.argument("plan_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--auto-approve", is_flag=True, help="Skip the confirmation question.")
@click.option("--threads", type=click.IntRange(1, 64), help="Build up to N nodes at once.")
@click.option("--explain", is_flag=True, help="List the apply stages and exit.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first sync table that fails (models always stop).")
@click.option("--allow-destructive", is_flag=True, help="Publish even if relations or published columns go away.")
@selection_options
@rebuild_options
@due_options
@pass_state
@lock_timeout_option
@env_option
def apply(state: _State, plan_file: Path | None, auto_approve: bool, threads: int | None, explain: bool,
          fail_fast: bool, allow_destructive: bool, selection, rebuild, due: bool, clock) -> None:
    """Build, check and publish the plan (or the saved PLAN_FILE)."""
    out = state.out()
    if explain:
        from faborite.api import apply_stages

        for number, (name, description) in enumerate(apply_stages(), 1):
            out.print(f"{number}. [bold]{name}[/]: {description}")
        return
    ws = state.workspace()
    if plan_file is not None:
        from faborite.api import load_plan

        if not selection.is_everything or rebuild is not None or due or clock is not None:
            from faborite.errors import PlanError

            raise PlanError("-s/--exclude/--full-refresh/--allow-rebuild/--due/--now cannot be used with a saved plan",
                            hint="a saved plan applies exactly what was reviewed; select when making it: plan -s ... -out FILE")
        # A saved plan was reviewed when it was made (Terraform's rule): apply without asking.
        the_plan = load_plan(plan_file)
        ws.check_saved_plan(the_plan)
        _show_plan(state, the_plan, no_diff=True)
    else:
        the_plan = ws.plan(selection=selection, rebuild=rebuild, due=due, clock=clock)
        _print_warnings(state, ws)
        _show_plan(state, the_plan)
        if not the_plan.has_changes:
            return
        from faborite.api import refuse_destructive

        refuse_destructive(the_plan, allow_destructive)  # before asking: the answer would not matter
        out.print()
        _confirm(state, "Do you want to perform these actions?", auto_approve)
    _run_apply(state, ws, the_plan, threads, fail_fast, allow_destructive=allow_destructive)


def _run_apply(state: _State, ws, the_plan, threads: int | None, fail_fast: bool = False,
               operation: str = "apply", allow_destructive: bool = False) -> None:
    """Apply with live progress, then the summary line and any warnings; exit 1 if a table failed."""
    if not the_plan.has_changes:
        return
    from faborite.progress import ApplyProgress

    out = state.out()
    started = time.perf_counter()
    with ApplyProgress(out) as progress:
        result = ws.apply(the_plan, threads=threads, on_event=progress, fail_fast=fail_fast, operation=operation,
                          allow_destructive=allow_destructive)
    summary = the_plan.summary()
    out.print(f"\n[bold green]Apply complete![/] {summary['create']} created, {summary['replace']} replaced, "
              f"{summary['update']} updated, {summary['delete']} deleted in {time.perf_counter() - started:.2f}s "
              f"(state serial {result.new_state.serial if result.new_state else '?'}).")
    for warning in result.warnings:
        out.print(f"[yellow]warning:[/] {warning}")
    if result.failed:
        from rich.markup import escape

        err = state.out(stderr=True)
        for node_id, message in result.failed.items():
            err.print(f"[bold red]error:[/] {escape(node_id)}: {escape(message)}")
        if result.skipped:
            err.print(f"  skipped (they read a failed table): {', '.join(sorted(result.skipped))}")
        err.print(f"{len(result.failed)} table(s) failed; everything else was published. "
                  "Fix the cause and run again (--fail-fast stops at the first failure).")
        sys.exit(1)


@cli.command()
@click.argument("plan_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option("--markdown", is_flag=True, help="Print the plan as Markdown.")
@pass_state
def show(state: _State, plan_file: Path, as_json: bool, markdown: bool) -> None:
    """Show a saved plan file."""
    from faborite.api import load_plan

    _show_plan(state, load_plan(plan_file), as_json=as_json, markdown=markdown)


# Other commands live in their own modules (they need cli's helpers defined above); registered here.
from faborite.cli_fmt import fmt_command, lint_command  # noqa: E402
from faborite.cli_import import import_group  # noqa: E402
from faborite.cli_inspect import debug_command, query  # noqa: E402
from faborite.cli_state import state_group  # noqa: E402
from faborite.cli_versions import force_unlock, gc, rollback  # noqa: E402
from faborite.cli_env import env_group  # noqa: E402

for _command in (state_group, fmt_command, lint_command, rollback, gc, force_unlock, query, debug_command, env_group,
                 import_group):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI; user errors print one block and exit 1 (tracebacks with --debug).

    Usage errors (unknown option, bad argument) also exit 1, Terraform style, so
    ``plan --detailed-exitcode``'s 2 only ever means "there are changes".
    """
    from faborite.errors import FaboriteError

    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    # A command builds tens of thousands of acyclic objects (state, manifest) and exits: the
    # collector's default 700-object passes cost it ~25% CPU at 10,000 nodes for nothing.
    import gc as collector  # (`gc` here is the command)

    collector.set_threshold(100_000, 20, 20)
    try:
        try:
            cli.main(args=args, prog_name="faborite", standalone_mode=False)
        except OSError as error:  # a file system limit no check foresaw: still one error, no traceback
            if debug:
                raise
            raise FaboriteError(f"{error.strerror or type(error).__name__}: {error.filename or ''}".rstrip(": "),
                                hint="run the command with --debug for the traceback") from None
    except FaboriteError as error:
        if debug:
            raise
        from faborite.output import console, print_error, print_json

        if "--json" in args:
            print_json({"error": error.to_dict()})
        print_error(error, console(stderr=True, no_color="--no-color" in args))
        sys.exit(1)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.UsageError as error:
        error.show()
        sys.exit(1)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Exit as exit_:
        sys.exit(exit_.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)


def console_main() -> None:
    """The ``faborite`` command and ``python -m faborite``: :func:`main`, then the process leaves
    without the interpreter's teardown (:mod:`faborite.cli_exit`). Code that calls faborite from
    Python calls :func:`main`, which returns or raises ``SystemExit`` as usual."""
    from faborite.api import allow_warm_parser
    from faborite.cli_exit import exit_now

    allow_warm_parser()  # a process of its own: a plan may parse SQL on another core
    try:
        main()
    except SystemExit as exit_:
        exit_now(exit_.code)
    exit_now(0)


if __name__ == "__main__":
    console_main()
