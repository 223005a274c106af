"""Stage 2, audit: run every changed node's checks against the versions about to be published.

Checks read the *physical* relations of the target state, so a failure is
found before anything users query has changed.
"""

from __future__ import annotations

from faborite.apply.context import ApplyContext
from faborite.apply.scheduler import run_dag
from faborite.compiler.sql import to_target_sql
from faborite.errors import ApplyError, FaboriteError
from faborite.plan.model import Action


def audit(ctx: ApplyContext) -> None:
    """Run checks on created, replaced and metadata-updated nodes; raise on any error-severity failure."""
    nodes = [n for n in ctx.manifest.built_nodes()
             if n.checks and ctx.action_of(n.id) in (Action.CREATE, Action.REPLACE, Action.UPDATE)]
    if not nodes:
        return
    relation_map = ctx.relation_map()
    dialect = ctx.connection.dialect
    jobs = [(node, check) for node in nodes for check in node.checks]
    keys = [f"{node.id}:{i}" for i, (node, _) in enumerate(jobs)]
    by_key = dict(zip(keys, jobs))

    def work(key: str) -> tuple[int, str | None]:
        node, check = by_key[key]
        connection = ctx.connection.cursor() if ctx.threads > 1 else ctx.connection
        try:
            sql = to_target_sql(check.sql, read=ctx.manifest.sql_dialect, write=dialect.sqlglot_dialect,
                                relation_map=relation_map)
            failing = int(connection.fetch_scalar(dialect.count_rows_sql(sql)) or 0)
        except FaboriteError as exc:
            return -1, exc.message
        finally:
            if connection is not ctx.connection:
                connection.close()
        return failing, None

    results = run_dag(keys, {}, work, threads=ctx.threads)
    failures = []
    first_failed = None
    for key in keys:
        node, check = by_key[key]
        failing, error = results[key]
        label = f"{node.name}: {check.name}"
        if error is not None:
            failures.append(f"{label} could not run: {error}")
            first_failed = first_failed or check.file or node.file
            ctx.emit("check", node.id, f"{label} errored", None)
        elif failing:
            message = f"{label} failed ({failing} failing row{'s' if failing != 1 else ''})"
            if check.severity == "warn":
                ctx.result.warnings.append(message)
                ctx.emit("warning", node.id, message)
            else:
                failures.append(message)
                first_failed = first_failed or check.file or node.file
                ctx.emit("check", node.id, message)
        else:
            ctx.emit("check", node.id, f"{label} passed")
    if failures:
        raise ApplyError(
            "checks failed; nothing was published:\n    " + "\n    ".join(failures),
            file=first_failed,
            hint="the new versions are kept for inspection; fix the data or the check and apply again",
        )
