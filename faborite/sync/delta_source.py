"""Delta tables under a folder, read through the Delta log (deltalake), never by listing Parquet files:
files a later commit removed stay removed, partitions are never missed."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from faborite.errors import ProviderError, did_you_mean
from faborite.sync.source import SourceTableInfo

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as ds

from faborite.sync.streams import ArrowStream, _is_url, bounded_scan


class DeltaFolderSource:
    """Delta tables under a folder: ``root/<table>/_delta_log`` or ``root/<schema>/<table>/_delta_log``.

    ``root`` is a local path or any URL deltalake opens (``az://``,
    ``abfss://``, ``s3://``) with ``storage_options``. Listing tables under a
    URL needs ``list_dirs(url) -> names of its immediate sub-folders`` (the
    OneLake provider passes one); describing a named table does not.
    In a schema-enabled layout, a bare name also finds ``<default_schema>.<name>``.
    ``reader``: ``pyarrow`` (the log's Parquet files through
    :func:`bounded_scan`, pruned by partition and row-group statistics),
    ``datafusion`` (deltalake's query engine, which also reads deletion
    vectors and column mapping), or ``auto``: pyarrow when the table allows it.
    A table is read at the version :meth:`describe` last saw.
    """

    def __init__(
        self,
        root: str | Path,
        storage_options: Mapping[str, str] | None = None,
        list_dirs: Callable[[str], list[str]] | None = None,
        *,
        default_schema: str | None = "dbo",
        reader: Literal["auto", "pyarrow", "datafusion"] = "auto",
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
        table = self._load(name)
        return SourceTableInfo(
            name=name, version=str(table.version()), row_count=_delta_row_count(table), location=table.table_uri
        )

    def schema(self, name: str) -> "pa.Schema":
        """The table's Arrow schema (logical column names)."""
        import pyarrow as pa

        return pa.schema(self._table(name).schema().to_arrow())

    def dataset(self, name: str) -> "ds.Dataset":
        """A pyarrow Dataset over exactly the files the log lists for the described version."""
        from deltalake.exceptions import DeltaProtocolError

        try:
            return self._table(name).to_pyarrow_dataset()
        except DeltaProtocolError as exc:
            raise ProviderError(
                f"Delta table {name!r} cannot be read as a pyarrow dataset: {exc}",
                hint="use scan() (reads it through deltalake's own engine)",
            ) from None

    def scan(
        self, name: str, columns: Sequence[str] | None = None, where: str | None = None, after: Any = None
    ) -> ArrowStream:
        """What the executor registers: a bounded scan of the log's files, or a deltalake-engine stream.

        The pyarrow scan prunes partitions and row groups with the parts of
        ``where`` / ``after`` it can apply exactly; the sampling query applies
        both in full.
        """
        from deltalake.exceptions import DeltaProtocolError

        if self.reader != "datafusion":
            try:
                dataset = self._table(name).to_pyarrow_dataset()
            except DeltaProtocolError:
                if self.reader == "pyarrow":
                    raise
            else:
                return bounded_scan(dataset, columns, where, after)
        return self._datafusion_stream(name, columns)

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

    def _datafusion_stream(self, name: str, columns: Sequence[str] | None) -> ArrowStream:
        import pyarrow as pa
        from deltalake import QueryBuilder

        table = self._table(name)
        full = self.schema(name)
        wanted = list(columns) if columns else full.names
        schema = pa.schema([full.field(c) for c in wanted])
        select = ", ".join('"' + c.replace('"', '""') + '"' for c in wanted)

        def batches() -> Iterator[pa.RecordBatch]:
            stream = QueryBuilder().register("t", table).execute(f"SELECT {select} FROM t")
            for batch in pa.RecordBatchReader.from_stream(stream):
                yield batch if batch.schema.equals(schema) else batch.cast(schema)

        return ArrowStream(schema, batches)


def _delta_row_count(table: Any) -> int | None:
    """Rows in the current version from the add actions' stats; None when a file lacks them."""
    protocol = table.protocol()
    if protocol.reader_features and "deletionVectors" in protocol.reader_features:
        return None  # num_records counts rows a deletion vector hides
    import pyarrow as pa

    actions = pa.table(table.get_add_actions(flatten=True))
    if "num_records" not in actions.column_names:
        return None if actions.num_rows else 0
    counts = actions.column("num_records")
    if counts.null_count:
        return None
    return int(sum(counts.to_pylist()))


# -- files --------------------------------------------------------------------

