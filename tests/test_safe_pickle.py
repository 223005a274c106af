"""The caches' unpickler: data classes only, and what it loads kept out of the collector's young passes."""

from __future__ import annotations

import gc
import os
import pickle
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from faborite.compiler.manifest import ColumnInfo
from faborite.safe_pickle import safe_loads


@pytest.fixture
def collector() -> Iterator[None]:
    """The collector as a CLI run has it (enabled, nothing frozen), restored after."""
    enabled = gc.isenabled()
    gc.enable()
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()
        if not enabled:
            gc.disable()


def _in_generation(obj: object, generation: int) -> bool:
    return any(o is obj for o in gc.get_objects(generation))


def test_data_classes_and_standard_types_load() -> None:
    value = {"columns": (ColumnInfo(name="id", tags=("pk",)),), "at": datetime(2026, 1, 1, tzinfo=timezone.utc),
             "path": Path("models/a.sql"), "ids": {1, 2}}
    assert safe_loads(pickle.dumps(value)) == value


@pytest.mark.parametrize("callable_", [os.system, eval, pickle.loads])
def test_a_callable_is_refused(callable_) -> None:
    with pytest.raises(pickle.UnpicklingError, match="not allowed"):
        safe_loads(pickle.dumps(callable_))


def test_what_it_loads_is_promoted_to_the_oldest_generation(collector: None) -> None:
    loaded = safe_loads(pickle.dumps([ColumnInfo(name=f"c{i}") for i in range(1000)]))
    assert gc.isenabled()
    assert _in_generation(loaded, 2) and not _in_generation(loaded, 0)
    assert gc.get_freeze_count() == 0, "promoted, not frozen: full collections still see it"


def test_objects_frozen_on_purpose_stay_frozen(collector: None) -> None:
    kept = [[index] for index in range(10)]  # lists: tracked by the collector
    gc.freeze()  # as before forking workers
    assert not any(_in_generation(obj, g) for obj in kept for g in (0, 1, 2)), "frozen: in no generation"
    safe_loads(pickle.dumps([ColumnInfo(name="id")]))
    assert not any(_in_generation(obj, g) for obj in kept for g in (0, 1, 2)), "still frozen"
    assert gc.get_freeze_count() > 0
