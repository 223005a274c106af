"""Bounded, re-scannable Arrow streams: what the executor registers in DuckDB.

DuckDB may scan a source more than once in one query (stratified sampling
counts strata first), so a stream re-opens per scan; and it reads one file and
one batch at a time, so memory does not grow with the table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any


if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as ds

class ArrowStream:
    """A lazy Arrow stream DuckDB can scan any number of times.

    Each scan (each ``__arrow_c_stream__`` call) starts ``open()`` afresh;
    nothing is read until DuckDB pulls the first batch.
    """

    def __init__(self, schema: "pa.Schema", open: Callable[[], Iterator["pa.RecordBatch"]]) -> None:
        self.schema = schema
        self._open = open

    def reader(self) -> "pa.RecordBatchReader":
        """A new one-shot reader over the data."""
        import pyarrow as pa

        return pa.RecordBatchReader.from_batches(self.schema, self._open())

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        return self.reader().__arrow_c_stream__(requested_schema)


def bounded_scan(
    dataset: "ds.Dataset",
    columns: Sequence[str] | None = None,
    where: str | None = None,
    after: tuple[str, Any] | None = None,
    *,
    batch_rows: int = 65_536,
) -> ArrowStream:
    """A re-scannable stream over a pyarrow dataset that holds about one batch at a time.

    Registering a Dataset in DuckDB lets pyarrow read ahead 16 batches from
    4 files, each a whole row group, pre-buffered: peak memory then grows with
    row-group size and file count. Here Parquet files are read one at a time,
    batch by batch within a row group, through a small read buffer; other
    formats through a scanner reading one batch ahead. Projection, and the
    part of the filter pyarrow can apply exactly
    (:func:`faborite.sync.pushdown.pyarrow_filter`), prune files, partitions
    and row groups; the sampling query applies the whole filter again.
    """
    import pyarrow as pa
    import pyarrow.dataset as ds

    from faborite.sync.pushdown import pyarrow_filter

    full = dataset.schema
    wanted = [c for c in columns if c in full.names] if columns else list(full.names)
    schema = pa.schema([full.field(c) for c in wanted])
    predicate = pyarrow_filter(where, after, full)
    try:
        dataset.scanner(columns=wanted, filter=predicate)  # binds the filter to the schema, reads nothing
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, TypeError):
        predicate = None

    if isinstance(dataset, ds.FileSystemDataset) and isinstance(dataset.format, ds.ParquetFileFormat):
        def batches() -> Iterator[pa.RecordBatch]:
            yield from _parquet_batches(dataset, schema, predicate, batch_rows)
    else:
        def batches() -> Iterator[pa.RecordBatch]:
            scanner = dataset.scanner(
                columns=wanted, filter=predicate, batch_size=batch_rows, batch_readahead=1, fragment_readahead=1,
                use_threads=True,
            )
            yield from scanner.to_reader()

    return ArrowStream(schema, batches)


#: Bytes read from a Parquet file at a time (column chunks can be hundreds of MB).
_READ_BUFFER = 4 << 20


def _parquet_batches(dataset: "ds.FileSystemDataset", schema: "pa.Schema", predicate: Any, batch_rows: int) -> Iterator["pa.RecordBatch"]:
    """Batches of ``schema`` from the dataset's Parquet files, one file and one batch at a time."""
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    fragments = dataset.get_fragments(filter=predicate) if predicate is not None else dataset.get_fragments()
    for fragment in fragments:
        keys = ds.get_partition_keys(fragment.partition_expression) or {}
        row_groups = None
        if predicate is not None:
            try:
                row_groups = [rg.id for piece in fragment.split_by_row_group(predicate, schema=dataset.schema) for rg in piece.row_groups]
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                row_groups = None
            if row_groups == []:
                continue
        with pq.ParquetFile(fragment.path, filesystem=dataset.filesystem, pre_buffer=False, buffer_size=_READ_BUFFER) as file:
            in_file = set(file.schema_arrow.names)
            read = [f.name for f in schema if f.name in in_file and f.name not in keys]
            if not read:  # only partition (or missing) columns wanted: read one narrow column for the row count
                read = [file.schema_arrow.names[0]]
            for batch in file.iter_batches(batch_size=batch_rows, row_groups=row_groups, columns=read, use_threads=True):
                yield _conform(batch, schema, keys)


def _conform(batch: "pa.RecordBatch", schema: "pa.Schema", constants: Mapping[str, Any]) -> "pa.RecordBatch":
    """``batch`` with ``schema``'s columns: partition values filled in, columns a file lacks as NULL."""
    import pyarrow as pa

    arrays = []
    for field in schema:
        if field.name in constants:
            arrays.append(pa.array([constants[field.name]] * batch.num_rows, type=field.type))
        elif field.name in batch.schema.names:
            column = batch.column(field.name)
            arrays.append(column if column.type == field.type else column.cast(field.type))
        else:
            arrays.append(pa.nulls(batch.num_rows, type=field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
