"""The scratch engine: the embedded SQL engine a sync computes in.

A sync samples, filters, masks and (for file outputs) writes and merges its
rows in a private, in-process, in-memory DuckDB. That engine is a library
faborite depends on, like pyarrow: it is never a target, a project does not
choose or configure it, it holds no data beyond one table's sync and it reads
and writes nothing but the Arrow streams and files it is handed. So the same
sync samples the same rows whatever target the project uses.

This module is the only one in ``faborite/`` that knows which engine that is
(tests/test_engine_neutral.py checks it). The rest of :mod:`faborite.sync`
imports from here:

- :func:`scratch_connection`: a private connection (DB-API-like: ``execute``,
  ``sql``, ``register``) that spills to its own temporary folder;
- :func:`scratch_errors`: a context manager turning the engine's errors into
  faborite errors (:class:`~faborite.errors.ProviderError` by default);
- :data:`SCRATCH_DIALECT`: the SQL dialect sync ``where:`` clauses and
  ``sample.query`` are written in (a sqlglot name, and faborite's dialect of
  the same name renders literals for it);
- :func:`scratch_types` and :func:`recording_failures`: the engine's column
  types of an Arrow schema, and a stream's own error instead of the engine's text.

A leaf module: the executor and the file sinks both import it, not each other.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from faborite.errors import FaboriteError, ProviderError

if TYPE_CHECKING:
    import pyarrow as pa

#: The dialect of the SQL a sync's ``where``, cursor predicate and ``sample.query`` are written in.
SCRATCH_DIALECT = "duckdb"


@contextmanager
def scratch_connection(threads: int | None = None, memory_limit: str | None = None) -> Iterator[Any]:
    """A private in-memory connection that spills to its own temporary folder (removed on exit)."""
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


@contextmanager
def scratch_errors(what: str | Callable[[Exception], FaboriteError]) -> Iterator[None]:
    """Re-raise an engine error of the block as a faborite error (chained to the original).

    ``what`` is a prefix (``ProviderError("<what>: <first line of the message>")``)
    or a function from the engine's exception to the error to raise. Any
    other exception passes through unchanged.
    """
    import duckdb

    try:
        yield
    except duckdb.Error as exc:
        if callable(what):
            raise what(exc) from exc
        raise ProviderError(f"{what}: {str(exc).splitlines()[0]}") from exc


def scratch_types(con: Any, schema: "pa.Schema") -> dict[str, str]:
    """The engine's SQL type of each column of ``schema``, by name."""
    con.register("__faborite_empty", schema.empty_table())
    try:
        rows = con.execute("DESCRIBE SELECT * FROM __faborite_empty").fetchall()
    finally:
        con.unregister("__faborite_empty")
    return {name: type_ for name, type_, *_ in rows}


def recording_failures(rows: "pa.RecordBatchReader", failures: list[BaseException]) -> "pa.RecordBatchReader":
    """``rows``, with any exception it raises appended to ``failures`` as it passes.

    The engine turns an error of a Python stream it reads into its own text;
    the caller re-raises the recorded exception instead, so it surfaces as itself.
    """
    import pyarrow as pa

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            yield from rows
        except Exception as exc:
            failures.append(exc)
            raise

    return pa.RecordBatchReader.from_batches(rows.schema, batches())
