"""Row-versioned storage: every version of an incremental model in one shared table.

The promise: each version stays exactly readable (rollback is exact, no
recompute), an incremental run writes only the new rows, and a run's
generation exists complete or not at all.

A *store* is one table holding every row any version of the model had, each
tagged with two generation serials: ``_faborite_from`` (the generation that
added it) and ``_faborite_to`` (the one that replaced it; NULL while
current). Generation ``N`` is the rows with ``from <= N AND (to IS NULL OR to
> N)``, and version N's physical relation is a view selecting exactly those
(its own columns only). A run never deletes a row nor changes its data:
``append`` inserts rows tagged N; ``merge``, ``delete+insert`` and
``microbatch`` first set ``to = N`` on the rows they replace. The run's
statements, its view and its line in the store's catalog table
(``<store>__generations``: generation -> view) share one transaction, which
is why this needs transactional DDL (``Dialect.row_versioned_incremental``).

The generations of a store form a chain; two things interrupt it, and the
next run sorts them out before writing:

- an attempt that built generation ``g+1`` but was never published (a crash
  between build and publish, a failed check, a failed publish): no state reads
  it, so its rows are deleted, its marks cleared and its view dropped;
- a rollback to generation ``g`` after later ones were published: those stay
  (rolling forward again reads them), so the run starts a new store from
  ``g``'s rows (one copy, as every run did before stores).

A full build starts a new store. ``gc`` deletes the rows no kept version
sees (:func:`compact_statement`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from faborite.relation import Relation

if TYPE_CHECKING:
    from faborite.dialects.base import Dialect
    from faborite.state.backend import StateReader
    from faborite.target import TargetConnection

FROM, TO = "_faborite_from", "_faborite_to"
#: The columns a store adds to the model's; never shown by a version's view.
HIDDEN = frozenset({FROM, TO})


@dataclass(frozen=True)
class RowStore:
    """One model's shared table of row versions and its catalog of generations."""

    table: Relation

    @classmethod
    def for_version(cls, physical: Relation) -> "RowStore":
        """The store a new chain starting at version ``physical`` lives in (named after it)."""
        return cls(Relation(schema_name=physical.schema_name, name=f"{physical.name}__rows", catalog=physical.catalog))

    @classmethod
    def parse(cls, key: str) -> "RowStore":
        """The store recorded in a node's state as ``schema.name``."""
        return cls(Relation.parse(key))

    @property
    def catalog(self) -> Relation:
        """The table listing each generation and the view that shows it."""
        return Relation(schema_name=self.table.schema_name, name=f"{self.table.name}__generations",
                        catalog=self.table.catalog)

    def visible(self, dialect: "Dialect", generation: int) -> str:
        """The condition selecting generation ``generation``'s rows."""
        q = dialect.quote_identifier
        return f"{q(FROM)} <= {generation} AND ({q(TO)} IS NULL OR {q(TO)} > {generation})"

    def view_sql(self, dialect: "Dialect", columns: list[str], generation: int) -> str:
        """What version ``generation``'s view selects: its columns, its rows."""
        listed = ", ".join(dialect.quote_identifier(c) for c in columns)
        return f"SELECT {listed} FROM {dialect.quote_relation(self.table)} WHERE {self.visible(dialect, generation)}"


def create_store(connection: "TargetConnection", store: RowStore, physical: Relation | None,
                 select_sql: str) -> int | None:
    """A new store whose generation 1 is ``select_sql``'s rows, shown by the view ``physical``
    (None: no view, the next generation is the version); the rows written when the engine says.
    Call inside a transaction."""
    dialect = connection.dialect
    for leftover in (store.table, store.catalog):  # an attempt that died before its commit leaves none, but
        connection.execute(dialect.drop_table(leftover))  # a hand-made copy would block the CREATE
    q = dialect.quote_identifier
    rows = connection.execute(dialect.create_table_as(store.table, (
        f"SELECT n.*, 1 AS {q(FROM)}, {dialect.cast('NULL', 'INTEGER')} AS {q(TO)} "
        f"FROM (\n{select_sql}\n) AS n")))
    columns = [c.name for c in connection.columns(store.table) if c.name not in HIDDEN]
    connection.execute(dialect.create_table_as(store.catalog, (
        f"SELECT 1 AS {q('generation')}, {dialect.literal(physical.name if physical else '')} AS {q('relation')}")))
    if physical is not None:
        connection.execute(dialect.create_view(physical, store.view_sql(dialect, columns, 1)))
    return rows


def add_generation(connection: "TargetConnection", store: RowStore, physical: Relation, generation: int,
                   columns: list[str], new_rows_sql: str, replaced: str | None = None) -> tuple[int | None, int | None]:
    """Generation ``generation``: the current rows matching ``replaced`` (a condition on the store's
    columns) marked replaced, ``new_rows_sql``'s rows added, the view ``physical`` showing it.
    Returns (rows replaced, rows added) when the engine reports them. Call inside a transaction."""
    dialect = connection.dialect
    q = dialect.quote_identifier
    gone: int | None = 0
    if replaced is not None:
        gone = connection.execute(dialect.update_rows(store.table, {TO: str(generation)},
                                                      f"{q(TO)} IS NULL AND ({replaced})"))
    listed = ", ".join(f"n.{q(c)}" for c in columns)
    added = connection.execute(dialect.insert_into(
        store.table, f"SELECT {listed}, {generation} FROM (\n{new_rows_sql}\n) AS n", [*columns, FROM]))
    connection.execute(dialect.insert_into(
        store.catalog, f"SELECT {generation}, {dialect.literal(physical.name)}", ["generation", "relation"]))
    connection.execute(dialect.create_view(physical, store.view_sql(dialect, columns, generation)))
    return gone, added


