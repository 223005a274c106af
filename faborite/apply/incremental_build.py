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

from faborite.errors import ApplyError
from faborite.relation import Relation

if TYPE_CHECKING:
    from faborite.apply.context import ApplyContext, BuiltNode
    from faborite.compiler.manifest import Node
    from faborite.target import TargetConnection

_BATCH = {"day": timedelta(days=1), "hour": timedelta(hours=1)}


def build_incremental(ctx: "ApplyContext", node: "Node", connection: "TargetConnection") -> "BuiltNode":
    """Build ``node``'s new version: incrementally from the plan's previous version, else whole."""
    from faborite.apply.context import BuiltNode

    physical = ctx.physical_of(node)
    change = ctx.changes_by_node().get(node.id)
    previous = Relation.parse(change.incremental_from) if change and change.incremental_from else None
    dialect = connection.dialect
    config = node.data_config
    if previous is None:
        sql = ctx.target_sql(node)
        if config["incremental_strategy"] == "microbatch":
            sql = _from_time(dialect, sql, config["event_time"], _as_datetime(config["begin"]))
        return BuiltNode(physical=physical, row_count=connection.execute(dialect.create_table_as(physical, sql)))
    delta = ctx.target_sql(node, previous=previous)
    columns = [c.name for c in connection.columns(previous)]
    strategy = config["incremental_strategy"]
    if strategy == "append":
        connection.execute(dialect.create_table_from_previous(physical, previous, delta, columns))
    elif strategy == "microbatch":
        start = batch_start(config, (ctx.state.nodes[node.id].extra if ctx.state else {}).get("incremental", {}))
        column = dialect.quote_identifier(config["event_time"])
        connection.execute(dialect.create_table_from_previous(
            physical, previous, _from_time(dialect, delta, config["event_time"], start), columns,
            keep=f"o.{column} < {dialect.literal(start)}"))
    else:
        _replace_keys(connection, node, physical, previous, delta, columns)
    return BuiltNode(physical=physical)


def _replace_keys(connection: "TargetConnection", node: "Node", physical: Relation, previous: Relation,
                  delta: str, columns: list[str]) -> None:
    """merge / delete+insert: the new rows staged once (they are read twice), then one CREATE TABLE AS."""
    dialect = connection.dialect
    keys = node.data_config["unique_key"]
    staging = Relation(schema_name=physical.schema_name, name=f"{physical.name}__delta")
    connection.execute(dialect.drop_table(staging))  # left by a run killed mid-way
    try:
        connection.execute(dialect.create_table_as(staging, delta))
        if node.data_config["incremental_strategy"] == "merge":
            _refuse_duplicate_keys(connection, node, staging, keys)
        connection.execute(dialect.create_table_from_previous(
            physical, previous, f"SELECT * FROM {dialect.quote_relation(staging)}", columns,
            keep=dialect.key_not_in(staging, keys)))
    finally:
        connection.execute(dialect.drop_table(staging))


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

    def as_extra(self) -> dict[str, Any]:
        """JSON-safe form for the state."""
        data: dict[str, Any] = {"strategy": self.strategy}
        if self.high_water_mark is not None:
            data["high_water_mark"] = self.high_water_mark
        return data


def describe_incremental(connection: "TargetConnection", node: "Node", built: "BuiltNode") -> None:
    """Record the strategy and (microbatch) the high-water mark of the built version."""
    config = node.data_config
    mark = None
    if config["incremental_strategy"] == "microbatch":
        dialect = connection.dialect
        value = connection.fetch_scalar(f"SELECT MAX({dialect.quote_identifier(config['event_time'])}) "
                                        f"FROM {dialect.quote_relation(built.physical)}")
        mark = _as_datetime(value).isoformat() if value is not None else None
    built.extra["incremental"] = IncrementalState(strategy=config["incremental_strategy"],
                                                  high_water_mark=mark).as_extra()
