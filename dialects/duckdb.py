"""DuckDB: transactional DDL, CREATE OR REPLACE, MERGE, and table functions that read files."""

from __future__ import annotations

import re
from typing import Any

from faborite.dialects.base import Dialect, FileFormat
from faborite.errors import ProviderError

_OPTION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class DuckDBDialect(Dialect):
    """DuckDB SQL; everything but file reading is the generic SQL of the base."""

    name = "duckdb"
    sqlglot_dialect = "duckdb"
    transactional_ddl = True
    row_versioned_incremental = True
    supports_create_or_replace_view = True
    supports_merge = True
    default_schema = "main"
    file_formats = frozenset({"parquet", "csv", "json"})

    #: The table function per format. read_csv and read_json detect the layout
    #: themselves (read_csv_auto/read_json_auto are aliases of them), and options
    #: given override the detection.
    READERS = {"parquet": "read_parquet", "csv": "read_csv", "json": "read_json"}

    def read_files(self, format: FileFormat, paths: list[str], options: dict[str, Any]) -> str:
        """``read_parquet(['a', 'b'], hive_partitioning = TRUE)`` and the like."""
        reader = self.READERS.get(format)
        if reader is None:
            raise ProviderError(
                f"DuckDB cannot read files of format {format!r}", hint=f"use one of {', '.join(sorted(self.READERS))}"
            )
        if not paths:
            raise ProviderError(f"no files to read with {reader}")
        args = [self._value(list(paths))]
        for key, value in options.items():
            # Option names are spliced into SQL, so only plain identifiers pass.
            if not _OPTION_NAME.match(key):
                raise ProviderError(f"invalid option name {key!r} for {reader}")
            args.append(f"{key} = {self._value(value)}")
        return f"{reader}({', '.join(args)})"

    def _value(self, value: Any) -> str:
        """A literal that may also be a list (``[...]``) or a struct (``{'k': v}``), as DuckDB options take."""
        if isinstance(value, (list, tuple)):
            return "[" + ", ".join(self._value(v) for v in value) + "]"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{self.literal(str(k))}: {self._value(v)}" for k, v in value.items()) + "}"
        return self.literal(value)
