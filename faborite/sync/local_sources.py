"""Table sources other than Fabric: Delta folders, data files, SQL databases.

Each implements :class:`faborite.sync.source.TableSource` plus ``scan()``
(:class:`faborite.sync.source.ScanSource`): the lazy, re-scannable thing the
executor registers in DuckDB, restricted to the columns the sampling query
needs. DuckDB may scan it more than once in one query (stratified sampling
counts strata first), so a stream-backed scan re-opens its stream per scan.

- :class:`DeltaFolderSource` reads each table through its Delta log
  (deltalake), never by listing Parquet files: files a later commit removed
  stay removed, partitions are never missed. OneLake reuses it with its own
  ``list_dirs`` and storage options.
- :class:`FilesSource` reads Parquet, CSV and JSON-lines files (paths, folders,
  globs; hive partitions) through pyarrow datasets.
- :class:`SqlSource` streams rows from any SQLAlchemy database in batches.
"""

from __future__ import annotations

import glob as globlib
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from faborite.errors import ProviderError, did_you_mean
from faborite.sync.source import SourceTableInfo

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


# -- Delta ------------------------------------------------------------------


class DeltaFolderSource:
    """Delta tables under a folder: ``root/<table>/_delta_log`` or ``root/<schema>/<table>/_delta_log``.

    ``root`` is a local path or any URL deltalake opens (``az://``,
    ``abfss://``, ``s3://``) with ``storage_options``. Listing tables under a
    URL needs ``list_dirs(url) -> names of its immediate sub-folders`` (the
    OneLake provider passes one); describing a named table does not.
    In a schema-enabled layout, a bare name also finds ``<default_schema>.<name>``.
    ``reader``: ``pyarrow`` datasets (DuckDB pushes projection and filters
    into them), ``datafusion`` (deltalake's query engine, which also reads
    deletion vectors and column mapping), or ``auto``: pyarrow when the table
    allows it.
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
    ) -> "ds.Dataset | ArrowStream":
        """What the executor registers: the pyarrow dataset, or a deltalake-engine stream when needed.

        ``where`` and ``after`` are applied by the sampling query; a pyarrow
        dataset gets them pushed down by DuckDB itself.
        """
        from deltalake.exceptions import DeltaProtocolError

        if self.reader != "datafusion":
            try:
                return self._table(name).to_pyarrow_dataset()
            except DeltaProtocolError:
                if self.reader == "pyarrow":
                    raise
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

_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".json": "json", ".jsonl": "json", ".ndjson": "json"}
_COMPRESSED = (".gz", ".bz2", ".zst", ".lz4")


class FilesSource:
    """Tables made of Parquet, CSV or JSON-lines files.

    ``tables`` maps a table name to a file, a folder (every data file under
    it) or a glob (``data/orders/**/*.parquet``); or ``folder`` makes each
    sub-folder and each data file in it a table. Relative paths resolve from
    ``base_dir``. Hive partition folders (``region=eu/``) become columns.
    The version is a digest of every file's relative path, size and mtime.
    """

    def __init__(
        self,
        tables: Mapping[str, str] | None = None,
        *,
        folder: str | Path | None = None,
        format: Literal["parquet", "csv", "json"] | None = None,
        base_dir: str | Path | None = None,
        partitioning: Literal["hive"] | None = "hive",
    ) -> None:
        if (tables is None) == (folder is None):
            raise ProviderError("a files source needs exactly one of a table->path mapping or a folder")
        self.base_dir = Path(base_dir) if base_dir is not None else Path.cwd()
        self._patterns = dict(tables or {})
        self.folder = self._abs(str(folder)) if folder is not None else None
        self.format = format
        self.partitioning = partitioning
        self._files: dict[str, tuple[str, list[str], str]] = {}  # name -> (base, files, format) as described

    def __repr__(self) -> str:
        return f"FilesSource({self.folder or self._patterns!r})"

    def table_names(self) -> list[str]:
        """The tables' names, sorted."""
        return sorted(self._table_patterns())

    def list_tables(self) -> list[SourceTableInfo]:
        """Every table, with its files digest as version."""
        return [self.describe(name) for name in self.table_names()]

    def describe(self, name: str) -> SourceTableInfo:
        """The files of ``name`` and their digest (sizes and mtimes only; no data read)."""
        pattern = self._pattern(name)
        base, files = _expand(pattern)
        if not files:
            raise ProviderError(f"table {name!r}: no data files match {pattern}")
        fmt = self.format or _format_of(files, name)
        digest = hashlib.sha256()
        for path in files:
            stat = os.stat(path)
            digest.update(f"{os.path.relpath(path, base)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        self._files[name] = (base, files, fmt)
        return SourceTableInfo(name=name, version=digest.hexdigest()[:16], location=pattern)

    def schema(self, name: str) -> "pa.Schema":
        """The dataset's schema (partition columns last)."""
        return self.dataset(name).schema

    def dataset(self, name: str) -> "ds.Dataset":
        """A pyarrow dataset over the files found when ``name`` was last described."""
        import pyarrow.dataset as ds

        if name not in self._files:
            self.describe(name)
        base, files, fmt = self._files[name]
        return ds.dataset(
            files, format=fmt, partitioning=self.partitioning, partition_base_dir=base if self.partitioning else None
        )

    def scan(self, name: str, columns: Sequence[str] | None = None, where: str | None = None, after: Any = None) -> "ds.Dataset":
        """The dataset: DuckDB pushes projection and filters into it."""
        return self.dataset(name)

    def close(self) -> None:
        """Nothing to release."""

    def _abs(self, path: str) -> str:
        return str(Path(path) if os.path.isabs(path) else self.base_dir / path)

    def _table_patterns(self) -> dict[str, str]:
        if self.folder is None:
            return {name: self._abs(p) for name, p in self._patterns.items()}
        found = {}
        with os.scandir(self.folder) as entries:
            for entry in entries:
                if entry.name.startswith((".", "_")):
                    continue
                if entry.is_dir():
                    found[entry.name] = entry.path
                elif _format_of([entry.name], None, strict=False):
                    found[_stem(entry.name)] = entry.path
        return found

    def _pattern(self, name: str) -> str:
        patterns = self._table_patterns()
        if name not in patterns:
            raise ProviderError(
                f"no table {name!r} in files source {self.folder or ''}".rstrip(),
                hint=did_you_mean(name, patterns) or f"tables: {', '.join(sorted(patterns)) or '(none)'}",
            )
        return patterns[name]


def _expand(pattern: str) -> tuple[str, list[str]]:
    """(partition base folder, sorted data files) for a file, folder or glob."""
    if any(ch in pattern for ch in "*?["):
        base = pattern
        while any(ch in base for ch in "*?["):
            base = os.path.dirname(base)
        files = [p for p in globlib.glob(pattern, recursive=True) if os.path.isfile(p)]
    elif os.path.isdir(pattern):
        base = pattern
        files = []
        for folder, dirs, names in os.walk(pattern):
            dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
            files.extend(os.path.join(folder, n) for n in names if not n.startswith((".", "_")))
    elif os.path.isfile(pattern):
        base, files = os.path.dirname(pattern), [pattern]
    else:
        base, files = pattern, []
    # A pattern inside a partition folder (orders/region=eu/*.parquet) keeps its partition columns.
    while "=" in os.path.basename(base.rstrip(os.sep)) and os.path.dirname(base) != base:
        base = os.path.dirname(base.rstrip(os.sep))
    return base, sorted(files)


def _format_of(files: Sequence[str], name: str | None, *, strict: bool = True) -> str | None:
    kinds = set()
    for path in files:
        lower = path.lower()
        for ext in _COMPRESSED:
            lower = lower.removesuffix(ext)
        kinds.add(_FORMATS.get(os.path.splitext(lower)[1]))
    if len(kinds) == 1 and None not in kinds:
        return kinds.pop()
    if not strict:
        return None
    raise ProviderError(
        f"table {name!r}: cannot tell the file format from the file names ({', '.join(sorted(map(str, kinds)))})",
        hint="give the source a format: parquet, csv or json; one format per table",
    )


def _stem(filename: str) -> str:
    lower = filename
    for ext in _COMPRESSED:
        lower = lower.removesuffix(ext)
    return os.path.splitext(lower)[0]


# -- SQL databases ------------------------------------------------------------

_SYSTEM_SCHEMAS = {"information_schema", "pg_catalog", "pg_toast", "mysql", "performance_schema", "sys"}


class SqlSource:
    """Tables of a SQL database, through SQLAlchemy (postgres, mysql, sqlite, ...).

    Tables of the default schema are named plainly (``orders``), others
    ``schema.table``. The version is the row count, plus the largest value of
    the cursor column (``cursor_column``: one name, or a map of table name to
    column; ``"*"`` is the default) when the table has it.
    ``scan()`` pushes the column list and the incremental cursor (as a bound
    parameter) into the database's query; ``where`` too when ``push_where``
    is set and sqlglot can translate it (the sampling query applies it again).
    """

    def __init__(
        self,
        url: str,
        *,
        schemas: Sequence[str] | None = None,
        cursor_column: str | Mapping[str, str] | None = None,
        batch_rows: int = 65_536,
        push_where: bool = False,
        engine_options: Mapping[str, Any] | None = None,
    ) -> None:
        import sqlalchemy

        self.engine = sqlalchemy.create_engine(url, **dict(engine_options or {}))
        self.schemas = list(schemas) if schemas is not None else None
        self._cursor = {"*": cursor_column} if isinstance(cursor_column, str) else dict(cursor_column or {})
        self.batch_rows = batch_rows
        self.push_where = push_where
        self._tables: dict[str, Any] = {}  # name -> reflected sqlalchemy Table

    def __repr__(self) -> str:
        return f"SqlSource({self.location!r})"

    @property
    def location(self) -> str:
        """The database URL without its password."""
        return self.engine.url.render_as_string(hide_password=True)

    def table_names(self) -> list[str]:
        """Every table and view: plain names in the default schema, ``schema.table`` elsewhere."""
        import sqlalchemy

        inspector = sqlalchemy.inspect(self.engine)
        default = inspector.default_schema_name
        schemas = self.schemas if self.schemas is not None else [
            s for s in inspector.get_schema_names() if s.lower() not in _SYSTEM_SCHEMAS
        ]
        names = []
        for schema in schemas:
            tables = inspector.get_table_names(schema=schema) + inspector.get_view_names(schema=schema)
            names.extend(t if schema == default else f"{schema}.{t}" for t in tables)
        return sorted(names)

    def list_tables(self) -> list[SourceTableInfo]:
        """Every table, with its row count (one query per table)."""
        return [self.describe(name) for name in self.table_names()]

    def describe(self, name: str) -> SourceTableInfo:
        """Row count (and the cursor column's maximum) of ``name``."""
        import sqlalchemy

        table = self._table(name)
        selects = [sqlalchemy.func.count()]
        cursor = self._cursor.get(name) or self._cursor.get("*")
        if cursor and cursor in table.c:
            selects.append(sqlalchemy.func.max(table.c[cursor]))
        with self.engine.connect() as conn:
            row = conn.execute(sqlalchemy.select(*selects).select_from(table)).one()
        count = int(row[0])
        version = str(count) if len(row) == 1 else f"{count}:{row[1]}"
        return SourceTableInfo(name=name, version=version, row_count=count, location=f"{self.location} {name}")

    def schema(self, name: str) -> "pa.Schema":
        """Column types mapped to Arrow from the reflected table."""
        import pyarrow as pa

        return pa.schema([pa.field(c.name, _arrow_type(c.type)) for c in self._table(name).columns])

    def dataset(self, name: str) -> ArrowStream:
        """Every row, streamed in batches: a re-scannable Arrow stream (not a pyarrow Dataset)."""
        return self.scan(name)

    def scan(
        self, name: str, columns: Sequence[str] | None = None, where: str | None = None, after: tuple[str, Any] | None = None
    ) -> ArrowStream:
        """Rows of ``name`` (only ``columns``, only past ``after=(cursor, value)``) in batches."""
        import pyarrow as pa
        import sqlalchemy

        table = self._table(name)
        full = self.schema(name)
        wanted = list(columns) if columns else full.names
        schema = pa.schema([full.field(c) for c in wanted])
        stmt = sqlalchemy.select(*[table.c[c] for c in wanted])
        if after is not None and after[0] in table.c:
            stmt = stmt.where(table.c[after[0]] > after[1])
        pushed = self._translate(where) if where and self.push_where else None
        if pushed:
            stmt = stmt.where(sqlalchemy.text(pushed))
        converters = [_converter(field.type) for field in schema]
        engine, batch_rows = self.engine, self.batch_rows

        def batches() -> Iterator[pa.RecordBatch]:
            with engine.connect() as conn:
                result = conn.execution_options(stream_results=True, yield_per=batch_rows).execute(stmt)
                for rows in result.partitions(batch_rows):
                    arrays = [conv(list(values)) for conv, values in zip(converters, zip(*rows))]
                    yield pa.RecordBatch.from_arrays(arrays, schema=schema)

        return ArrowStream(schema, batches)

    def close(self) -> None:
        """Close the database connections."""
        self.engine.dispose()

    def _table(self, name: str) -> Any:
        if name in self._tables:
            return self._tables[name]
        import sqlalchemy

        schema, _, table_name = name.rpartition(".")
        try:
            table = sqlalchemy.Table(table_name, sqlalchemy.MetaData(), schema=schema or None, autoload_with=self.engine)
        except sqlalchemy.exc.NoSuchTableError:
            known = self.table_names()
            raise ProviderError(
                f"no table {name!r} in {self.location}",
                hint=did_you_mean(name, known) or f"tables: {', '.join(known) or '(none)'}",
            ) from None
        self._tables[name] = table
        return table

    def _translate(self, where: str) -> str | None:
        try:
            import sqlglot

            return sqlglot.transpile(where, read="duckdb", write=self.engine.dialect.name)[0]
        except Exception:  # noqa: BLE001 - not translatable: DuckDB filters alone
            return None


def _arrow_type(sa_type: Any) -> "pa.DataType":
    """The Arrow type for a SQLAlchemy column type (unknown types become strings)."""
    import pyarrow as pa
    from sqlalchemy import types as t

    if isinstance(sa_type, t.Boolean):
        return pa.bool_()
    if isinstance(sa_type, t.SmallInteger):
        return pa.int16()
    if isinstance(sa_type, t.Integer):
        return pa.int64()
    if isinstance(sa_type, t.Float):
        return pa.float64()
    if isinstance(sa_type, t.Numeric):
        p, s = sa_type.precision, sa_type.scale
        return pa.decimal128(p, s or 0) if p and p <= 38 else pa.float64()
    if isinstance(sa_type, t.DateTime):
        return pa.timestamp("us", tz="UTC" if getattr(sa_type, "timezone", False) else None)
    if isinstance(sa_type, t.Date):
        return pa.date32()
    if isinstance(sa_type, t.Time):
        return pa.time64("us")
    if isinstance(sa_type, t.Interval):
        return pa.duration("us")
    if isinstance(sa_type, t._Binary):
        return pa.binary()
    return pa.string()


def _converter(type_: "pa.DataType") -> Callable[[list[Any]], "pa.Array"]:
    import pyarrow as pa

    if pa.types.is_string(type_):
        def to_text(values: list[Any]) -> pa.Array:
            return pa.array(
                [v if v is None or isinstance(v, str) else (json.dumps(v) if isinstance(v, (dict, list)) else str(v)) for v in values],
                type=type_,
            )
        return to_text
    if pa.types.is_floating(type_):
        return lambda values: pa.array([None if v is None else float(v) for v in values], type=type_)
    return lambda values: pa.array(values, type=type_)


def _is_url(path: str) -> bool:
    return "://" in path
