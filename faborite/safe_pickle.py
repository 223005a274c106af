"""Pickles faborite reads back from its own caches: only data classes are built, never functions.

The compile cache (``faborite/compiler/partial_parse.py``) and the parsed-state
cache (``faborite/state/parsed_cache.py``) store pickles because loading
10,000 nodes from JSON costs their validation again. A pickle can name any
callable; this unpickler builds only faborite's own data classes (pydantic
models, dataclasses, enums, container subclasses), a few standard data types
and builtin containers, and refuses everything else. Callers also read only
files owned by this user and not writable by everyone.
"""

from __future__ import annotations

import gc
import io
import pickle
from typing import Any


#: Classes a cache may hold besides faborite's: builtin containers and standard data types.
_SAFE_BUILTINS = {"set", "frozenset", "tuple", "list", "dict", "bytes", "bytearray", "complex", "slice"}
_SAFE_OTHER = {("pathlib", "PosixPath"), ("pathlib", "WindowsPath"), ("pathlib", "PurePosixPath"),
               ("datetime", "datetime"), ("datetime", "date"), ("datetime", "time"), ("datetime", "timedelta"),
               ("datetime", "timezone"), ("decimal", "Decimal"), ("collections", "OrderedDict"),
               ("copyreg", "_reconstructor")}


def _plain_data_class(found: Any) -> bool:
    """A class whose construction only stores data: a pydantic model, a dataclass, an enum or a
    container subclass (never a function, nor a class that could open a file or a connection)."""
    import dataclasses
    import enum

    from pydantic import BaseModel

    return isinstance(found, type) and (issubclass(found, (BaseModel, enum.Enum, dict, list, tuple, str))
                                        or dataclasses.is_dataclass(found))


class SafeUnpickler(pickle.Unpickler):
    """Builds only faborite's classes, a few standard data types and builtin containers."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "builtins" and name in _SAFE_BUILTINS:
            return super().find_class(module, name)
        if (module, name) in _SAFE_OTHER:
            return super().find_class(module, name)
        if module.split(".")[0] == "faborite":
            found = super().find_class(module, name)
            if _plain_data_class(found):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a faborite cache")


def safe_loads(data: bytes) -> Any:
    """Unpickle ``data`` with :class:`SafeUnpickler` (``pickle.UnpicklingError`` for a refused class)."""
    # Tens of thousands of objects: the collector's passes would double the time, and they hold no cycles.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return SafeUnpickler(io.BytesIO(data)).load()
    finally:
        _promote_young_objects()
        if enabled:
            gc.enable()


def _promote_young_objects() -> None:
    """Move every object the collector tracks as young into its oldest generation.

    A loaded cache is long-lived data, but the collector counts it as new: each
    young-generation pass would walk it once more (~0.12 s of a one-edit plan at
    10,000 models, over 20 passes). Freezing then unfreezing moves all young
    objects to the oldest generation in O(1); full collections still see them,
    so nothing leaks. Skipped when objects are frozen on purpose (a process
    about to fork workers), which unfreezing would undo.
    """
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()
