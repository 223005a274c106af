"""Arrow <-> MySQL/MariaDB types for the mysql target: column DDL, INSERT values, query results.

Three promises, each in one function:

- :func:`column_type`: every Arrow type a seed or a sync produces has a column
  type that holds its values without loss (unsigned integers stay unsigned;
  zoned timestamps are ``TIMESTAMP``, stored as UTC; nested values ``JSON``);
  any other type is a :class:`ProviderError` naming the column, never a guess.
- :func:`insert_values`: a record batch as rows of SQL literals for a
  multi-row ``INSERT``, a batch at a time, so memory stays bounded by one batch.
- :func:`result_table`: a query result as a typed Arrow table, typed by the
  result's column metadata (not by its values), so an empty result keeps its
  columns and a NULL-only column keeps its type.

pyarrow is imported by the functions, never at module import.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from faborite.errors import ProviderError
from faborite.providers.arrow_values import decimal_type, is_bytes, is_text, no_column_type, python_values

if TYPE_CHECKING:
    import pyarrow as pa

#: MySQL protocol column types (``pymysql.constants.FIELD_TYPE``), fixed by the wire protocol.
DECIMAL, TINY, SHORT, LONG, FLOAT, DOUBLE, NULL, TIMESTAMP, LONGLONG, INT24 = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9
DATE, TIME, DATETIME, YEAR, NEWDATE, VARCHAR, BIT, JSON, NEWDECIMAL = 10, 11, 12, 13, 14, 15, 16, 245, 246
ENUM, SET, TINY_BLOB, MEDIUM_BLOB, LONG_BLOB, BLOB, VAR_STRING, STRING, GEOMETRY = range(247, 256)
_TEXTUAL = frozenset({VARCHAR, JSON, ENUM, SET, TINY_BLOB, MEDIUM_BLOB, LONG_BLOB, BLOB, VAR_STRING, STRING})
UNSIGNED_FLAG = 32
#: The character set number of binary strings (BLOB, BINARY, VARBINARY).
BINARY_CHARSET = 63
#: MySQL's DECIMAL holds at most 65 digits, 30 of them after the point.
_MAX_PRECISION, _MAX_SCALE = 65, 30


def column_type(name: str, arrow_type: pa.DataType) -> str:
    """The MySQL column type for Arrow type ``arrow_type`` (``name`` is for the message)."""
    import pyarrow as pa

    t = pa.types
    if t.is_dictionary(arrow_type):
        return column_type(name, arrow_type.value_type)
    if t.is_boolean(arrow_type):
        return "BOOLEAN"
    if t.is_integer(arrow_type):
        kind = {8: "TINYINT", 16: "SMALLINT", 32: "INT", 64: "BIGINT"}[arrow_type.bit_width]
        return f"{kind} UNSIGNED" if t.is_unsigned_integer(arrow_type) else kind
    if t.is_floating(arrow_type):
        return "DOUBLE" if arrow_type == pa.float64() else "FLOAT"
    if t.is_decimal(arrow_type):
        if arrow_type.precision <= _MAX_PRECISION and 0 <= arrow_type.scale <= _MAX_SCALE:
            return f"DECIMAL({arrow_type.precision},{arrow_type.scale})"
        raise ProviderError(f"column {name!r}: {arrow_type} does not fit MySQL's DECIMAL (at most 65 digits, 30 "
                            "after the point)", hint="cast the column to a narrower decimal or to double")
    if is_text(arrow_type):
        return "LONGTEXT"
    if is_bytes(arrow_type):
        return "LONGBLOB"
    if t.is_date(arrow_type):
        return "DATE"
    if t.is_timestamp(arrow_type):
        digits = {"s": 0, "ms": 3}.get(arrow_type.unit, 6)
        # TIMESTAMP is an instant (stored as UTC, shown in the session's time zone, which is UTC);
        # DATETIME is a wall-clock time. NULL: older servers make a TIMESTAMP column NOT NULL otherwise.
        return f"TIMESTAMP({digits})" if arrow_type.tz else f"DATETIME({digits})"
    if t.is_time(arrow_type) or t.is_duration(arrow_type):
        return "TIME(6)"
    if t.is_null(arrow_type):
        return "LONGTEXT"  # no values to keep; text accepts whatever a later version holds
    if t.is_nested(arrow_type):
        return "JSON"
    raise no_column_type(name, arrow_type, "MySQL")


def insert_values(batch: pa.RecordBatch, escape: Callable[[Any], str]) -> Iterator[str]:
    """The rows of ``batch`` as ``(v1, v2, ...)`` SQL text; ``escape`` is the driver's literal writer."""
    columns = [_literals(batch.column(i), escape) for i in range(batch.num_columns)]
    for row in zip(*columns):
        yield "(" + ",".join(row) + ")"


def _literals(array: pa.Array, escape: Callable[[Any], str]) -> list[str]:
    """One column as SQL literals matching :func:`column_type`'s choice for it."""
    import pyarrow as pa

    t = pa.types
    if t.is_integer(array.type):  # the common case, without the driver's per-value dispatch
        return ["NULL" if v is None else str(v) for v in array.to_pylist()]
    return [escape(v) for v in _python_values(array)]


