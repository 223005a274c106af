"""Stage 1, build: every new version into its own physical relation, parents first.

Nothing here touches what users query. A physical table that already exists
is that exact version, complete (CREATE TABLE AS is atomic), so it is reused:
reverting an edit, or re-running after a failed apply, costs nothing.
"""

from __future__ import annotations

import threading
import time

from faborite.apply.context import ApplyContext, BuiltNode
from faborite.apply.node_handlers import handler_for
from faborite.apply.scheduler import run_dag
from faborite.crashpoints import crash_point
from faborite.errors import ApplyError, FaboriteError


def build(ctx: ApplyContext) -> None:
    """Build the plan's rebuilt nodes; on failure raise ApplyError naming the node."""
    nodes = ctx.rebuilt()
    if not nodes:
        return
    connection = ctx.connection
    dialect = connection.dialect
    handlers = {n.id: handler_for(n) for n in nodes}
    schemas = sorted({ctx.physical_of(n).schema_name for n in nodes if handlers[n.id].output == "relation"})
    for schema in schemas:
        connection.execute(dialect.create_schema(schema))
    existing = connection.list_relations(schemas)
    result = ctx.result
    local = threading.local()
    cursors = []

    def conn():
        # Connections are not shared across threads: each worker gets its own cursor.
        if ctx.threads <= 1:
            return connection
        if not hasattr(local, "cursor"):
            local.cursor = connection.cursor()
            cursors.append(local.cursor)
        return local.cursor

    def work(node_id: str) -> BuiltNode | None:
        node, handler = ctx.manifest.nodes[node_id], handlers[node_id]
        if any(p in result.failed or p in result.skipped for p in node.parents):
            result.skipped.add(node.id)
            ctx.emit("warning", node.id, f"{node.name}: skipped, it reads a table that failed to sync")
            return None
        started = time.perf_counter()
        try:
            if handler.already_built(ctx, node, existing):
                built = BuiltNode(physical=ctx.physical_of(node), reused=True)
                ctx.emit("node_reused", node.id, f"{node.name}: version {node.version[:12]} already built")
            else:
                ctx.emit("node_start", node.id, node.name)
                built = handler.build(ctx, node, conn())
            handler.describe(conn(), node, built)
        except FaboriteError as exc:
            if handler.isolates_failures and not ctx.fail_fast:
                # One table failing does not stop the others (the original tool's rule).
                result.failed[node.id] = exc.message + (f" (hint: {exc.hint})" if exc.hint else "")
                ctx.emit("warning", node.id, f"{node.name}: sync failed: {exc.message}")
                return None
            hint = "nothing was published; " + (exc.hint or f"fix the {node.kind} and apply again")
            raise ApplyError(f"building {node.kind} {node.name!r} failed: {exc.message}",
                             file=exc.file or node.file, line=exc.line, hint=hint) from None
        crash_point(f"build:{node.kind}")
        ctx.emit("node_done", node.id, node.name, time.perf_counter() - started)
        return built

    order = [n.id for n in nodes]
    parents = {n.id: set(n.parents) for n in nodes}
    try:
        results = run_dag(order, parents, work, threads=ctx.threads)
    finally:
        for cursor in cursors:
            cursor.close()
    result.built.update({node_id: built for node_id, built in results.items() if built is not None})
    if result.failed or result.skipped:
        ctx.defer(set(result.failed) | result.skipped)
