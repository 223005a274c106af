"""Parquet, CSV and JSON-lines files (paths, folders, globs; hive partitions) as tables."""

from __future__ import annotations

import glob as globlib
import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from faborite.errors import ProviderError, did_you_mean
from faborite.sync.source import SourceTableInfo

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as ds

from faborite.sync.streams import ArrowStream, bounded_scan

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

    def scan(self, name: str, columns: Sequence[str] | None = None, where: str | None = None, after: Any = None) -> ArrowStream:
        """A bounded scan of the files (see :func:`bounded_scan`)."""
        return bounded_scan(self.dataset(name), columns, where, after)

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

