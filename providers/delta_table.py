"""Reading one Delta table (a deltalake ``DeltaTable``), whoever found and authenticated it.

The ``delta`` source (local folders, any URL deltalake opens) and the
``fabric`` source (OneLake) both read their tables through these functions, so
a table reports the same row count and yields the same rows whichever source
opened it. Reads go through the Delta log, never a glob of Parquet files:
files a later commit removed stay removed, partitions are never missed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

from faborite.sync.source import SourceTableInfo
from faborite.sync.streams import ArrowStream, bounded_scan

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as ds

#: ``pyarrow``: the log's Parquet files through :func:`bounded_scan` (pruned by partition
#: and row-group statistics); ``datafusion``: deltalake's engine, which also applies
#: deletion vectors and column mapping; ``auto``: pyarrow when the table allows it.
Reader = Literal["auto", "pyarrow", "datafusion"]


def table_info(name: str, table: Any, location: str | None = None) -> SourceTableInfo:
    """``name``'s version (the Delta version) and row count, from the table's log."""
    return SourceTableInfo(
        name=name, version=str(table.version()), row_count=row_count(table), location=location or table.table_uri
    )


def row_count(table: Any) -> int | None:
    """Rows of the current version: the add actions' ``numRecords`` less the rows deletion vectors drop.

    None when unknown: a file without stats, or deletion vectors that cannot be read.
    """
    import pyarrow as pa

    actions = pa.table(table.get_add_actions(flatten=True))
    if "num_records" not in actions.column_names:
        return None if actions.num_rows else 0
    counts = actions.column("num_records")
    if counts.null_count:
        return None
    total = int(sum(counts.to_pylist()))
    if "deletionVectors" in (table.protocol().reader_features or []):
        try:
            total -= _deleted_rows(table)
        except Exception:  # noqa: BLE001 - an unreadable vector: the count is unknown, the read still applies it
            return None
    return total


def _deleted_rows(table: Any) -> int:
    """Rows the table's deletion vectors remove (the vectors are small; read batch by batch)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    deleted = 0
    for batch in pa.RecordBatchReader.from_stream(table.deletion_vectors()):
        keep = pc.list_flatten(batch.column("selection_vector"))
        deleted += len(keep) - pc.sum(keep).as_py() if len(keep) else 0
    return deleted


def schema(table: Any) -> "pa.Schema":
    """The table's Arrow schema (logical column names)."""
    import pyarrow as pa

    return pa.schema(table.schema().to_arrow())


#: Reader features that leave a table's Parquet files, read as they are, its rows.
_PLAIN_FEATURES = {"timestampNtz"}


def plain_files(table: Any) -> list[str] | None:
    """The paths of the table's files (relative to its folder, ``/``-separated) when those files,
    read as plain Parquet, are exactly its rows; else None: partition values live in paths,
    deletion vectors drop rows, column mapping renames columns, and a reader feature this list
    does not know may change anything."""
    import pyarrow as pa

    protocol = table.protocol()
    features = set(protocol.reader_features or [])
    if protocol.min_reader_version == 2 or features - _PLAIN_FEATURES or table.metadata().partition_columns:
        return None  # reader version 2 is column mapping's
    return pa.table(table.get_add_actions(flatten=True)).column("path").to_pylist()


def dataset(table: Any) -> "ds.Dataset":
    """A pyarrow Dataset over exactly the files the log lists.

    Tables with deletion vectors or column mapping cannot be read as pyarrow
    fragments: for them this is a dataset over deltalake's own scan, which can
    be scanned only once (:func:`scan` gives a re-scannable stream).
    """
    from deltalake.exceptions import DeltaProtocolError

    try:
        return table.to_pyarrow_dataset()
    except DeltaProtocolError:
        import pyarrow.dataset as pds

        return pds.dataset(_engine_stream(table, None).reader())


def scan(
    table: Any,
    columns: Sequence[str] | None = None,
    where: str | None = None,
    after: tuple[str, Any] | None = None,
    *,
    reader: Reader = "auto",
) -> ArrowStream:
    """What the executor registers in DuckDB: a bounded, re-scannable stream over the table.

    A pyarrow Dataset registered directly lets DuckDB read far ahead (memory
    grows with the table); :func:`bounded_scan` reads a file and a batch at a
    time, skipping what the parts of ``where``/``after`` it can apply exactly
    rule out. The sampling query applies both in full.
    """
    from deltalake.exceptions import DeltaProtocolError

    if reader != "datafusion":
        try:
            return bounded_scan(table.to_pyarrow_dataset(), columns, where, after)
        except DeltaProtocolError:  # deletion vectors, column mapping: deltalake's engine applies them
            if reader == "pyarrow":
                raise
    return _engine_stream(table, columns)


def _engine_stream(table: Any, columns: Sequence[str] | None) -> ArrowStream:
    """A re-scannable stream of the table through deltalake's engine (applies deletion vectors)."""
    import pyarrow as pa

    full = schema(table)
    wanted = list(columns) if columns else full.names
    target = pa.schema([full.field(c) for c in wanted])

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in pa.RecordBatchReader.from_stream(table.scan(columns=wanted)):
            yield batch if batch.schema.equals(target) else batch.cast(target)

    return ArrowStream(target, batches)
