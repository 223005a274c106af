"""The private in-memory DuckDB a sync runs its query in, and how Python streams are fed to it.

The executor samples in it and the file sinks ``COPY`` and merge through it;
both import it from here (a leaf module), not from each other.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa


@contextmanager
def scratch_duckdb(threads: int | None = None, memory_limit: str | None = None) -> Iterator[Any]:
    """A private in-memory DuckDB that spills to its own temporary folder (removed on exit)."""
    import duckdb

    spill = tempfile.mkdtemp(prefix="faborite-sync-")
    config: dict[str, Any] = {"python_enable_replacements": False, "temp_directory": spill}
    if threads:
        config["threads"] = threads
    if memory_limit:
        config["memory_limit"] = memory_limit
    con = duckdb.connect(":memory:", config=config)
    con.execute("SET enable_progress_bar = false")  # progress is the caller's to show
    try:
        yield con
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def recording_failures(rows: "pa.RecordBatchReader", failures: list[BaseException]) -> "pa.RecordBatchReader":
    """``rows``, with any exception it raises appended to ``failures`` as it passes.

    DuckDB turns an error of a Python stream it reads into its own text; the
    caller re-raises the recorded exception instead, so it surfaces as itself.
    """
    import pyarrow as pa

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            yield from rows
        except Exception as exc:
            failures.append(exc)
            raise

    return pa.RecordBatchReader.from_batches(rows.schema, batches())
