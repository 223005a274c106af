"""Sync: copy tables from a source into a sink, sampled, filtered and masked on the way.

The pieces, each in its own module:

- :mod:`~faborite.sync.spec` and :mod:`~faborite.sync.source`: the config
  models and the port every source implements
  (:class:`~faborite.sync.source.TableSource`); the adapters for Delta,
  SQL databases and Fabric live in ``faborite.providers``;
- :mod:`~faborite.sync.files_source` and :mod:`~faborite.sync.streams`:
  files as tables, and the bounded Arrow streams sources hand the executor;
- :mod:`~faborite.sync.masking` and :mod:`~faborite.sync.sampling`: the one
  query that selects, filters, samples and masks a table's rows, run in the
  scratch engine (:mod:`~faborite.sync.scratch`, an embedded DuckDB);
- :mod:`~faborite.sync.pushdown`: the part of that filter a source applies itself;
- :mod:`~faborite.sync.sinks`: where rows land (a target table, files, or a
  sink plugin such as Delta's in ``faborite.providers``), each write atomic;
- :mod:`~faborite.sync.executor`: streams one table from source to sink;
- :mod:`~faborite.sync.retry`: backoff for transient storage errors.

Importing this package is cheap: the public names below load their module
(and duckdb, pyarrow) on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from faborite.errors import ProviderError


class SyncError(ProviderError):
    """A sync cannot run as configured: a missing or wrongly typed column, an unknown mask."""

    kind = "sync"


_LAZY = {
    "sync_table": "executor",
    "SyncResult": "executor",
    "build_sample_query": "sampling",
    "SampleQuery": "sampling",
    "projection": "masking",
    "FilesSource": "files_source",
    "ArrowStream": "streams",
    "TargetTableSink": "sinks",
    "FileSink": "sinks",
    "SinkResult": "sinks",
    "retry": "retry",
    "is_transient": "retry",
}

__all__ = ["SyncError", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
