"""Arrow data as Spark takes it: the types seeds and syncs produce, widened where Spark has no equal.

One promise: every Arrow type a seed or a sync produces becomes a Spark type
that holds its values without loss. Spark has no unsigned integers (each is
widened to the next signed type; ``uint64`` to ``decimal(20,0)``), no
dictionary encoding (decoded), no Arrow ``null`` column in Parquet (``string``,
all NULL) and no timestamps finer than microseconds (nanoseconds are refused
unless whole microseconds). Anything Spark's own conversion refuses is a
:class:`ProviderError` naming the column.

pyarrow is imported by the functions, never at module import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from faborite.errors import ProviderError

if TYPE_CHECKING:
    import pyarrow as pa


def spark_type(name: str, arrow_type: pa.DataType) -> pa.DataType:
    """The Arrow type column ``name`` is converted to before Spark reads it (``arrow_type`` when Spark has it)."""
    import pyarrow as pa
    import pyarrow.types as t

    if t.is_dictionary(arrow_type):
        return spark_type(name, arrow_type.value_type)
    if t.is_unsigned_integer(arrow_type):
        return {8: pa.int16(), 16: pa.int32(), 32: pa.int64()}.get(arrow_type.bit_width, pa.decimal128(20, 0))
    if t.is_null(arrow_type):
        return pa.string()
    if t.is_floating(arrow_type) and arrow_type.bit_width == 16:
        return pa.float32()
    if t.is_large_string(arrow_type) or getattr(t, "is_string_view", lambda _: False)(arrow_type):
        return pa.string()
    if t.is_large_binary(arrow_type) or t.is_fixed_size_binary(arrow_type):
        return pa.binary()
    if t.is_timestamp(arrow_type) and arrow_type.unit == "ns":
        return pa.timestamp("us", tz=arrow_type.tz)
    return arrow_type


def for_spark(table: pa.Table) -> pa.Table:
    """``table`` with each column cast to :func:`spark_type` (a column that does not fit is an error naming it)."""
    import pyarrow as pa

    columns = []
    for field, column in zip(table.schema, table.columns):
        target = spark_type(field.name, field.type)
        if target != field.type:
            try:
                column = column.cast(target)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise ProviderError(f"column {field.name!r} ({field.type}) cannot be stored in Spark: {exc}",
                                    hint="cast it in the sync or seed to a type Spark has") from None
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def spark_schema(schema: pa.Schema) -> Any:
    """The Spark schema of an Arrow schema :func:`for_spark` made; timestamps without a time zone
    become ``timestamp_ntz`` (Spark's default would read them as local times and shift them)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema, prefer_timestamp_ntz=True)
