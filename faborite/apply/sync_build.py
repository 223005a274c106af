"""Building a sync node: stream one source table into its new version.

Outputs in the target database (``format: target``) become a physical table like any model; file outputs a new
version folder, written by :class:`~faborite.sync.sinks.FileSink` (parquet, csv, json) or by the sink plugin
registered for the format under the ``faborite.sinks`` entry points (delta). Incremental syncs copy only rows
past the stored cursor and merge them by key into the new version, so the published data and the cursor move
together, at publish and state write.
"""

from __future__ import annotations

import time
from pathlib import Path

from faborite.apply.context import ApplyContext, BuiltNode
from faborite.compiler.manifest import Node
from faborite.errors import ApplyError
from faborite.relation import Relation
from faborite.sync.spec import SyncSpec


def sync_spec(node: Node) -> SyncSpec:
    """The sync's spec, rebuilt from the node's data config (what the plan was made from)."""
    assert node.sync is not None
    config = {k: v for k, v in node.data_config.items() if k != "table"}
    return SyncSpec.model_validate({**config, "name": node.sync.sync, "from": node.sync.source})


def build_sync(ctx: ApplyContext, node: Node, connection) -> BuiltNode:
    """Copy the node's source table into its new physical relation or version folder."""
    from faborite.sync.executor import sync_table
    from faborite.plugins import load_sink_provider
    from faborite.sync.sinks import FILE_SINK_FORMATS, FileSink, TargetTableSink

    assert node.sync is not None and ctx.open_source is not None
    spec = sync_spec(node)
    old = ctx.state.nodes.get(node.id) if ctx.state else None
    # Merge only onto a copy made with the same config: a new mask, filter or sample
    # must re-copy everything, or old rows would keep what the new config removes.
    incremental = (spec.incremental is not None and old is not None
                   and old.extra.get("data_config") == node.data_config)
    cursor = old.extra.get("cursor") if incremental else None
    source = ctx.open_source(node.sync.source)
    try:
        table = source.describe(node.sync.table)
        if table.version != node.sync.source_version:
            ctx.result.warnings.append(f"{node.name}: the source moved from v{node.sync.source_version} to "
                                f"v{table.version} since the plan; copied v{table.version}")
        previous = old.physical if incremental and cursor is not None else None
        if node.sync.format == "target":
            sink = TargetTableSink(connection, ctx.physical_of(node),
                              previous=Relation.parse(previous) if previous else None)
        else:
            folder = Path(ctx.project_root) / ctx.physical_key(node)
            previous_folder = Path(ctx.project_root) / previous if previous else None
            if node.sync.format in FILE_SINK_FORMATS:
                sink = FileSink(folder, node.sync.format, compression=spec.to.compression,
                                partition_by=spec.to.partition_by, previous=previous_folder)
            else:  # a format written by a plugin (faborite.sinks entry points): delta, ...
                sink = load_sink_provider(node.sync.format).open(
                    folder, partition_by=spec.to.partition_by, compression=spec.to.compression,
                    previous=previous_folder)
        # A bar fills only when the rows to copy are known: a full copy of a table whose size the source knows.
        full = spec.sample.strategy == "full" and spec.where is None and not incremental
        ctx.emit("sync_start", node.id, f"{node.name} ({node.sync.source}.{node.sync.table})",
                 total=table.row_count if full else None)
        started = time.perf_counter()

        def progress(rows: int, size: int) -> None:
            ctx.emit("sync_progress", node.id, node.name, time.perf_counter() - started, rows=rows, bytes=size)

        result = sync_table(source, table, spec, sink, cursor_value=cursor, on_progress=progress)
    finally:
        source.close()
    extra = {"source_version": table.version, "rows_copied": result.rows, "bytes": result.bytes}
    if spec.incremental is not None:
        extra["cursor"] = result.new_cursor if result.new_cursor is not None else cursor
    if node.sync.format == "target":
        return BuiltNode(physical=ctx.physical_of(node), extra=extra)
    if not folder.exists():
        raise ApplyError(f"sync {node.name!r} wrote no output folder", file=node.file)
    return BuiltNode(physical=ctx.physical_of(node), row_count=None if incremental else result.rows, extra=extra)
