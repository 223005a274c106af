"""Copy one table from a source to a sink: register, sample, stream, count.

:func:`sync_table` opens its own in-memory scratch connection
(:mod:`faborite.sync.scratch`: DuckDB), registers the source's lazy scan as
``src`` (``scan()`` narrowed to the columns the query needs, else
``dataset()``), runs the one sampling query
(:mod:`faborite.sync.sampling`) and hands the sink a RecordBatchReader over
the query's streaming result. Batches pass through one at a time (rows and
bytes counted, progress reported, the next cursor tracked), so memory does
not grow with the table: DuckDB pulls from the source as the sink pulls from
DuckDB, and the sampling operators hold about ``rows`` rows at most (DuckDB
spills past ``memory_limit`` into a private temporary folder).

A transient storage error anywhere in the attempt (opening the table, reading
it, writing the sink) retries the whole table: sinks are atomic, so a failed
attempt left nothing behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from faborite.crashpoints import crash_point
from faborite.errors import FaboriteError, ProviderError
from faborite.sync import SyncError
from faborite.sync.retry import retry
from faborite.sync.sampling import SOURCE, SampleQuery, build_sample_query, plan_reads
from faborite.sync.scratch import recording_failures, scratch_connection, scratch_errors
from faborite.sync.sinks import Sink
from faborite.sync.source import ScanSource, SourceTableInfo, TableSource
from faborite.sync.spec import SyncSpec

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class SyncResult:
    """What one table's sync did.

    ``bytes`` is the Arrow in-memory size of the rows written (not the output
    file size). ``new_cursor`` is the largest cursor value written (or the old
    one when no rows were). ``sink_version``: the Delta version committed.
    """

    rows: int
    bytes: int
    new_cursor: object | None
    seconds: float
    sink_version: str | None = None
    strategy: str | None = None  # what ran: 'full' when max_full_rows applied


def sync_table(
    source: TableSource,
    table: SourceTableInfo,
    spec: SyncSpec,
    sink: Sink,
    *,
    cursor_value: object | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    batch_rows: int = 65_536,
    threads: int | None = None,
    memory_limit: str | None = None,
    attempts: int = 5,
    retry_delay: float = 0.2,
) -> SyncResult:
    """Copy ``table`` of ``source`` into ``sink`` as ``spec`` says.

    Incremental (``spec.incremental``): rows past ``cursor_value`` only; with
    a ``cursor_value`` (not the first run) the sink merges them by key,
    otherwise it is replaced. ``on_progress(rows, bytes)`` gets the running
    totals after each batch (a retried attempt starts again from zero).
    ``threads`` / ``memory_limit``: DuckDB settings for this table's query.
    """
    started = time.perf_counter()
    merge = spec.incremental is not None and cursor_value is not None
    label = f"syncing table {table.name!r}"

    def attempt() -> SyncResult:
        with scratch_connection(threads, memory_limit) as con:
            schema = source.schema(table.name)
            reads = plan_reads(schema, spec, table=table.name, cursor_value=cursor_value)
            if isinstance(source, ScanSource):
                data = source.scan(table.name, reads.columns, reads.where, reads.after)
            else:
                data = source.dataset(table.name)
            watch = _SourceWatch(data)
            con.register(SOURCE, watch.registerable)
            row_count = table.row_count
            if row_count is None and spec.sample.max_full_rows is not None and spec.sample.strategy not in ("full", "sql"):
                row_count = _count(con)
            query = build_sample_query(
                schema, spec, table=table.name, row_count=row_count, cursor_value=cursor_value,
                merge=merge, describe=lambda sql: _describe(con, sql),
            )
            counter = _Counter(query, cursor_value, on_progress)
            result = _run_query(con, query.sql, batch_rows)
            reader = _reader(result.schema, counter.count(watch.batches(result)))
            if merge:
                written = sink.merge(reader, query.keys)
            else:
                written = sink.write(reader)
            return SyncResult(
                rows=counter.rows, bytes=counter.bytes, new_cursor=counter.cursor,
                seconds=time.perf_counter() - started, sink_version=written.version, strategy=query.strategy,
            )

    return retry(attempt, attempts=attempts, base_delay=retry_delay, what=label)


class _Counter:
    """Counts rows and bytes of the batches passing by, and tracks the cursor's maximum."""

    def __init__(self, query: SampleQuery, cursor_value: object | None, on_progress: Callable[[int, int], None] | None) -> None:
        self.rows = 0
        self.bytes = 0
        self.cursor = cursor_value
        self._cursor_column = query.cursor
        self._on_progress = on_progress

    def count(self, batches: "pa.RecordBatchReader") -> Iterator["pa.RecordBatch"]:
        import pyarrow.compute as pc

        for batch in batches:
            if batch.num_rows == 0:
                continue
            if self._cursor_column is not None:
                top = pc.max(batch.column(self._cursor_column)).as_py()
                if top is not None and (self.cursor is None or _greater(top, self.cursor)):
                    self.cursor = top
            self.rows += batch.num_rows
            self.bytes += batch.nbytes
            crash_point("sync:batch")
            if self._on_progress is not None:
                self._on_progress(self.rows, self.bytes)
            yield batch


