"""Where synced rows land: a target table, a folder of files, or a sink plugin.

Every sink takes a :class:`pyarrow.RecordBatchReader` and consumes it batch by
batch, and every write is atomic: a reader of the output sees the old data or
the complete new data, never part of it, and a failure leaves nothing behind.

- :class:`TargetTableSink`: the target's ``create_table_from_arrow`` (one transaction);
- :class:`FileSink`: written into a temporary sibling folder (Parquet, CSV,
  JSON lines; compression; hive partitions), then renamed into place;
- any other output format (``delta``): a :class:`SinkProvider` registered
  under the ``faborite.sinks`` entry-point group by that name
  (:func:`faborite.plugins.load_sink_provider`), e.g.
  ``faborite.providers.delta_sink``.

``merge(rows, key)`` is the incremental write: the result holds the new rows
plus the previous version's rows whose key is not among them. Target tables
and files build a new version from ``previous``; a Delta sink merges into a
copy of it (one commit).

The file sinks write through the scratch engine (:mod:`faborite.sync.scratch`)
and pyarrow only, so they live here; sinks needing another library are plugins.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from faborite.errors import FaboriteError, ProviderError
from faborite.relation import Relation
from faborite.sync import SyncError
from faborite.sync.masking import quote
from faborite.sync.scratch import recording_failures, scratch_connection, scratch_errors, scratch_types

if TYPE_CHECKING:
    import pyarrow as pa

    from faborite.target import TargetConnection

FileFormat = Literal["parquet", "csv", "json"]
#: Output formats :class:`FileSink` writes; other file formats come from sink plugins.
FILE_SINK_FORMATS = frozenset({"parquet", "csv", "json"})
_EXTENSIONS = {"parquet": ".parquet", "csv": ".csv", "json": ".json"}  # what DuckDB names partitioned files
_CODEC_SUFFIX = {"gzip": ".gz", "zstd": ".zst"}


@dataclass(frozen=True)
class SinkResult:
    """Where the rows went; ``version``: the table version a versioned sink (Delta) committed."""

    location: str
    version: str | None = None


@runtime_checkable
class Sink(Protocol):
    """A place rows are written to, atomically."""

    def write(self, rows: "pa.RecordBatchReader") -> SinkResult:
        """Replace the output with ``rows``."""

    def merge(self, rows: "pa.RecordBatchReader", key: Sequence[str]) -> SinkResult:
        """The previous output's rows whose ``key`` is not in ``rows``, plus ``rows``."""


@runtime_checkable
class SinkProvider(Protocol):
    """Makes the sink of one output format; registered under ``faborite.sinks`` by that format's name.

    ``open`` gets the new version folder to write (it does not exist yet), the
    output's ``partition_by`` and ``compression`` (as configured, may be None),
    and ``previous``: the folder of the version an incremental merge starts
    from, else None. ``previous`` is never modified.
    """

    name: str

    def open(
        self,
        directory: Path,
        *,
        partition_by: Sequence[str] = (),
        compression: str | None = None,
        previous: Path | None = None,
    ) -> Sink:
        """The sink writing the new version into ``directory``."""


# -- a table in the target database (any engine) ---------------------------


class TargetTableSink:
    """A table in the target database; ``previous`` is the version a merge starts from."""

    def __init__(self, connection: "TargetConnection", relation: Relation, *, previous: Relation | None = None) -> None:
        self.connection = connection
        self.relation = relation
        self.previous = previous

    def write(self, rows: "pa.RecordBatchReader") -> SinkResult:
        """Create ``relation`` from ``rows`` (streamed; exists complete or not at all)."""
        self.connection.create_table_from_arrow(self.relation, rows)
        return SinkResult(location=self.relation.key)

    def merge(self, rows: "pa.RecordBatchReader", key: Sequence[str]) -> SinkResult:
        """Create ``relation`` = ``previous`` rows with other keys UNION ALL ``rows``, in one transaction."""
        if self.previous is None:
            return self.write(rows)
        con, dialect = self.connection, self.connection.dialect
        staging = Relation(schema_name=self.relation.schema_name, name=f"{self.relation.name}__staging_{uuid.uuid4().hex[:8]}")
        columns = rows.schema.names
        with con.transaction():
            con.create_table_from_arrow(staging, rows)
            # The same copy-on-write merge as incremental models (faborite/apply/incremental_build.py).
            con.execute(dialect.create_table_from_previous(
                self.relation, self.previous, f"SELECT * FROM {dialect.quote_relation(staging)}", columns,
                keep=dialect.key_not_in(staging, key)))
            con.execute(dialect.drop_table(staging))
        return SinkResult(location=self.relation.key)


