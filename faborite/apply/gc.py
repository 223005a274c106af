"""Garbage collection: drop physical versions that no kept state uses.

The newest ``keep`` serials are kept; rollback to them stays instant. Older
serials stay in history but can no longer be rolled back to.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from faborite.apply.file_layer import remove_folders, version_folder
from faborite.apply.row_store import RowStore, compact_statement, count_unseen
from faborite.relation import PHYSICAL_PREFIX, Relation
from faborite.state.backend import StateReader
from faborite.target import TargetConnection


@dataclass(frozen=True)
class Compaction:
    """Rows of an incremental model's row store that no kept version sees, deleted by gc."""

    store: Relation
    #: The oldest generation a kept state shows: rows replaced at or before it are unseen.
    oldest_kept: int
    rows: int


@dataclass(frozen=True)
class GcPlan:
    """Physical relations gc will drop, and the serials it keeps."""

    keep_serials: tuple[int, ...]
    drop: tuple[Relation, ...]
    #: Version folders of file outputs (syncs to Parquet/CSV/JSON/Delta), project-relative.
    drop_folders: tuple[str, ...] = ()
    #: Row stores of incremental models that kept states use, holding rows no kept version sees.
    compact: tuple[Compaction, ...] = ()


def plan_gc(backend: StateReader, connection: TargetConnection, keep: int, project_root: Path | None = None,
            others: Iterable[StateReader] = ()) -> GcPlan:
    """Find physical relations in faborite's schemas (and version folders of file outputs)
    that none of the newest ``keep`` states use.

    ``others``: the states of the target's other environments, which share its physical
    versions: whatever the newest ``keep`` serials of any of them use is kept too.
    """
    if keep < 1:
        raise ValueError("keep must be at least 1")
    kept: list[int] = []
    used: set[Relation] = set()
    oldest: dict[Relation, int] = {}
    schemas: set[str] = set()
    used_folders: set[str] = set()
    outputs: set[str] = set()
    for reader in (backend, *others):
        serials = [entry.serial for entry in reader.history()]
        if reader is backend:
            kept = serials[-keep:]
        for serial in serials:
            state = reader.read_serial(serial)
            for node in state.nodes.values():
                in_use = serial in serials[-keep:]
                if node.extra.get("files"):
                    outputs.add(node.relation)
                    if in_use:
                        used_folders.add(node.physical)
                    continue
                physical = Relation.parse(node.physical)
                schemas.add(physical.schema_name)
                if in_use:
                    used.add(physical)
                    _keep_store(node.extra.get("incremental") or {}, used, oldest)
    existing = connection.list_relations(sorted(schemas))
    drop = sorted((r for r in existing - used if r.schema_name.startswith(PHYSICAL_PREFIX)), key=lambda r: r.key)
    folders: list[str] = []
    if project_root is not None:
        for published in sorted(outputs):
            versions = Path(project_root) / version_folder(published, "x").rsplit("/", 1)[0]
            if versions.is_dir():
                for folder in sorted(versions.iterdir()):
                    rel = folder.relative_to(project_root).as_posix()
                    if folder.is_dir() and rel not in used_folders and ".tmp-" not in folder.name:
                        folders.append(rel)
    compact = []
    for table, generation in sorted(oldest.items(), key=lambda item: item[0].key):
        rows = count_unseen(connection, RowStore(table), generation) if table in existing else 0
        if rows:
            compact.append(Compaction(store=table, oldest_kept=generation, rows=rows))
    return GcPlan(keep_serials=tuple(kept), drop=tuple(drop), drop_folders=tuple(folders), compact=tuple(compact))


def _keep_store(recorded: dict, used: set[Relation], oldest: dict[Relation, int]) -> None:
    """A kept incremental version reads its row store: keep the store and its catalog, and
    note the oldest generation kept."""
    if not recorded.get("store"):
        return
    store = RowStore.parse(recorded["store"])
    used |= {store.table, store.catalog}
    generation = int(recorded["generation"])
    oldest[store.table] = min(generation, oldest.get(store.table, generation))


def execute_gc(plan: GcPlan, connection: TargetConnection, project_root: Path | None = None) -> None:
    """Drop the relations in ``plan``: views first (they may read tables), then tables; then folders."""
    if project_root is not None:
        remove_folders(Path(project_root), plan.drop_folders)
    dialect = connection.dialect
    # One introspection for every schema, through the target (no engine's catalog SQL here).
    described = connection.describe_relations(sorted({r.schema_name for r in plan.drop}))
    views = {info.relation for info in described if info.kind == "view"} & set(plan.drop)
    for relation in sorted(views, key=lambda r: r.key):
        connection.execute(dialect.drop_view(relation))
    for relation in plan.drop:
        if relation not in views:
            connection.execute(dialect.drop_table(relation))
    for compaction in plan.compact:
        connection.execute(compact_statement(dialect, RowStore(compaction.store), compaction.oldest_kept))