class _SourceWatch:
    """Remembers an error the source's Python stream raised, so it surfaces as itself, not as DuckDB's text."""

    def __init__(self, data: Any) -> None:
        self.failures: list[BaseException] = []
        self.registerable = data
        # A pyarrow Dataset fails inside C++: DuckDB's message is all there is.
        if hasattr(data, "__arrow_c_stream__") and not _is_dataset(data):
            self.registerable = _WatchedStream(data, self.failures)

    def batches(self, result: "pa.RecordBatchReader") -> Iterator["pa.RecordBatch"]:
        """The query's batches; a failure is re-raised as the source's own error when it was one."""
        try:
            yield from result
        except Exception as exc:  # noqa: BLE001 - re-raised, classified
            if self.failures:
                raise self.failures[0] from None
            raise ProviderError(f"reading the source failed: {_clean(str(exc))}") from exc


class _WatchedStream:
    def __init__(self, inner: Any, failures: list[BaseException]) -> None:
        self._inner = inner
        self._failures = failures

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        import pyarrow as pa

        source = pa.RecordBatchReader.from_stream(self._inner)
        return recording_failures(source, self._failures).__arrow_c_stream__(requested_schema)


def _is_dataset(data: Any) -> bool:
    import pyarrow.dataset as ds

    return isinstance(data, ds.Dataset)


def _clean(message: str) -> str:
    """An engine message without the echoed SQL or an embedded Python traceback."""
    for marker in ("\nLINE ", " Detail: Python exception", "\nTraceback"):
        message = message.split(marker)[0]
    return message.strip()


def _greater(value: Any, than: Any) -> bool:
    try:
        return bool(value > than)
    except TypeError:  # e.g. a stored cursor that came back as text: the engine already filtered by it
        return True


def _reader(schema: "pa.Schema", batches: Iterator["pa.RecordBatch"]) -> "pa.RecordBatchReader":
    import pyarrow as pa

    return pa.RecordBatchReader.from_batches(schema, batches)


def _run_query(con: Any, sql: str, batch_rows: int) -> "pa.RecordBatchReader":
    with scratch_errors(lambda exc: _engine_error(exc, sql)):
        return con.sql(sql).to_arrow_reader(batch_rows)


def _describe(con: Any, sql: str) -> "pa.Schema":
    with scratch_errors(lambda exc: _engine_error(exc, sql)):
        return con.sql(sql).limit(0).to_arrow_table().schema


def _count(con: Any) -> int:
    with scratch_errors(lambda exc: _engine_error(exc, "count rows")):
        return int(con.sql(f"SELECT count(*) FROM {SOURCE}").fetchall()[0][0])


def _engine_error(exc: Exception, sql: str) -> FaboriteError:
    message = _clean(str(exc))
    if "Binder Error" in message or "Parser Error" in message or "Catalog Error" in message:
        return SyncError(f"the sampling query failed: {message}", hint="check where:, sample.query and column names")
    return ProviderError(f"the sampling query failed: {message}")
