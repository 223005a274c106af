"""``materialized: incremental``: a new version built from the previous one plus the new rows.

The promise: the published version is never modified. An incremental run
creates the node's *new* physical relation in one ``CREATE TABLE AS`` from
the previous version's rows that stay and the rows the model's incremental
branch selects (:meth:`Dialect.create_table_from_previous`, the same
copy-on-write merge incremental syncs use), so a failure leaves nothing and
rollback re-publishes the previous version exactly as it was.

Strategies (dbt's), given the previous version ``o`` and the new rows ``n``:

- ``append``: every row of ``o``, then ``n``;
- ``delete+insert``: the rows of ``o`` whose ``unique_key`` is not in ``n``, then ``n``;
- ``merge``: the same result, but ``n`` may hold each key once (a duplicate is an error,
  as an engine's ``MERGE`` refuses it);
- ``microbatch``: the rows of ``o`` before the first batch rebuilt, then the model's rows
  from that batch on (``lookback`` batches before the batch of the recorded high-water mark).

Whether a run is incremental is the plan's decision (``Change.incremental_from``):
there is a previous version, the model's SQL and config did not change, and no
``--full-refresh`` names it. Otherwise the model is built whole, like a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from faborite.crashpoints import crash_point
from faborite.errors import ApplyError
from faborite.relation import Relation

if TYPE_CHECKING:
    from faborite.apply.context import ApplyContext, BuiltNode
    from faborite.apply.row_store import RowStore
    from faborite.apply.schema_change import Layout
    from faborite.target import Column
    from faborite.compiler.manifest import Node
    from faborite.target import TargetConnection

_BATCH = {"day": timedelta(days=1), "hour": timedelta(hours=1)}


def build_incremental(ctx: "ApplyContext", node: "Node", connection: "TargetConnection") -> "BuiltNode":
    """Build ``node``'s new version: incrementally from the plan's previous version, else whole.

    Where the dialect has ``row_versioned_incremental``, versions share one store
    (:mod:`faborite.apply.row_store`), all in one transaction; elsewhere each version is a
    copy-on-write table.
    """
    if connection.dialect.row_versioned_incremental:
        with connection.transaction():
            built = _build_in_store(ctx, node, connection)
            # Killed here the transaction never commits: the next run finds nothing of it.
            crash_point("build:incremental")
        return built
    return _build_copy(ctx, node, connection)


def _previous(ctx: "ApplyContext", node: "Node") -> Relation | None:
    change = ctx.changes_by_node().get(node.id)
    return Relation.parse(change.incremental_from) if change and change.incremental_from else None


def _full_sql(ctx: "ApplyContext", node: "Node", dialect) -> str:
    sql = ctx.target_sql(node)
    config = node.data_config
    if config["incremental_strategy"] == "microbatch":
        sql = _from_time(dialect, sql, config["event_time"], _as_datetime(config["begin"]))
    return sql


def _recorded(ctx: "ApplyContext", node: "Node") -> dict[str, Any]:
    """What the state records of the previous version's run (``extra["incremental"]``)."""
    old = ctx.state.nodes.get(node.id) if ctx.state else None
    return dict(old.extra.get("incremental", {})) if old else {}


@dataclass(frozen=True)
class _NewRows:
    """An incremental run's input, the same for both storage paths."""

    previous: Relation
    #: The new rows, with exactly the layout's columns (NULL for those the query lacks).
    sql: str
    layout: "Layout"
    #: Which rows of the previous version the new ones replace: none (append), those whose keys
    #: are staged (merge, delete+insert), or those from ``start`` on (microbatch).
    staging: Relation | None = None
    start: datetime | None = None


def _new_rows(ctx: "ApplyContext", node: "Node", connection: "TargetConnection", physical: Relation,
              previous: Relation) -> _NewRows:
    """The new rows of an incremental run (staged when read twice) and the new version's columns,
    decided by ``on_schema_change`` (:mod:`faborite.apply.schema_change`)."""
    from faborite.apply.schema_change import resolve

    dialect, config = connection.dialect, node.data_config
    delta = ctx.target_sql(node, previous=previous)
    staging, start = None, None
    if config["incremental_strategy"] == "microbatch":
        start = batch_start(config, _recorded(ctx, node))
        delta = _from_time(dialect, delta, config["event_time"], start)
    elif config["incremental_strategy"] != "append":
        staging = _stage(connection, node, physical, delta)
        delta = f"SELECT * FROM {dialect.quote_relation(staging)}"
    columns = connection.columns(staging) if staging else _columns_of_query(connection, physical, delta)
    layout = resolve(node, node.on_schema_change, connection.columns(previous), columns)
    shaped = f"SELECT {', '.join(layout.new_select(dialect))} FROM (\n{delta}\n) AS n"
    return _NewRows(previous=previous, sql=shaped, layout=layout, staging=staging, start=start)