# -- files ----------------------------------------------------------------------


class FileSink:
    """Files in ``directory`` (a fresh version folder the caller chooses).

    Streamed into ``<directory>.tmp-<uuid>``, then renamed to ``directory``:
    one ``part-0`` file (Parquet by pyarrow's writer, CSV and JSON lines by
    DuckDB's ``COPY``), or hive folders (``region=eu/part-N``, by ``COPY``)
    with ``partition_by``. ``compression``: parquet zstd|snappy|gzip|lz4|none
    (default snappy); csv and json gzip|zstd|none (default none).
    ``previous``: the version folder a merge reads its old rows from.
    ``threads``: DuckDB's, for ``COPY`` and merges (one keeps memory lowest;
    the input is a single stream anyway).
    """

    def __init__(
        self,
        directory: str | Path,
        format: FileFormat = "parquet",
        *,
        compression: str | None = None,
        partition_by: Sequence[str] = (),
        previous: str | Path | None = None,
        threads: int | None = 1,
    ) -> None:
        if format not in _EXTENSIONS:
            raise SyncError(f"unknown file format {format!r}", hint="formats: parquet, csv, json")
        self.directory = Path(directory)
        self.format = format
        self.compression = _codec(format, compression)
        self.partition_by = tuple(partition_by)
        self.previous = Path(previous) if previous is not None else None
        self.threads = threads

    @property
    def suffix(self) -> str:
        """The data files' extension (``.parquet``, ``.csv.gz``)."""
        return _EXTENSIONS[self.format] + ("" if self.format == "parquet" else _CODEC_SUFFIX.get(self.compression, ""))

    def write(self, rows: "pa.RecordBatchReader") -> SinkResult:
        """Write ``rows`` and publish the folder."""
        with self._staging() as tmp, _source_errors(rows) as watched:
            self._write(watched, tmp, "part")
        return SinkResult(location=str(self.directory))

    def merge(self, rows: "pa.RecordBatchReader", key: Sequence[str]) -> SinkResult:
        """Write ``rows``, then the ``previous`` folder's rows whose key is not among them; publish."""
        old_files = self._data_files(self.previous) if self.previous is not None else []
        if not old_files:
            return self.write(rows)
        schema = rows.schema
        with self._staging() as tmp:
            with _source_errors(rows) as watched:
                self._write(watched, tmp, "part")
            with scratch_connection(self.threads) as con:
                types = scratch_types(con, schema)
                new = self._read(self._data_files(tmp), types)
                old = self._read(old_files, types)
                columns = ", ".join(quote(c) for c in schema.names)
                match = " AND ".join(f"n.{quote(k)} IS NOT DISTINCT FROM o.{quote(k)}" for k in key)
                kept = f"SELECT {columns} FROM {old} AS o WHERE NOT EXISTS (SELECT 1 FROM {new} AS n WHERE {match})"
                try:
                    kept_rows = con.sql(kept).to_arrow_reader(65_536)
                except Exception as exc:  # noqa: BLE001 - reported with what was being read
                    raise ProviderError(f"reading the previous version {self.previous} failed: {str(exc).splitlines()[0]}") from exc
                self._write(kept_rows, tmp, "kept")
        return SinkResult(location=str(self.directory))

    # -- internals ------------------------------------------------------------

    @contextmanager
    def _staging(self) -> Iterator[Path]:
        """A temporary sibling folder, renamed to ``directory`` on success and removed on failure."""
        self.directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.directory.with_name(f"{self.directory.name}.tmp-{uuid.uuid4().hex}")
        try:
            yield tmp
            tmp.mkdir(exist_ok=True)  # an empty result still publishes an (empty) version
            _publish(tmp, self.directory)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def _write(self, rows: "pa.RecordBatchReader", tmp: Path, prefix: str) -> None:
        """Stream ``rows`` into ``tmp`` as ``<prefix>-N`` files."""
        if self.format == "parquet" and not self.partition_by:
            # pyarrow's writer holds one batch (DuckDB's COPY buffers row groups per thread).
            import pyarrow.parquet as pq

            tmp.mkdir(exist_ok=True)
            codec = "none" if self.compression == "uncompressed" else self.compression
            with pq.ParquetWriter(tmp / f"{prefix}-0{self.suffix}", rows.schema, compression=codec) as writer:
                for batch in rows:
                    writer.write_batch(batch)
            return
        options = [f"FORMAT {self.format}", f"COMPRESSION {self.compression}"]
        if self.format == "csv":
            options.append("HEADER true")
        if self.partition_by:
            cols = ", ".join(quote(c) for c in self.partition_by)
            options += [f"PARTITION_BY ({cols})", f"FILENAME_PATTERN '{prefix}-{{i}}'", "OVERWRITE_OR_IGNORE true"]
            target = tmp
        else:
            tmp.mkdir(exist_ok=True)
            target = tmp / f"{prefix}-0{self.suffix}"
        with scratch_connection(self.threads) as con:
            con.register("__faborite_rows", rows)
            _run(con, f"COPY (SELECT * FROM __faborite_rows) TO {_string(str(target))} ({', '.join(options)})")

    def _data_files(self, folder: Path | None) -> list[str]:
        if folder is None or not folder.is_dir():
            return []
        files, others = [], []
        for root, dirs, names in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                (files if name.endswith(self.suffix) else others).append(os.path.join(root, name))
        if others and not files:
            raise SyncError(
                f"the previous version {folder} holds no {self.suffix} files to merge into",
                hint="the output format or compression changed: run a full refresh instead of an incremental merge",
            )
        return files

    def _read(self, files: list[str], types: Mapping[str, str]) -> str:
        """A DuckDB table function reading ``files`` with the new rows' column types."""
        listing = "[" + ", ".join(_string(f) for f in files) + "]"
        hive = {c: types[c] for c in self.partition_by}
        options = []
        if self.partition_by:
            options += ["hive_partitioning = true", "hive_types = " + _struct(hive)]
        if self.format == "parquet":
            return f"read_parquet({', '.join([listing, *options])})"
        file_cols = _struct({c: t for c, t in types.items() if c not in hive})
        if self.format == "csv":
            return f"read_csv({', '.join([listing, 'header = true', 'columns = ' + file_cols, *options])})"
        return f"read_json({', '.join([listing, 'format = ' + _string('newline_delimited'), 'columns = ' + file_cols, *options])})"