def keys_in(dialect: "Dialect", store: RowStore, staging: Relation, keys: list[str]) -> str:
    """The condition on a store's rows whose ``keys`` are among ``staging``'s (``=``: NULL never matches)."""
    q = dialect.quote_identifier
    owner = dialect.quote_relation(store.table)
    match = " AND ".join(f"d.{q(k)} = {owner}.{q(k)}" for k in keys)
    return f"EXISTS (SELECT 1 FROM {dialect.quote_relation(staging)} AS d WHERE {match})"


def latest_generation(connection: "TargetConnection", store: RowStore) -> int | None:
    """The newest generation the store holds (published or not); None: no such store."""
    if store.catalog not in connection.list_relations([store.catalog.schema_name]):
        return None
    dialect = connection.dialect
    value = connection.fetch_scalar(f"SELECT MAX({dialect.quote_identifier('generation')}) "
                                    f"FROM {dialect.quote_relation(store.catalog)}")
    return int(value) if value is not None else None


def generation_of(connection: "TargetConnection", store: RowStore, physical: Relation) -> int | None:
    """The generation the view ``physical`` shows, from the store's catalog (None: not this store's)."""
    if store.catalog not in connection.list_relations([store.catalog.schema_name]):
        return None
    dialect = connection.dialect
    value = connection.fetch_scalar(
        f"SELECT MAX({dialect.quote_identifier('generation')}) FROM {dialect.quote_relation(store.catalog)} "
        f"WHERE {dialect.quote_identifier('relation')} = {dialect.literal(physical.name)}")
    return int(value) if value is not None else None


def find_generation(connection: "TargetConnection", physical: Relation) -> "tuple[RowStore, int] | None":
    """The store and generation a version's view shows (a reused version: the build did not say),
    looked up in the catalogs of the model's stores, which sit beside its versions."""
    prefix = physical.name.rsplit("__", 1)[0] + "__"
    suffix = "__rows__generations"
    for relation in sorted(connection.list_relations([physical.schema_name]), key=lambda r: r.key):
        if relation.name.startswith(prefix) and relation.name.endswith(suffix):
            store = RowStore(Relation(schema_name=relation.schema_name, name=relation.name[:-len("__generations")],
                                      catalog=relation.catalog))
            generation = generation_of(connection, store, physical)
            if generation is not None:
                return store, generation
    return None


def published_after(backend: "StateReader | None", store: RowStore, generation: int) -> bool:
    """Whether any recorded state (all of history: rollback can return to it) published a
    generation of ``store`` later than ``generation``. Read only when the store holds later
    generations, i.e. after a rollback or an unpublished attempt: rare, so reading history is fine."""
    if backend is None:
        return True  # cannot tell: keep the later rows and start a new store (always exact)
    for entry in backend.history():
        for node in backend.read_serial(entry.serial).nodes.values():
            recorded = node.extra.get("incremental") or {}
            if recorded.get("store") == store.table.key and int(recorded.get("generation", 0)) > generation:
                return True
    return False


def undo_after(connection: "TargetConnection", store: RowStore, generation: int) -> None:
    """Remove every trace of generations after ``generation`` (never published): their rows,
    their replacement marks, their views and catalog lines. Call inside a transaction."""
    dialect = connection.dialect
    q = dialect.quote_identifier
    views = connection.fetch_arrow(f"SELECT {q('relation')} FROM {dialect.quote_relation(store.catalog)} "
                                   f"WHERE {q('generation')} > {generation}").column(0).to_pylist()
    for name in views:
        if name:
            connection.execute(dialect.drop_view(Relation(schema_name=store.table.schema_name, name=name,
                                                          catalog=store.table.catalog)))
    connection.execute(dialect.delete_rows(store.table, f"{q(FROM)} > {generation}"))
    connection.execute(dialect.update_rows(store.table, {TO: "NULL"}, f"{q(TO)} > {generation}"))
    connection.execute(dialect.delete_rows(store.catalog, f"{q('generation')} > {generation}"))


def unseen(dialect: "Dialect", oldest_kept: int) -> str:
    """gc: the rows replaced at or before ``oldest_kept``, the oldest generation a kept state
    shows. No kept version sees them: every kept generation is at least ``oldest_kept``."""
    q = dialect.quote_identifier
    return f"{q(TO)} IS NOT NULL AND {q(TO)} <= {oldest_kept}"


def count_unseen(connection: "TargetConnection", store: RowStore, oldest_kept: int) -> int:
    """How many rows :func:`compact_statement` would delete."""
    dialect = connection.dialect
    value = connection.fetch_scalar(f"SELECT COUNT(*) FROM {dialect.quote_relation(store.table)} "
                                    f"WHERE {unseen(dialect, oldest_kept)}")
    return int(value or 0)


def compact_statement(dialect: "Dialect", store: RowStore, oldest_kept: int) -> str:
    """gc: delete the rows no kept version sees (:func:`unseen`)."""
    return dialect.delete_rows(store.table, unseen(dialect, oldest_kept))
