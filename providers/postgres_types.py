"""Arrow <-> PostgreSQL types for the postgres target: column DDL, COPY rows, query results.

Three promises, each in one function:

- :func:`column_type`: every Arrow type a seed or a sync produces has a
  PostgreSQL column type that holds its values without loss (unsigned
  64-bit integers become ``numeric(20,0)``; nested values ``jsonb``); any
  other type is a :class:`ProviderError` naming the column, never a guess.
- :func:`copy_rows`: a record batch as Python rows psycopg's ``COPY`` writes,
  a batch at a time, so memory stays bounded by one batch.
- :func:`result_table`: a query result as a typed Arrow table, typed by the
  result's column types (not by its values), so an empty result keeps its
  columns and a NULL-only column keeps its type.

pyarrow is imported by the functions, never at module import.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from faborite.providers.arrow_values import decimal_type, is_bytes, is_text, no_column_type, python_values

if TYPE_CHECKING:
    import pyarrow as pa

#: PostgreSQL type OIDs (pg_type.oid, fixed across versions) of the scalar types faborite reads.
BOOL, BYTEA, CHAR, NAME, INT8, INT2, INT4, TEXT, OID, JSON = 16, 17, 18, 19, 20, 21, 23, 25, 26, 114
FLOAT4, FLOAT8, UNKNOWN, BPCHAR, VARCHAR, DATE, TIME = 700, 701, 705, 1042, 1043, 1082, 1083
TIMESTAMP, TIMESTAMPTZ, INTERVAL, NUMERIC, UUID, JSONB = 1114, 1184, 1186, 1700, 2950, 3802
_TEXTUAL = frozenset({CHAR, NAME, TEXT, JSON, UNKNOWN, BPCHAR, VARCHAR, UUID, JSONB})


def column_type(name: str, arrow_type: pa.DataType) -> str:
    """The PostgreSQL column type for Arrow type ``arrow_type`` (``name`` is for the message)."""
    import pyarrow as pa

    t = pa.types
    if t.is_dictionary(arrow_type):
        return column_type(name, arrow_type.value_type)
    if t.is_boolean(arrow_type):
        return "boolean"
    if t.is_integer(arrow_type):
        if arrow_type == pa.uint64():
            return "numeric(20,0)"
        # Signed width that holds every value: uint8 -> smallint, uint16 -> integer, uint32 -> bigint.
        bits = arrow_type.bit_width + (1 if t.is_unsigned_integer(arrow_type) else 0)
        return "smallint" if bits <= 16 else "integer" if bits <= 32 else "bigint"
    if t.is_floating(arrow_type):
        return "double precision" if arrow_type == pa.float64() else "real"
    if t.is_decimal(arrow_type):
        return f"numeric({arrow_type.precision},{arrow_type.scale})"
    if is_text(arrow_type):
        return "text"
    if is_bytes(arrow_type):
        return "bytea"
    if t.is_date(arrow_type):
        return "date"
    if t.is_timestamp(arrow_type):
        return "timestamptz" if arrow_type.tz else "timestamp"
    if t.is_time(arrow_type):
        return "time"
    if t.is_duration(arrow_type):
        return "interval"
    if t.is_null(arrow_type):
        return "text"  # no values to keep; text accepts whatever a later version holds
    if t.is_nested(arrow_type):
        return "jsonb"
    raise no_column_type(name, arrow_type, "PostgreSQL")


def copy_rows(batch: pa.RecordBatch) -> Iterator[tuple[Any, ...]]:
    """The rows of ``batch`` as tuples of Python values psycopg's ``COPY ... write_row`` writes."""
    columns = [_python_values(batch.column(i)) for i in range(batch.num_columns)]
    if not columns:  # a table without columns still has rows
        return iter([()] * batch.num_rows)
    return zip(*columns)


def _python_values(array: pa.Array) -> list[Any]:
    """One column as Python values matching :func:`column_type`'s choice for it."""
    return python_values(array, _nanoseconds_truncated)


def _nanoseconds_truncated(array: pa.Array) -> list[Any] | None:
    """Nanosecond timestamps, times and durations at microseconds; None for any other column.

    Python datetimes stop at microseconds; nanoseconds are truncated, as PostgreSQL would."""
    import pyarrow as pa

    t = pa.types
    kind = array.type
    if t.is_timestamp(kind) and kind.unit == "ns":
        return array.cast(pa.timestamp("us", tz=kind.tz), safe=False).to_pylist()
    if t.is_time(kind) and kind.unit == "ns":
        return array.cast(pa.time64("us"), safe=False).to_pylist()
    if t.is_duration(kind) and kind.unit == "ns":
        return array.cast(pa.duration("us"), safe=False).to_pylist()
    return None


def result_table(names: Sequence[str], types: Sequence[tuple[int, int | None, int | None]],
                 rows: Sequence[Sequence[Any]]) -> pa.Table:
    """A query result as an Arrow table: ``types`` holds (type oid, precision, scale) per column."""
    import pyarrow as pa

    arrays = []
    for index, (oid, precision, scale) in enumerate(types):
        values = [row[index] for row in rows]
        arrays.append(_result_array(oid, precision, scale, values))
    # Duplicate names (SELECT 1 AS a, 2 AS a) are allowed in a result, so no dict here.
    return pa.Table.from_arrays(arrays, names=list(names))


def _result_array(oid: int, precision: int | None, scale: int | None, values: list[Any]) -> pa.Array:
    import pyarrow as pa

    if oid in _TEXTUAL:
        # uuid comes back as uuid.UUID; json/jsonb are loaded as text by the connection.
        return pa.array([v if v is None or isinstance(v, str) else str(v) for v in values], pa.string())
    if oid == NUMERIC:
        return _numeric_array(precision, scale, values)
    arrow_type = _arrow_types().get(oid)
    if arrow_type is not None:
        return pa.array(values, arrow_type)
    # Arrays, ranges, enums, geometric types...: let Arrow infer, else their text.
    try:
        return pa.array(values)
    except (pa.ArrowException, TypeError, ValueError):
        return pa.array([v if v is None else str(v) for v in values], pa.string())


def _numeric_array(precision: int | None, scale: int | None, values: list[Any]) -> pa.Array:
    """``numeric(p,s)`` -> decimal(p,s); unconstrained numeric -> the decimal its values need.

    NaN and infinities have no decimal form, and an unconstrained numeric may need
    more digits than Arrow holds: those columns, and empty unconstrained ones, are float64.
    """
    import pyarrow as pa

    try:
        if precision and scale is not None:
            return pa.array(values, decimal_type(precision, scale))
        if any(v is not None for v in values):
            inferred = pa.array(values)
            if pa.types.is_decimal(inferred.type):
                return inferred
    except (pa.ArrowException, TypeError, ValueError):
        pass
    return pa.array([None if v is None else float(v) for v in values], pa.float64())


@functools.cache
def _arrow_types() -> dict[int, pa.DataType]:
    """Result column types by type oid, built once (pyarrow is imported on first use)."""
    import pyarrow as pa

    return {
        BOOL: pa.bool_(), INT2: pa.int16(), INT4: pa.int32(), INT8: pa.int64(), OID: pa.int64(),
        FLOAT4: pa.float32(), FLOAT8: pa.float64(), BYTEA: pa.binary(), DATE: pa.date32(),
        TIME: pa.time64("us"), TIMESTAMP: pa.timestamp("us"), TIMESTAMPTZ: pa.timestamp("us", tz="UTC"),
        INTERVAL: pa.duration("us"),
    }