def _publish(tmp: Path, directory: Path) -> None:
    """Rename ``tmp`` to ``directory``; an existing ``directory`` is moved aside first, then removed."""
    aside = None
    if directory.exists():
        aside = directory.with_name(f"{directory.name}.old-{uuid.uuid4().hex}")
        os.rename(directory, aside)
    try:
        os.rename(tmp, directory)
    except BaseException:
        if aside is not None:
            os.rename(aside, directory)
        raise
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


def _codec(format: str, compression: str | None) -> str:
    value = (compression or ("snappy" if format == "parquet" else "none")).lower()
    value = {"uncompressed": "none", "gz": "gzip", "zst": "zstd"}.get(value, value)
    allowed = {"parquet": {"snappy", "zstd", "gzip", "lz4", "brotli", "none"}, "csv": {"gzip", "zstd", "none"}}
    if value not in allowed.get(format, allowed["csv"]):
        raise SyncError(
            f"compression {compression!r} is not available for {format}",
            hint=f"choose one of: {', '.join(sorted(allowed.get(format, allowed['csv'])))}",
        )
    return "uncompressed" if value == "none" and format == "parquet" else value


# -- scratch engine helpers ------------------------------------------------------------


def _run(con: Any, sql: str) -> None:
    with scratch_errors("writing files failed"):
        con.execute(sql)


@contextmanager
def _source_errors(rows: "pa.RecordBatchReader") -> Iterator["pa.RecordBatchReader"]:
    """``rows`` for DuckDB to read; an error of the stream itself comes out as itself, not as DuckDB's text."""
    failures: list[BaseException] = []
    try:
        yield recording_failures(rows, failures)
    except Exception:
        if not failures:
            raise
        cause = failures[0]
        if isinstance(cause, FaboriteError):
            raise cause from None
        raise ProviderError(f"reading the rows to write failed: {type(cause).__name__}: {cause}") from cause


def _string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _struct(mapping: Mapping[str, str]) -> str:
    return "{" + ", ".join(f"{_string(k)}: {_string(v)}" for k, v in mapping.items()) + "}"
