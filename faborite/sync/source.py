"""What a sync needs from a source: list tables, describe one, stream it.

Every source kind (Fabric/OneLake, a local Delta folder, files, a SQL
database) implements :class:`TableSource`. Reading is lazy: ``dataset()``
returns a pyarrow Dataset, so the sampling query gets projection and filter
pushdown and never loads a whole table into memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from pathlib import Path

    import pyarrow as pa
    import pyarrow.dataset as ds


class SourceTableInfo(BaseModel):
    """A table as the source describes it, cheaply (metadata only)."""

    model_config = ConfigDict(frozen=True)

    name: str  # as users write it in 'tables:' ("orders", "dbo.orders")
    version: str  # changes whenever the data changes: a Delta version, a files digest, count+max cursor
    row_count: int | None = None  # when the metadata knows it (Delta add actions' stats), else None
    location: str | None = None  # a URL or path, for messages; never holds a secret

    def describe_version(self) -> str:
        """How a plan shows this version (``v41``)."""
        return self.version


@runtime_checkable
class TableSource(Protocol):
    """A place tables are synced from."""

    def list_tables(self) -> list[SourceTableInfo]:
        """Every table, with its version (one metadata read per table at most)."""

    def describe(self, name: str) -> SourceTableInfo:
        """One table's metadata; ProviderError naming it when it does not exist."""

    def schema(self, name: str) -> "pa.Schema":
        """The table's Arrow schema."""

    def dataset(self, name: str) -> "ds.Dataset":
        """A lazy dataset over the table's current version (Delta: the files its log lists)."""

    def close(self) -> None:
        """Release clients and connections."""


class SourceProvider(Protocol):
    """Factory registered under the ``faborite.sources`` entry-point group."""

    #: The ``type:`` of sources it opens (``fabric``, ``delta``, ``sql``).
    name: str
    #: Pydantic model (``extra="forbid"``) of the source's YAML entry, ``name`` and ``type`` included.
    config_model: type[BaseModel]

    def open(self, config: BaseModel, project_root: "Path") -> TableSource:
        """Connect lazily; credentials come from the environment or the Azure credential chain."""


@runtime_checkable
class ScanSource(Protocol):
    """A source that can narrow a read itself (optional; the executor prefers it to ``dataset()``).

    Returns what the executor registers in DuckDB: a pyarrow Dataset, or an
    object with ``__arrow_c_stream__`` that starts a fresh stream on every
    call (DuckDB may scan it more than once in one query). ``columns``: only
    these (None: all). ``where`` (DuckDB SQL) and ``after=(cursor column,
    value)`` may be pushed down where the source can do so faithfully; the
    sampling query applies both again, so pushing them is only a saving.
    """

    def scan(
        self, name: str, columns: Sequence[str] | None = None, where: str | None = None, after: tuple[str, Any] | None = None
    ) -> object:
        """A registerable, re-scannable view of the table's current version."""
