"""Stage 1, build: every new version into its own physical relation, parents first.

Nothing here touches what users query. A physical table that already exists
is that exact version, complete (CREATE TABLE AS is atomic), so it is reused:
reverting an edit, or re-running after a failed apply, costs nothing.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from faborite.apply.context import ApplyContext, BuiltNode, writes_files
from faborite.apply.sync_build import build_sync
from faborite.apply.scheduler import run_dag
from faborite.apply.seeds import load_seed
from faborite.compiler.manifest import Node
from faborite.compiler.sql import to_target_sql
from faborite.crashpoints import crash_point
from faborite.errors import ApplyError, FaboriteError
from faborite.relation import Relation


def build(ctx: ApplyContext) -> None:
    """Build the plan's rebuilt nodes; on failure raise ApplyError naming the node."""
    nodes = ctx.rebuilt()
    if not nodes:
        return
    connection = ctx.connection
    dialect = connection.dialect
    schemas = sorted({ctx.physical_of(n).schema_name for n in nodes if not writes_files(n)})
    for schema in schemas:
        connection.execute(dialect.create_schema(schema))
    existing = connection.list_relations(schemas)
    relation_map = ctx.relation_map()
    local = threading.local()
    cursors = []

    def conn():
        # DuckDB connections are not shared across threads: each worker gets its own cursor.
        if ctx.threads <= 1:
            return connection
        if not hasattr(local, "cursor"):
            local.cursor = connection.cursor()
            cursors.append(local.cursor)
        return local.cursor

    def work(node_id: str) -> BuiltNode | None:
        node = ctx.manifest.nodes[node_id]
        if any(p in ctx.failed or p in ctx.skipped for p in node.parents):
            ctx.skipped.add(node.id)
            ctx.emit("warning", node.id, f"{node.name}: skipped, it reads a table that failed to sync")
            return None
        physical = ctx.physical_of(node)
        started = time.perf_counter()
        try:
            if _already_built(ctx, node, physical, existing):
                result = BuiltNode(physical=physical, reused=True)
                ctx.emit("node_reused", node.id, f"{node.name}: version {node.version[:12]} already built")
            elif node.kind == "sync":
                ctx.emit("node_start", node.id, node.name)
                result = build_sync(ctx, node, conn())
            else:
                ctx.emit("node_start", node.id, node.name)
                _build_one(conn(), node, physical, relation_map, ctx)
                result = BuiltNode(physical=physical)
            if not writes_files(node):
                _describe(conn(), node, result)
        except FaboriteError as exc:
            if node.kind == "sync" and not ctx.fail_fast:
                # One table failing does not stop the others (the original tool's rule).
                ctx.failed[node.id] = exc.message + (f" (hint: {exc.hint})" if exc.hint else "")
                ctx.emit("warning", node.id, f"{node.name}: sync failed: {exc.message}")
                return None
            hint = "nothing was published; " + (exc.hint or f"fix the {node.kind} and apply again")
            raise ApplyError(f"building {node.kind} {node.name!r} failed: {exc.message}",
                             file=exc.file or node.file, line=exc.line, hint=hint) from None
        crash_point(f"build:{node.kind}")
        ctx.emit("node_done", node.id, node.name, time.perf_counter() - started)
        return result

    order = [n.id for n in nodes]
    parents = {n.id: set(n.parents) for n in nodes}
    try:
        results = run_dag(order, parents, work, threads=ctx.threads)
    finally:
        for cursor in cursors:
            cursor.close()
    ctx.built.update({node_id: built for node_id, built in results.items() if built is not None})
    if ctx.failed or ctx.skipped:
        ctx.defer(set(ctx.failed) | ctx.skipped)


def _already_built(ctx: ApplyContext, node: Node, physical: Relation, existing: set[Relation]) -> bool:
    """A version that exists is complete (its write was atomic), so it can be reused."""
    if writes_files(node):
        return (Path(ctx.project_root) / ctx.physical_key(node)).exists()
    return physical in existing and node.materialized != "view"


def _build_one(connection, node: Node, physical: Relation, relation_map: dict[str, Relation], ctx: ApplyContext) -> None:
    dialect = connection.dialect
    if node.kind == "seed":
        load_seed(connection, node, physical, ctx.project_root)
        return
    sql = to_target_sql(node.sql or "", read=ctx.manifest.sql_dialect, write=dialect.sqlglot_dialect,
                        relation_map=relation_map)
    if node.materialized == "view":
        for statement in dialect.create_or_replace_view(physical, sql):
            connection.execute(statement)
    else:
        connection.execute(dialect.create_table_as(physical, sql))


def _describe(connection, node: Node, result: BuiltNode) -> None:
    result.columns = tuple(connection.columns(result.physical))
    if node.materialized != "view":
        count = connection.fetch_scalar(f"SELECT COUNT(*) FROM {connection.dialect.quote_relation(result.physical)}")
        result.row_count = int(count) if count is not None else None
