"""``materialized: snapshot``: dbt's SCD2 history table, versioned like every node.

The promise (as for incremental models): the published version is never
modified. Each run builds the node's *new* physical relation in one
``CREATE TABLE AS`` from the previous version and the snapshot query's rows
now, so rollback re-publishes the previous history exactly as it was.

The table holds the query's columns and dbt's four: ``dbt_scd_id`` (a hash of
the key and the version's time), ``dbt_updated_at``, ``dbt_valid_from`` and
``dbt_valid_to`` (NULL for the current version of a key). A key is *changed*
when (``timestamp``) its ``updated_at`` is later than the current version's,
or (``check``) a ``check_cols`` value differs: its current version is closed
at that time and a new one added; a new key gets its first version. Keys gone
from the query keep their current version (dbt's default). The ``check``
strategy stamps versions with the build's time, as dbt does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faborite.relation import Relation

if TYPE_CHECKING:
    from faborite.apply.context import ApplyContext, BuiltNode
    from faborite.compiler.manifest import Node
    from faborite.target import TargetConnection

HISTORY_COLUMNS = ("dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to")


def build_snapshot(ctx: "ApplyContext", node: "Node", connection: "TargetConnection") -> "BuiltNode":
    """Build ``node``'s new history: from the plan's previous version, else the first one."""
    from faborite.apply.context import BuiltNode

    physical = ctx.physical_of(node)
    change = ctx.changes_by_node().get(node.id)
    previous = Relation.parse(change.incremental_from) if change and change.incremental_from else None
    dialect = connection.dialect
    source = ctx.target_sql(node)
    if previous is None:
        sql = f"SELECT s.*, {_history('s', node, dialect)} FROM (\n{source}\n) AS s"
        return BuiltNode(physical=physical, row_count=connection.execute(dialect.create_table_as(physical, sql)))
    columns = [c.name for c in connection.columns(previous) if c.name not in HISTORY_COLUMNS]
    connection.execute(dialect.create_table_as(physical, _next_history(node, dialect, source, previous, columns)))
    return BuiltNode(physical=physical)


def _changed_at(alias: str, node: "Node", dialect) -> str:
    """When a version starts: the row's ``updated_at`` (timestamp) or the build's time (check)."""
    config = node.data_config
    if config["strategy"] == "timestamp":
        return f"{alias}.{dialect.quote_identifier(config['updated_at'])}"
    return "CURRENT_TIMESTAMP"


def _history(alias: str, node: "Node", dialect) -> str:
    """dbt's four history columns for rows of ``alias`` starting a version now."""
    keys = node.data_config["unique_key"]
    at = _changed_at(alias, node, dialect)
    hashed = " || '|' || ".join(f"COALESCE(CAST({part} AS VARCHAR), '')"
                                for part in [f"{alias}.{dialect.quote_identifier(k)}" for k in keys] + [at])
    return (f"MD5({hashed}) AS dbt_scd_id, {at} AS dbt_updated_at, {at} AS dbt_valid_from, "
            f"NULLIF({at}, {at}) AS dbt_valid_to")


def _next_history(node: "Node", dialect, source: str, previous: Relation, columns: list[str]) -> str:
    config = node.data_config
    q = dialect.quote_identifier
    keys = config["unique_key"]
    on = " AND ".join(f"{{a}}.{q(k)} = {{b}}.{q(k)}" for k in keys)
    if config["strategy"] == "timestamp":
        changed = f"s.{q(config['updated_at'])} > c.dbt_updated_at"
    else:
        compared = [c for c in columns if c not in keys] if config["check_cols"] == "all" else config["check_cols"]
        changed = " OR ".join(f"s.{q(c)} IS DISTINCT FROM c.{q(c)}" for c in compared) or "FALSE"
    old = dialect.quote_relation(previous)
    listed = ", ".join(f"o.{q(c)}" for c in columns)
    return (
        f"WITH s AS (\n{source}\n),\n"
        f"c AS (SELECT * FROM {old} WHERE dbt_valid_to IS NULL),\n"
        f"u AS (SELECT s.* FROM s JOIN c ON {on.format(a='s', b='c')} WHERE {changed}),\n"
        f"n AS (SELECT s.* FROM s WHERE NOT EXISTS (SELECT 1 FROM c WHERE {on.format(a='c', b='s')}))\n"
        f"SELECT {listed}, o.dbt_scd_id, o.dbt_updated_at, o.dbt_valid_from, "
        f"CASE WHEN o.dbt_valid_to IS NULL AND u.{q(keys[0])} IS NOT NULL THEN {_changed_at('u', node, dialect)} "
        f"ELSE o.dbt_valid_to END AS dbt_valid_to\n"
        f"FROM {old} AS o LEFT JOIN u ON o.dbt_valid_to IS NULL AND {on.format(a='o', b='u')}\n"
        f"UNION ALL\n"
        f"SELECT v.*, {_history('v', node, dialect)} FROM (SELECT * FROM u UNION ALL SELECT * FROM n) AS v"
    )
