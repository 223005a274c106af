"""Writing a model's table on a local ``delta`` target with DuckDB's own Parquet writer.

deltalake's writer takes the rows as Arrow from DuckDB and encodes them on one
thread; DuckDB's ``COPY ... TO`` encodes row groups in parallel, straight from
its vectors, in smaller files (dictionary and run-length encodings): about
twice as fast for a model of a million rows. The files are then made a Delta
table in one commit:

1. DuckDB writes the query's rows into a fresh scratch folder inside the
   table's folder (``_faborite_write-<uuid>/``);
2. deltalake's ``convert_to_deltalake`` turns the scratch folder into a Delta
   table there, which computes each file's statistics (``numRecords``,
   ``nullCount``, ``minValues``/``maxValues``) exactly as deltalake would;
3. the files move up into the table's folder, and one commit creates the
   table with those add actions and statistics, under the schema deltalake's
   writer would have given the same rows (every column nullable: DuckDB marks
   a column ``required`` when this run's rows happen to hold no NULL, which is
   not a property of the model);
4. the scratch folder is removed.

Until step 3's commit there is no Delta log in the table's folder, so a crash
leaves at most files no log lists (the table does not exist, as with
deltalake's own writer).

Only plain column types take this path (:func:`arrow_schema`: their Parquet
form reads back as exactly the Arrow type deltalake's writer is given); any
other type, a column name Delta refuses, or a lakehouse behind a URL goes
through deltalake's writer as before.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

#: Cast on the way out: DuckDB's Parquet writer would write a HUGEINT (what ``sum()`` of integers
#: gives) as a DOUBLE; DuckDB hands it to deltalake's writer as ``decimal128(38, 0)``.
_WRITTEN_AS = {"HUGEINT": "DECIMAL(38, 0)"}
#: Characters Delta refuses in a column name without column mapping (deltalake's writer reports them).
_REFUSED_IN_NAMES = re.compile(r"[ ,;{}()\n\t=]")
_DECIMAL = re.compile(r"\ADECIMAL\((\d+),\s*(\d+)\)\Z")
_SCRATCH = "_faborite_write-"


def arrow_schema(names: list[str], types: list[str]) -> "pa.Schema | None":
    """The Arrow schema deltalake's writer would receive for DuckDB columns ``names``/``types``,
    every field nullable; None when a type is not plain (booleans, signed integers, floats,
    decimals, strings, dates, microsecond timestamps with or without time zone, blobs) or a name
    is one Delta refuses."""
    import pyarrow as pa

    simple = {"BOOLEAN": pa.bool_(), "TINYINT": pa.int8(), "SMALLINT": pa.int16(), "INTEGER": pa.int32(),
              "BIGINT": pa.int64(), "HUGEINT": pa.decimal128(38, 0), "FLOAT": pa.float32(), "DOUBLE": pa.float64(),
              "VARCHAR": pa.string(), "DATE": pa.date32(), "TIMESTAMP": pa.timestamp("us"),
              "TIMESTAMP WITH TIME ZONE": pa.timestamp("us", tz="UTC"), "BLOB": pa.binary()}
    fields = []
    if len(set(names)) != len(names):
        return None
    for name, kind in zip(names, types):
        decimal = _DECIMAL.match(kind)
        arrow = pa.decimal128(int(decimal.group(1)), int(decimal.group(2))) if decimal else simple.get(kind)
        if arrow is None or not name or _REFUSED_IN_NAMES.search(name):
            return None
        fields.append(pa.field(name, arrow, nullable=True))
    return pa.schema(fields)


@dataclass(frozen=True)
class WrittenTable:
    """A table :func:`write_table` wrote: what reading it back needs, known without reading it."""

    rows: int
    #: Its Parquet files (absolute paths), which alone are its rows.
    files: tuple[str, ...]
    #: ``(name, DuckDB type)`` of each column, in order, as DuckDB reads the files back.
    columns: tuple[tuple[str, str], ...]


def write_table(con: Any, folder: Path, body: str, *, dialect: Any, row_group_size: int | None) -> WrittenTable | None:
    """Write ``body``'s rows (a query DuckDB session ``con`` runs) as a new Delta table in the local
    folder ``folder``; None (nothing written) when this path does not apply (the caller then
    writes through deltalake). ``dialect`` quotes names and literals."""
    from deltalake import convert_to_deltalake
    from deltalake.schema import Schema
    from deltalake.transaction import AddAction, create_table_with_add_actions

    relation = con.sql(body)
    names, types = list(relation.columns), [str(t) for t in relation.types]
    schema = arrow_schema(names, types)
    if schema is None:
        return None
    if any(kind in _WRITTEN_AS for kind in types):
        columns = ", ".join(f"CAST({dialect.quote_identifier(n)} AS {_WRITTEN_AS[k]}) AS {dialect.quote_identifier(n)}"
                            if k in _WRITTEN_AS else dialect.quote_identifier(n) for n, k in zip(names, types))
        body = f"SELECT {columns} FROM ({body}) AS faborite_rows"
    folder.mkdir(parents=True, exist_ok=True)
    scratch = folder / f"{_SCRATCH}{uuid.uuid4().hex}"
    scratch.mkdir()
    try:
        options = ["FORMAT parquet", "COMPRESSION snappy", f"FILENAME_PATTERN 'part-{uuid.uuid4().hex}-{{i}}'",
                   "FILE_SIZE_BYTES '256MB'"]
        if row_group_size:
            options.append(f"ROW_GROUP_SIZE {int(row_group_size)}")
        written = con.execute(f"COPY ({body}) TO {dialect.literal(str(scratch))} ({', '.join(options)})").fetchone()
        convert_to_deltalake(str(scratch), mode="error")  # computes every file's statistics
        adds = []
        for action in _add_actions(scratch):
            os.replace(scratch / action["path"], folder / action["path"])
            adds.append(AddAction(path=action["path"], size=action["size"], partition_values={},
                                  modification_time=action["modificationTime"], data_change=True,
                                  stats=action.get("stats") or "{}"))
        create_table_with_add_actions(str(folder), Schema.from_arrow(schema), adds, mode="error")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return WrittenTable(rows=int(written[0]), files=tuple(str(folder / add.path) for add in adds),
                        columns=tuple((n, _WRITTEN_AS.get(k, k).replace(", ", ",")) for n, k in zip(names, types)))


def _add_actions(table: Path) -> list[dict[str, Any]]:
    """The add actions of the first commit of the Delta table in ``table`` (one folder, no partitions)."""
    log = table / "_delta_log" / f"{0:020d}.json"
    actions = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    adds = [action["add"] for action in actions if "add" in action]
    if any("/" in add["path"] or add["path"].startswith(".") for add in adds):
        from faborite.errors import ProviderError

        raise ProviderError(f"unexpected files in {table}: not what DuckDB wrote")
    return adds
