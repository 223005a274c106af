"""Arrow types and values as DB-API drivers take them: what the postgres and mysql type
modules share.

- :func:`is_text` / :func:`is_bytes`: the Arrow string and binary families,
  view types included where this pyarrow has them.
- :func:`python_values`: one Arrow column as Python values a driver writes.
  The conversions every engine needs (dictionaries decoded, nested values as
  JSON text, half floats widened, view types cast) are here; what an engine
  does with times, durations or decimals is its ``engine_values`` hook.
- :func:`decimal_type`: the Arrow decimal holding ``precision`` digits.
- :func:`no_column_type`: the error for an Arrow type an engine has no column type for.

pyarrow is imported by the functions, never at module import.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from faborite.errors import ProviderError

if TYPE_CHECKING:
    import pyarrow as pa

#: Decimal128 holds at most 38 digits; wider decimals are decimal256 (76).
DECIMAL128_DIGITS = 38


def has_type(predicate: str, arrow_type: pa.DataType) -> bool:
    """``pa.types.<predicate>(arrow_type)`` where this pyarrow has it (view types are recent)."""
    import pyarrow as pa

    check = getattr(pa.types, predicate, None)
    return bool(check and check(arrow_type))


def is_text(arrow_type: pa.DataType) -> bool:
    """Whether ``arrow_type`` is a string type (string, large_string, string_view)."""
    import pyarrow as pa

    t = pa.types
    return t.is_string(arrow_type) or t.is_large_string(arrow_type) or has_type("is_string_view", arrow_type)


def is_bytes(arrow_type: pa.DataType) -> bool:
    """Whether ``arrow_type`` is a binary type (binary, large, fixed-size, view)."""
    import pyarrow as pa

    t = pa.types
    return (t.is_binary(arrow_type) or t.is_large_binary(arrow_type) or t.is_fixed_size_binary(arrow_type)
            or has_type("is_binary_view", arrow_type))


def python_values(array: pa.Array, engine_values: Callable[[pa.Array], list[Any] | None]) -> list[Any]:
    """One column as Python values; ``engine_values`` converts the types the engine treats its own
    way (returning None for any other), after dictionaries, nested values and half floats."""
    import pyarrow as pa

    t = pa.types
    kind = array.type
    if t.is_dictionary(kind):
        return python_values(array.dictionary_decode(), engine_values)
    if t.is_nested(kind):
        # Arrow maps come out as lists of (key, value) pairs: JSON arrays of pairs.
        return [None if v is None else json.dumps(v, default=str, ensure_ascii=False) for v in array.to_pylist()]
    if t.is_floating(kind) and kind.bit_width == 16:
        return array.cast(pa.float32()).to_pylist()
    own = engine_values(array)
    if own is not None:
        return own
    if has_type("is_string_view", kind):
        return array.cast(pa.string()).to_pylist()
    if has_type("is_binary_view", kind):
        return array.cast(pa.binary()).to_pylist()
    return array.to_pylist()


def decimal_type(precision: int, scale: int) -> pa.DataType:
    """decimal128(precision, scale), or decimal256 beyond 38 digits."""
    import pyarrow as pa

    return (pa.decimal128 if precision <= DECIMAL128_DIGITS else pa.decimal256)(precision, scale)


def no_column_type(name: str, arrow_type: pa.DataType, engine: str) -> ProviderError:
    """The error for column ``name`` of an Arrow type ``engine`` has no column type for."""
    return ProviderError(
        f"column {name!r}: no {engine} type for Arrow type {arrow_type}",
        hint="cast the column to a plain type (string, number, date, timestamp) before loading it",
    )
