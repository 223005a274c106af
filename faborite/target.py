"""What faborite needs from an engine it builds into: small capability protocols.

The core never names an engine. A *target provider* (found through the
``faborite.providers`` entry-point group, see :mod:`faborite.plugins`) turns a
target's config into a :class:`TargetConnection`. A connection is the union of
small capabilities, Terraform style, so a future engine that cannot, say,
publish atomically can still say so through its dialect's capability flags.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from faborite.relation import Relation

if TYPE_CHECKING:
    import pyarrow as pa

    from faborite.dialects.base import Dialect


class Column(BaseModel):
    """A column of a built relation: name and the engine's type name."""

    model_config = ConfigDict(frozen=True)

    name: str
    type: str


class RelationInfo(BaseModel):
    """A relation as the engine reports it: what it is and, for a view, its definition."""

    model_config = ConfigDict(frozen=True)

    relation: Relation
    kind: Literal["table", "view"]
    #: The view's SQL as the engine stores it (None for tables, or when the engine does not say).
    definition: str | None = None


#: A catalog row as :func:`relations_digest` reads it: schema, name, ``table``/``view``, view SQL (or None).
CatalogRow = tuple[str, str, str, "str | None"]


def relations_digest(rows: "Iterable[CatalogRow]") -> str:
    """A SHA-256 of catalog rows, in any order: equal digests, equal ``describe_relations`` answers."""
    import hashlib
    import json

    ordered = sorted(rows, key=lambda row: (row[0], row[1], row[2], row[3] or ""))
    return hashlib.sha256(json.dumps(ordered, separators=(",", ":")).encode("utf-8")).hexdigest()


def info_row(info: RelationInfo) -> CatalogRow:
    """``info`` as the row :func:`relations_digest` reads."""
    return (info.relation.schema_name, info.relation.name, info.kind, info.definition)


class CatalogReader(Protocol):
    """Optional: :meth:`Inspector.describe_relations`'s answer as plain rows, without an object per
    relation: how ``plan``'s drift check reads 10,000 relations cheaply, and how a remembered
    no-change plan repeats it (faborite/no_change_memo.py)."""

    def catalog_rows(self, schema_names: Sequence[str]) -> list[CatalogRow]:
        """``[info_row(i) for i in describe_relations(schema_names)]``, in any order, computed cheaply."""


class CatalogFiles(Protocol):
    """Optional, on a connection and on its provider: the local files that hold everything
    :class:`CatalogReader` reads (an embedded database's file and its write-ahead log, present or
    not). Changing the catalog changes one of their size, times or inode, so while a stamp of them
    holds, a remembered no-change plan skips the drift check's query and ``plan`` reads the
    remembered rows without connecting (faborite/catalog_stamp.py, faborite/state/remembered_catalog.py)."""

    def catalog_files(self) -> list[str]:
        """Absolute paths; empty when the catalog is not (only) in local files. (The provider's
        ``catalog_files(config, project_root)`` answers the same without connecting.)"""


def catalog_rows(connection: "Inspector", schema_names: Sequence[str]) -> list[CatalogRow]:
    """What ``connection`` holds in ``schema_names`` as rows: its :class:`CatalogReader` when it has
    one, else from :meth:`Inspector.describe_relations` (a relation's catalog is not in a row)."""
    reader = getattr(connection, "catalog_rows", None)
    if reader is not None:
        return reader(schema_names)
    return [info_row(info) for info in connection.describe_relations(schema_names)]


def catalog_digest(connection: "Inspector", schema_names: Sequence[str]) -> str:
    """:func:`relations_digest` of what ``connection`` holds in ``schema_names``."""
    return relations_digest(catalog_rows(connection, schema_names))


class SqlRunner(Protocol):
    """Runs SQL written in the target's dialect."""

    dialect: "Dialect"

    def execute(self, sql: str) -> int | None:
        """Run one statement; raise :class:`faborite.errors.ProviderError` on failure. Returns the
        rows it wrote when the engine reports them for free (CREATE TABLE AS, INSERT), else None:
        apply then counts a new table's rows only where the engine cannot tell it."""

    def fetch_arrow(self, sql: str) -> "pa.Table":
        """Run a query and return all rows."""

    def fetch_scalar(self, sql: str) -> Any:
        """Run a query and return the first column of the first row (None if no rows)."""