def _python_values(array: pa.Array) -> list[Any]:
    """One column as Python values the driver writes as literals of the column's type."""
    return python_values(array, _mysql_values)


def _mysql_values(array: pa.Array) -> list[Any] | None:
    """Times, durations and decimals as MySQL takes them; None for any other type."""
    import pyarrow as pa

    t = pa.types
    kind = array.type
    if t.is_timestamp(kind):
        # Python datetimes stop at microseconds; an instant is written as its UTC wall time.
        unit = "us" if kind.unit == "ns" else kind.unit
        values = array.cast(pa.timestamp(unit, tz="UTC" if kind.tz else None), safe=False).to_pylist()
        return [v.replace(tzinfo=None) if v is not None and v.tzinfo else v for v in values]
    if t.is_time(kind):
        if kind.unit == "ns":
            array = array.cast(pa.time64("us"), safe=False)
        return array.to_pylist()
    if t.is_duration(kind):
        return array.cast(pa.duration("us"), safe=False).to_pylist()
    if t.is_decimal(kind):
        return [None if v is None else str(v) for v in array.to_pylist()]
    return None


def result_table(fields: Sequence[Any], rows: Sequence[Sequence[Any]]) -> pa.Table:
    """A query result as an Arrow table; ``fields`` are the driver's column metadata (``name``,
    ``type_code``, ``length``, ``scale``, ``flags``, ``charsetnr``)."""
    import pyarrow as pa

    arrays = [_result_array(f, [row[i] for row in rows]) for i, f in enumerate(fields)]
    # Duplicate names (SELECT 1 AS a, 2 AS a) are allowed in a result, so no dict here.
    return pa.Table.from_arrays(arrays, names=[f.name for f in fields])


def _result_array(f: Any, values: list[Any]) -> pa.Array:
    import pyarrow as pa

    code, unsigned = f.type_code, bool(f.flags & UNSIGNED_FLAG)
    if code in _TEXTUAL:
        if f.charsetnr == BINARY_CHARSET and code != JSON:
            return pa.array([v if v is None or isinstance(v, bytes) else str(v).encode() for v in values], pa.binary())
        return pa.array([v if v is None or isinstance(v, str) else _text(v) for v in values], pa.string())
    if code in (DECIMAL, NEWDECIMAL):
        return _decimal_array(f, unsigned, values)
    if code == TINY and f.length == 1 and not unsigned:  # BOOLEAN is TINYINT(1)
        return pa.array([None if v is None else bool(v) for v in values], pa.bool_())
    if code == BIT:
        return pa.array([None if v is None else int.from_bytes(v, "big") for v in values], pa.int64())
    if code == TIME:
        return _time_array(values)
    arrow_type = _arrow_types().get((code, unsigned))
    try:
        if arrow_type is not None:
            return pa.array(values, arrow_type() if callable(arrow_type) else arrow_type)
        return pa.array(values)
    except (pa.ArrowException, TypeError, ValueError):
        # Zero dates ('0000-00-00') come back as text; geometry as bytes: keep what came.
        return pa.array([v if v is None else _text(v) for v in values], pa.string())


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _decimal_array(f: Any, unsigned: bool, values: list[Any]) -> pa.Array:
    """DECIMAL(p,s) -> decimal(p,s): the column length counts the sign and the point."""
    import pyarrow as pa

    scale = f.scale or 0
    precision = max(f.length - (1 if scale else 0) - (0 if unsigned else 1), scale, 1)
    try:
        return pa.array(values, decimal_type(precision, scale))
    except (pa.ArrowException, TypeError, ValueError):
        return pa.array([None if v is None else float(v) for v in values], pa.float64())


def _time_array(values: list[Any]) -> pa.Array:
    """TIME comes back as a timedelta: a time of day when every value is one, else a duration."""
    import pyarrow as pa

    day = dt.timedelta(days=1)
    if all(v is None or dt.timedelta(0) <= v < day for v in values):
        return pa.array([None if v is None else (dt.datetime.min + v).time() for v in values], pa.time64("us"))
    return pa.array(values, pa.duration("us"))


@functools.cache
def _arrow_types() -> dict[tuple[int, bool], Any]:
    """Result column types by (type code, unsigned), built once (pyarrow is imported on first use)."""
    import pyarrow as pa

    types: dict[tuple[int, bool], Any] = {
        (FLOAT, False): pa.float32, (DOUBLE, False): pa.float64, (DATE, False): pa.date32,
        (NEWDATE, False): pa.date32, (DATETIME, False): lambda: pa.timestamp("us"),
        (TIMESTAMP, False): lambda: pa.timestamp("us", tz="UTC"), (YEAR, False): pa.int16, (NULL, False): pa.null,
        (GEOMETRY, False): pa.binary,
    }
    for code, signed, unsigned in ((TINY, pa.int8, pa.uint8), (SHORT, pa.int16, pa.uint16),
                                   (INT24, pa.int32, pa.uint32), (LONG, pa.int32, pa.uint32),
                                   (LONGLONG, pa.int64, pa.uint64)):
        types[(code, False)], types[(code, True)] = signed, unsigned
    for code in (FLOAT, DOUBLE, DATE, NEWDATE, DATETIME, TIMESTAMP, YEAR, NULL, GEOMETRY):
        types[(code, True)] = types[(code, False)]
    return types