def _columns_of_query(connection: "TargetConnection", physical: Relation, sql: str) -> "list[Column]":
    """A query's columns and types as the engine names them, through a view that lives a moment."""
    dialect = connection.dialect
    probe = Relation(schema_name=physical.schema_name, name=f"{physical.name}__new", catalog=physical.catalog)
    connection.execute(dialect.drop_view(probe))  # left by a run killed mid-way
    connection.execute(dialect.create_view(probe, sql))
    try:
        return connection.columns(probe)
    finally:
        connection.execute(dialect.drop_view(probe))


def _build_in_store(ctx: "ApplyContext", node: "Node", connection: "TargetConnection") -> "BuiltNode":
    """One generation of the model's row store (a new store for a full build or a branch)."""
    from faborite.apply import row_store
    from faborite.apply.context import BuiltNode

    physical, previous, dialect = ctx.physical_of(node), _previous(ctx, node), connection.dialect
    if previous is None:
        store = row_store.RowStore.for_version(physical)
        rows = row_store.create_store(connection, store, physical, _full_sql(ctx, node, dialect))
        return BuiltNode(physical=physical, row_count=rows, extra=_store_extra(ctx, store, 1))
    run = _new_rows(ctx, node, connection, physical, previous)
    store, base = _chain_head(ctx, connection, physical, run, _recorded(ctx, node))
    replaced = None
    if run.start is not None:
        replaced = f"{dialect.quote_identifier(node.data_config['event_time'])} >= {dialect.literal(run.start)}"
    elif run.staging is not None:
        replaced = row_store.keys_in(dialect, store, run.staging, node.data_config["unique_key"])
    gone, added = row_store.add_generation(connection, store, physical, base + 1, run.layout.names, run.sql,
                                           replaced=replaced)
    if run.staging is not None:
        connection.execute(dialect.drop_table(run.staging))
    old = ctx.state.nodes.get(node.id) if ctx.state else None
    known = old is not None and old.row_count is not None and gone is not None and added is not None
    return BuiltNode(physical=physical, row_count=old.row_count - gone + added if known else None,
                     extra=_store_extra(ctx, store, base + 1))


def _chain_head(ctx: "ApplyContext", connection: "TargetConnection", physical: Relation, run: _NewRows,
                recorded: dict[str, Any]) -> "tuple[RowStore, int]":
    """The store and generation the new one follows: the previous version's, once an unpublished
    attempt after it is undone and new columns are added; a new store holding the previous rows
    when later generations were published (a rollback happened), the previous version is no
    store's (built before stores) or columns change type (earlier versions keep theirs)."""
    from faborite.apply import row_store

    dialect = connection.dialect
    # Environments share physical versions but each has its own lock: only the environment
    # that created a store appends to it (two could otherwise add the same generation at
    # once, or one could undo the other's published rows); any other starts its own copy.
    if recorded.get("store") and not run.layout.retyped and recorded.get("env") == _environment(ctx):
        store, base = row_store.RowStore.parse(recorded["store"]), int(recorded["generation"])
        latest = row_store.latest_generation(connection, store)
        if latest is not None and latest > base and not row_store.published_after(ctx.state_writer, store, base):
            row_store.undo_after(connection, store, base)
            latest = base
        if latest == base:
            for column in run.layout.added:
                connection.execute(dialect.add_column(store.table, column.name, column.type))
            return store, base
    store = row_store.RowStore.for_version(physical)
    row_store.create_store(connection, store, None, f"SELECT {', '.join(run.layout.previous_select(dialect))} "
                                                    f"FROM {dialect.quote_relation(run.previous)} AS o")
    return store, 1


def _environment(ctx: "ApplyContext") -> str | None:
    """The environment this apply publishes into; None for the default one."""
    return ctx.plan.environment.name if ctx.plan.environment is not None else None


def _store_extra(ctx: "ApplyContext", store: "RowStore", generation: int) -> dict[str, Any]:
    """The node state's record of its store; ``env``: the environment that owns (appends to) it."""
    env = _environment(ctx)
    extra: dict[str, Any] = {"store": store.table.key, "generation": generation}
    if env is not None:
        extra["env"] = env
    return {"incremental": extra}


def _build_copy(ctx: "ApplyContext", node: "Node", connection: "TargetConnection") -> "BuiltNode":
    """Copy-on-write: the new version is a new table, the previous version's rows plus the new ones."""
    from faborite.apply.context import BuiltNode

    physical, previous, dialect = ctx.physical_of(node), _previous(ctx, node), connection.dialect
    if previous is None:
        return BuiltNode(physical=physical, row_count=connection.execute(
            dialect.create_table_as(physical, _full_sql(ctx, node, dialect))))
    try:
        run = _new_rows(ctx, node, connection, physical, previous)
        keep = None
        if run.start is not None:
            keep = f"o.{dialect.quote_identifier(node.data_config['event_time'])} < {dialect.literal(run.start)}"
        elif run.staging is not None:
            keep = dialect.key_not_in(run.staging, node.data_config["unique_key"])
        connection.execute(dialect.create_table_from_previous(
            physical, previous, run.sql, run.layout.names, keep=keep,
            previous_select=run.layout.previous_select(dialect)))
    finally:
        # No transaction here: the staged rows are dropped whatever happened.
        connection.execute(dialect.drop_table(_staging_of(physical)))
    return BuiltNode(physical=physical)


