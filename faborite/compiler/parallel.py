"""Run per-model compile work in worker processes on a cold start.

Workers are forked, so they inherit the compile's state (templates, macros)
without pickling it; only each item's small result travels back. Where fork
is unavailable, or the batch is small, work runs in this process.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

#: Below this many items a pool costs more than it saves.
MIN_ITEMS = 200

_job: Callable[[Any], Any] | None = None


def _run(item: Any) -> tuple[bool, Any]:
    assert _job is not None
    try:
        return True, _job(item)
    except Exception:  # noqa: BLE001 - the caller redoes failed items in-process for a proper error
        return False, None


def map_maybe_parallel(job: Callable[[Any], T], items: Sequence[Any], workers: int | None = None) -> list[T | None]:
    """``[job(item) ...]``; an item whose job raised in a worker comes back as None (redo it in-process)."""
    global _job
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(items) < MIN_ITEMS or "fork" not in multiprocessing.get_all_start_methods():
        return [job(item) for item in items]
    _job = job
    # The workers' garbage collector would walk every object they inherit (the whole project, its
    # templates and parsed SQL), touching and so copying each page: frozen objects are never walked.
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            chunk = max(1, len(items) // (workers * 8))
            return [value if ok else None for ok, value in pool.map(_run, items, chunksize=chunk)]
    finally:
        _job = None
        gc.unfreeze()
