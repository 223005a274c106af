"""Garbage collection: drop physical versions that no kept state uses.

The newest ``keep`` serials are kept; rollback to them stays instant. Older
serials stay in history but can no longer be rolled back to.
"""

from __future__ import annotations

from dataclasses import dataclass

from faborite.relation import PHYSICAL_PREFIX, Relation
from faborite.state.backend import StateReader
from faborite.target import TargetConnection


@dataclass(frozen=True)
class GcPlan:
    """Physical relations gc will drop, and the serials it keeps."""

    keep_serials: tuple[int, ...]
    drop: tuple[Relation, ...]


def plan_gc(backend: StateReader, connection: TargetConnection, keep: int) -> GcPlan:
    """Find physical relations in faborite's schemas that none of the newest ``keep`` states use."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    history = backend.history()
    serials = [entry.serial for entry in history]
    kept = serials[-keep:]
    used: set[Relation] = set()
    schemas: set[str] = set()
    for serial in serials:
        state = backend.read_serial(serial)
        for node in state.nodes.values():
            physical = Relation.parse(node.physical)
            schemas.add(physical.schema_name)
            if serial in kept:
                used.add(physical)
    existing = connection.list_relations(sorted(schemas))
    drop = sorted((r for r in existing - used if r.schema_name.startswith(PHYSICAL_PREFIX)), key=lambda r: r.key)
    return GcPlan(keep_serials=tuple(kept), drop=tuple(drop))


def execute_gc(plan: GcPlan, connection: TargetConnection) -> None:
    """Drop the relations in ``plan``: views first (they may read tables), then tables."""
    dialect = connection.dialect
    views = {r for r in plan.drop if _is_view(connection, r)}
    for relation in sorted(views, key=lambda r: r.key):
        connection.execute(dialect.drop_view(relation))
    for relation in plan.drop:
        if relation not in views:
            connection.execute(dialect.drop_table(relation))


def _is_view(connection: TargetConnection, relation: Relation) -> bool:
    sql = ("SELECT COUNT(*) FROM information_schema.views WHERE table_schema = "
           f"{connection.dialect.literal(relation.schema_name)} AND table_name = {connection.dialect.literal(relation.name)}")
    return bool(connection.fetch_scalar(sql))
