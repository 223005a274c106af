"""How each kind of node is built, described and published: one registry, no ``if kind ==`` chains.

A node's *handler* is found by :func:`handler_for` from its kind and
materialization (``model:table``, ``model:view``, ``seed``, ``sync:target``,
``sync:files``). The stages ask the handler, never the node's kind: a new
materialization (incremental, snapshot, ephemeral) is one more handler here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from faborite.errors import ApplyError

if TYPE_CHECKING:
    from faborite.apply.context import ApplyContext, BuiltNode
    from faborite.compiler.manifest import Node
    from faborite.relation import Relation
    from faborite.target import TargetConnection

#: Sync output formats written as files in a version folder (anything else is a table in the target).
FILE_FORMATS = frozenset({"parquet", "csv", "json", "delta"})


class NodeHandler(Protocol):
    """What apply does for one kind of node."""

    #: ``relation``: a physical relation in the target, published by a view;
    #: ``files``: a version folder in the project, published by a symlink.
    output: Literal["relation", "files"]
    #: A failure defers the node (and what reads it) instead of stopping the apply.
    isolates_failures: bool

    def already_built(self, ctx: "ApplyContext", node: "Node", existing: "set[Relation]") -> bool:
        """Whether this version exists complete and can be reused as it is."""

    def build(self, ctx: "ApplyContext", node: "Node", connection: "TargetConnection") -> "BuiltNode":
        """Build the node's new version (atomically: complete or absent)."""

    def describe(self, connection: "TargetConnection", node: "Node", built: "BuiltNode") -> None:
        """Fill in what state records of the built version (columns, row count)."""


@dataclass(frozen=True)
class _RelationHandler:
    """Shared by nodes that build a relation: reuse an existing version, describe columns and rows."""

    output: Literal["relation", "files"] = "relation"
    isolates_failures: bool = False
    #: Count rows after building (a view's count would run its whole query: not cheap).
    counts_rows: bool = True

    def already_built(self, ctx, node, existing) -> bool:
        # CREATE TABLE AS is atomic, so an existing physical table is that version, complete.
        return self.counts_rows and ctx.physical_of(node) in existing

    def describe(self, connection, node, built) -> None:
        built.columns = tuple(connection.columns(built.physical))
        if self.counts_rows and built.row_count is None and connection.dialect.count_rows_by_scan:
            quoted = connection.dialect.quote_relation(built.physical)
            count = connection.fetch_scalar(f"SELECT COUNT(*) FROM {quoted}")
            built.row_count = int(count) if count is not None else None


@dataclass(frozen=True)
class TableModel(_RelationHandler):
    """``materialized: table``: CREATE TABLE AS the model's query, translated for the target."""

    def build(self, ctx, node, connection):
        from faborite.apply.context import BuiltNode

        physical = ctx.physical_of(node)
        # The engine may say how many rows it wrote: then describe() need not scan the table.
        written = connection.execute(connection.dialect.create_table_as(physical, ctx.target_sql(node)))
        return BuiltNode(physical=physical, row_count=written)


@dataclass(frozen=True)
class IncrementalModel(_RelationHandler):
    """``materialized: incremental``: the previous version plus the new rows, or a full build
    when the plan says so (see :mod:`faborite.apply.incremental_build`)."""

    def build(self, ctx, node, connection):
        from faborite.apply.incremental_build import build_incremental

        return build_incremental(ctx, node, connection)

    def describe(self, connection, node, built) -> None:
        from faborite.apply.incremental_build import describe_incremental

        super().describe(connection, node, built)
        describe_incremental(connection, node, built)


@dataclass(frozen=True)
class SnapshotModel(_RelationHandler):
    """``materialized: snapshot``: dbt's SCD2 history, the previous version's rows closed or kept
    and new versions added (see :mod:`faborite.apply.snapshot_build`)."""

    def build(self, ctx, node, connection):
        from faborite.apply.snapshot_build import build_snapshot

        return build_snapshot(ctx, node, connection)


@dataclass(frozen=True)
class ViewModel(_RelationHandler):
    """``materialized: view``: a physical view over the other physical versions."""

    counts_rows: bool = False

    def build(self, ctx, node, connection):
        from faborite.apply.context import BuiltNode

        physical = ctx.physical_of(node)
        # One version's view has fixed columns: replaced in place, views built on it survive.
        statements = connection.dialect.replace_view_in_place(physical, ctx.target_sql(node))
        for statement in statements:
            connection.execute(statement)
        return BuiltNode(physical=physical)


@dataclass(frozen=True)
class Seed(_RelationHandler):
    """A CSV loaded into a table through Arrow."""

    def build(self, ctx, node, connection):
        from faborite.apply.context import BuiltNode
        from faborite.apply.seeds import load_seed

        physical = ctx.physical_of(node)
        rows = load_seed(connection, node, physical, ctx.project_root, project_dialect=ctx.manifest.sql_dialect)
        return BuiltNode(physical=physical, row_count=rows)


@dataclass(frozen=True)
class SyncToTarget(_RelationHandler):
    """A source table copied into a table of the target."""

    isolates_failures: bool = True

    def build(self, ctx, node, connection):
        from faborite.apply.sync_build import build_sync

        return build_sync(ctx, node, connection)


@dataclass(frozen=True)
class SyncToFiles:
    """A source table copied into a version folder of files (parquet, csv, json, delta)."""

    output: Literal["relation", "files"] = "files"
    isolates_failures: bool = True

    def already_built(self, ctx, node, existing) -> bool:
        return (Path(ctx.project_root) / ctx.physical_key(node)).exists()

    def build(self, ctx, node, connection):
        from faborite.apply.sync_build import build_sync

        return build_sync(ctx, node, connection)

    def describe(self, connection, node, built) -> None:
        """Files are not in the target: the copy's row count is all there is to record."""


#: Every handler by key; see :func:`handler_key`.
HANDLERS: dict[str, NodeHandler] = {
    "model:table": TableModel(),
    "model:view": ViewModel(),
    "model:incremental": IncrementalModel(),
    "model:snapshot": SnapshotModel(),
    "seed": Seed(),
    "sync:target": SyncToTarget(),
    "sync:files": SyncToFiles(),
}


def handler_key(node: "Node") -> str:
    """``kind`` or ``kind:materialization``: how a node is looked up in :data:`HANDLERS`."""
    if node.sync is not None:
        return "sync:files" if node.sync.format in FILE_FORMATS else "sync:target"
    if node.kind == "model":
        return f"model:{node.materialized}"
    return node.kind


def handler_for(node: "Node") -> NodeHandler:
    """The handler that builds ``node``; an error naming the node when none exists."""
    key = handler_key(node)
    handler = HANDLERS.get(key)
    if handler is None:
        raise ApplyError(f"{node.kind} {node.name!r}: faborite cannot build {key!r} nodes yet",
                         file=node.file, hint=f"supported: {', '.join(sorted(HANDLERS))}")
    return handler
