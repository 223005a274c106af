"""Source provider ``delta``: Delta tables under a local folder (or any URL deltalake opens).

    sources:
      - name: lake
        type: delta
        path: data/lake          # <path>/<table>/_delta_log or <path>/<schema>/<table>/_delta_log

Tables are read through the Delta log, never by globbing Parquet files
(:mod:`faborite.providers.delta_table`, shared with the ``fabric`` source).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from faborite.errors import ProviderError, did_you_mean
from faborite.providers import delta_table
from faborite.sync.source import SourceTableInfo
from faborite.sync.streams import ArrowStream

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as ds


class DeltaSourceConfig(BaseModel):
    """A folder of Delta tables."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: Literal["delta"]
    path: str = Field(description="folder holding the tables, relative to the project (or a URL)")
    description: str = ""


class DeltaSourceProvider:
    """Registered as ``faborite.sources`` entry point ``delta``."""

    name = "delta"
    config_model = DeltaSourceConfig

    def open(self, config: BaseModel, project_root: Path) -> "DeltaFolderSource":
        """A :class:`DeltaFolderSource` over the configured folder (relative to the project)."""
        assert isinstance(config, DeltaSourceConfig)
        root = config.path if "://" in config.path else str((Path(project_root) / config.path).resolve())
        return DeltaFolderSource(root, default_schema=None)


class DeltaFolderSource:
    """Delta tables under a folder: ``root/<table>/_delta_log`` or ``root/<schema>/<table>/_delta_log``.

    ``root`` is a local path or any URL deltalake opens (``az://``,
    ``abfss://``, ``s3://``) with ``storage_options``. Listing tables under a
    URL needs ``list_dirs(url) -> names of its immediate sub-folders`` (the
    OneLake provider passes one); describing a named table does not.
    In a schema-enabled layout, a bare name also finds ``<default_schema>.<name>``.
    ``reader``: how tables are read (:data:`faborite.providers.delta_table.Reader`).
    A table is read at the version :meth:`describe` last saw.
    """

    def __init__(
        self,
        root: str | Path,
        storage_options: Mapping[str, str] | None = None,
        list_dirs: Callable[[str], list[str]] | None = None,
        *,
        default_schema: str | None = "dbo",
        reader: delta_table.Reader = "auto",
    ) -> None:
        self.root = str(root).rstrip("/") if _is_url(str(root)) else str(Path(root))
        self.storage_options = dict(storage_options or {})
        self._list_dirs = list_dirs
        self.default_schema = default_schema
        self.reader = reader
        self._tables: dict[str, Any] = {}  # name -> DeltaTable, as last described

    def __repr__(self) -> str:
        return f"DeltaFolderSource({self.root!r})"

    # -- discovery --------------------------------------------------------

    def table_names(self) -> list[str]:
        """Names of the Delta tables under the root, sorted (``orders``, ``dbo.orders``)."""
        names = []
        for child in self._children(self.root):
            child_url = self._join(self.root, child)
            grandchildren = self._children(child_url)
            if "_delta_log" in grandchildren:
                names.append(child)
                continue
            for table in grandchildren:
                if "_delta_log" in self._children(self._join(child_url, table)):
                    names.append(f"{child}.{table}")
        return sorted(names)

    def table_uri(self, name: str) -> str:
        """Where table ``name`` lives (``schema.table`` maps to ``root/schema/table``)."""
        return self._join(self.root, *name.split(".", 1))

    def _children(self, url: str) -> list[str]:
        if _is_url(url):
            if self._list_dirs is None:
                raise ProviderError(
                    f"cannot list the tables under {url}: no way to list folders was given",
                    hint="name the tables explicitly, or construct the source with list_dirs=",
                )
            return [d.rstrip("/").rsplit("/", 1)[-1] for d in self._list_dirs(url)]
        try:
            with os.scandir(url) as entries:
                return [e.name for e in entries if e.is_dir() and not e.name.startswith(".")]
        except FileNotFoundError:
            return []

    def _join(self, base: str, *parts: str) -> str:
        if _is_url(base):
            return "/".join([base.rstrip("/"), *parts])
        return str(Path(base, *parts))

    # -- TableSource --------------------------------------------------------

    def list_tables(self) -> list[SourceTableInfo]:
        """Every table with its Delta version and row count (one log read per table)."""
        return [self.describe(name) for name in self.table_names()]

    def describe(self, name: str) -> SourceTableInfo:
        """Version and row count of ``name`` from its Delta log."""
        return delta_table.table_info(name, self._load(name))

    def schema(self, name: str) -> "pa.Schema":
        """The table's Arrow schema (logical column names)."""
        return delta_table.schema(self._table(name))

    def dataset(self, name: str) -> "ds.Dataset":
        """A pyarrow Dataset over exactly the files the log lists for the described version."""
        return delta_table.dataset(self._table(name))

    def scan(
        self, name: str, columns: Sequence[str] | None = None, where: str | None = None, after: Any = None
    ) -> ArrowStream:
        """What the executor registers: a bounded scan of the log's files, or a deltalake-engine stream."""
        return delta_table.scan(self._table(name), columns, where, after, reader=self.reader)

    def close(self) -> None:
        """Forget loaded tables."""
        self._tables.clear()

    # -- internals ------------------------------------------------------------

    def _table(self, name: str) -> Any:
        return self._tables.get(name) or self._load(name)

    def _load(self, name: str) -> Any:
        from deltalake import DeltaTable
        from deltalake.exceptions import TableNotFoundError

        candidates = [name]
        if "." not in name and self.default_schema:
            candidates.append(f"{self.default_schema}.{name}")
        for candidate in candidates:
            uri = self.table_uri(candidate)
            if not _is_url(uri) and not Path(uri, "_delta_log").is_dir():
                continue
            try:
                table = DeltaTable(uri, storage_options=self.storage_options or None)
            except TableNotFoundError:
                continue
            self._tables[name] = table
            return table
        known = self.table_names() if not _is_url(self.root) or self._list_dirs else []
        raise ProviderError(
            f"no Delta table {name!r} under {self.root}",
            hint=did_you_mean(name, known) or (f"tables: {', '.join(known)}" if known else None),
        )


def _is_url(path: str) -> bool:
    return "://" in path