def _staging_of(physical: Relation) -> Relation:
    return Relation(schema_name=physical.schema_name, name=f"{physical.name}__delta", catalog=physical.catalog)


def _stage(connection: "TargetConnection", node: "Node", physical: Relation, delta: str) -> Relation:
    """merge / delete+insert: the new rows written once (they are read twice); a duplicate key
    refused for merge."""
    dialect = connection.dialect
    staging = _staging_of(physical)
    connection.execute(dialect.drop_table(staging))  # left by a run killed mid-way
    connection.execute(dialect.create_table_as(staging, delta))
    if node.data_config["incremental_strategy"] == "merge":
        _refuse_duplicate_keys(connection, node, staging, node.data_config["unique_key"])
    return staging


def _refuse_duplicate_keys(connection: "TargetConnection", node: "Node", staging: Relation, keys: list[str]) -> None:
    dialect = connection.dialect
    listed = ", ".join(dialect.quote_identifier(k) for k in keys)
    count = connection.fetch_scalar(
        f"SELECT COUNT(*) FROM (SELECT {listed} FROM {dialect.quote_relation(staging)} "
        f"GROUP BY {listed} HAVING COUNT(*) > 1) AS duplicates")
    if count:
        raise ApplyError(f"incremental merge of {node.name!r}: the new rows hold {count} unique_key value(s) "
                         f"({', '.join(keys)}) more than once", file=node.file,
                         hint="make the key unique in the is_incremental() branch, or use "
                              "incremental_strategy: delete+insert (which keeps every new row)")


def _from_time(dialect, sql: str, event_time: str, start: datetime) -> str:
    return (f"SELECT * FROM (\n{sql}\n) AS m WHERE m.{dialect.quote_identifier(event_time)} "
            f">= {dialect.literal(start)}")


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return datetime.fromisoformat(str(value)).replace(tzinfo=None)


def batch_start(config: dict[str, Any], recorded: dict[str, Any]) -> datetime:
    """The first microbatch an incremental run rebuilds: ``lookback`` batches before the batch
    holding the recorded high-water mark, never before ``begin``."""
    begin = _as_datetime(config["begin"])
    mark = recorded.get("high_water_mark")
    if mark is None:
        return begin
    mark = _as_datetime(mark)
    if config["batch_size"] == "day":
        floor = mark.replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        floor = mark.replace(minute=0, second=0, microsecond=0)
    return max(begin, floor - _BATCH[config["batch_size"]] * int(config.get("lookback", 1)))


@dataclass(frozen=True)
class IncrementalState:
    """What the next run needs, kept in the node's state under ``extra["incremental"]``."""

    strategy: str
    #: microbatch: the latest ``event_time`` in this version (ISO text), where the next run starts.
    high_water_mark: str | None = None
    #: The row store holding this version (``schema.name``) and its generation there
    #: (None: the version is a table of its own, built by copy-on-write).
    store: str | None = None
    generation: int | None = None

    def as_extra(self) -> dict[str, Any]:
        """JSON-safe form for the state."""
        data: dict[str, Any] = {"strategy": self.strategy}
        if self.high_water_mark is not None:
            data["high_water_mark"] = self.high_water_mark
        if self.store is not None:
            data["store"], data["generation"] = self.store, self.generation
        return data


def describe_incremental(connection: "TargetConnection", node: "Node", built: "BuiltNode") -> None:
    """Record the strategy, the row store and generation, and (microbatch) the high-water mark
    of the built version."""
    from faborite.apply import row_store

    config = node.data_config
    stored = built.extra.get("incremental", {})
    if not stored.get("store") and connection.dialect.row_versioned_incremental:
        found = row_store.find_generation(connection, built.physical)  # a reused version
        if found is not None:
            stored = {"store": found[0].table.key, "generation": found[1]}
    mark = None
    if config["incremental_strategy"] == "microbatch":
        dialect = connection.dialect
        value = connection.fetch_scalar(f"SELECT MAX({dialect.quote_identifier(config['event_time'])}) "
                                        f"FROM {dialect.quote_relation(built.physical)}")
        mark = _as_datetime(value).isoformat() if value is not None else None
    built.extra["incremental"] = IncrementalState(
        strategy=config["incremental_strategy"], high_water_mark=mark, store=stored.get("store"),
        generation=stored.get("generation")).as_extra()