class Transactional(Protocol):
    """Groups statements so they take effect together or not at all."""

    def transaction(self) -> AbstractContextManager[None]:
        """Begin; commit on normal exit, roll back on exception."""


class ArrowLoader(Protocol):
    """Creates a table from Arrow data (seeds, syncs)."""

    def create_table_from_arrow(self, relation: Relation, data: "pa.Table | pa.RecordBatchReader") -> None:
        """Create ``relation`` holding ``data``; atomic: it exists complete or not at all."""


class Inspector(Protocol):
    """Answers questions about what exists, with as few round trips as possible."""

    def list_relations(self, schema_names: Sequence[str]) -> set[Relation]:
        """Every table and view in the given schemas (missing schemas: empty)."""

    def columns(self, relation: Relation) -> list[Column]:
        """The relation's columns in order."""

    def describe_relations(self, schema_names: Sequence[str]) -> list[RelationInfo]:
        """Every table and view in the given schemas with its kind and view definition, in one
        round trip: how ``plan`` checks what the state records against what exists."""


@runtime_checkable
class TargetConnection(SqlRunner, Transactional, ArrowLoader, Inspector, Protocol):
    """A session with a target: everything apply needs."""

    def cursor(self) -> "TargetConnection":
        """Another connection to the same target, safe to use from another thread."""

    def close(self) -> None:
        """Release the connection."""


class VersionReporter(Protocol):
    """Optional: says what the engine is, for ``faborite debug``."""

    def server_version(self) -> str:
        """The engine, its version and where it runs (no credentials)."""


class ReadOnlyQuerier(Protocol):
    """Optional: runs ``faborite query`` confined by the engine itself; without it, query relies
    on its own SELECT-only check and a ``read_only`` connection."""

    def fetch_read_only(self, sql: str, readable: Sequence[Path]) -> "pa.Table":
        """Run one SELECT that reads files only under ``readable`` and writes nothing."""


class Publisher(Protocol):
    """Optional: a target that publishes without SQL views (a Delta lakehouse writes a new
    version of each published table). Without it, publish runs ``Dialect.publish_statements``."""

    def publish(self, pointers: "Mapping[Relation, Relation]", drops: "Sequence[Relation]") -> None:
        """Make each virtual relation of ``pointers`` read (or hold) its physical one, and drop
        ``drops``; as atomically as the target allows (its dialect's flags say how, for the plan).
        Afterwards :meth:`Inspector.describe_relations` must report each published relation with
        a definition that ``Dialect.pointer_reads`` maps to its physical relation (drift)."""


class DbtProfileReader(Protocol):
    """Optional: reads an output of a dbt ``profiles.yml`` (for a dbt project run in place).

    The core never names an engine: it asks each provider which dbt adapter
    ``type:`` it reads and lets it translate the output's keys.
    """

    #: The ``type:`` of a dbt profile output this provider reads (dbt's adapter name).
    dbt_adapter_type: str

    def target_from_dbt(self, output: "Mapping[str, Any]") -> tuple[dict[str, Any], list[str]]:
        """The faborite target block for a dbt output (``env_var()`` strings kept for later
        rendering) and the dbt keys it ignored."""


class TargetProvider(Protocol):
    """Factory registered under the ``faborite.providers`` entry-point group."""

    #: The ``type:`` this provider handles in ``targets:`` (e.g. ``duckdb``).
    name: str
    #: Pydantic model (``extra="forbid"``) of the target's config block.
    config_model: type[BaseModel]

    def connect(self, config: BaseModel, project_root: Path, *, read_only: bool = False) -> TargetConnection:
        """Open a connection. Secrets come from the environment, never from config files."""


def iter_batches(data: "pa.Table | pa.RecordBatchReader") -> Iterator["pa.RecordBatch"]:
    """Record batches of a table or reader, so loaders can stream either."""
    if hasattr(data, "to_batches"):
        yield from data.to_batches()
    else:
        yield from data
