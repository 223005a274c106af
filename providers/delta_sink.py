"""Sink provider ``delta``: a sync's output written as a Delta table (deltalake).

    syncs:
      - name: orders_sample
        from: lake
        to: {format: delta, path: data/out}

Registered under the ``faborite.sinks`` entry-point group as ``delta``; apply
(:mod:`faborite.apply.sync_build`) finds it through
:func:`faborite.plugins.load_sink_provider` for ``format: delta``. Each sync
writes a new version folder: a full copy is one overwrite commit, an
incremental one copies the previous version's table into the new folder and
merges into it (one commit), so the previous version stays as it was.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faborite.errors import ProviderError
from faborite.sync.sinks import SinkResult

if TYPE_CHECKING:
    import pyarrow as pa


class DeltaSinkProvider:
    """The ``faborite.sinks`` entry point ``delta``."""

    name = "delta"

    def open(
        self,
        directory: Path,
        *,
        partition_by: Sequence[str] = (),
        compression: str | None = None,
        previous: Path | None = None,
    ) -> "DeltaSink":
        """A :class:`DeltaSink` at ``directory``; started as a copy of ``previous`` when given.

        ``compression`` is not used: deltalake writes its default Parquet codec.
        """
        if previous is not None:
            # Delta merges in place: start the new version as a copy of the previous one.
            shutil.copytree(previous, directory)
        return DeltaSink(str(directory), None, partition_by)


class DeltaSink:
    """A Delta table at ``uri`` (local path or a URL deltalake opens), overwritten or merged in one commit."""

    def __init__(
        self,
        uri: str | Path,
        storage_options: Mapping[str, str] | None = None,
        partition_by: Sequence[str] = (),
    ) -> None:
        self.uri = str(uri)
        self.storage_options = dict(storage_options or {}) or None
        self.partition_by = list(partition_by) or None

    def write(self, rows: "pa.RecordBatchReader") -> SinkResult:
        """Overwrite the table with ``rows`` (schema replaced); one commit, streamed."""
        from deltalake import write_deltalake

        write_deltalake(
            self.uri, rows, mode="overwrite", schema_mode="overwrite",
            partition_by=self.partition_by, storage_options=self.storage_options,
        )
        return SinkResult(location=self.uri, version=str(self._table().version()))

    def merge(self, rows: "pa.RecordBatchReader", key: Sequence[str]) -> SinkResult:
        """Upsert ``rows`` by ``key`` (matched rows updated, others inserted); one commit."""
        table = self._table(missing_ok=True)
        if table is None:
            return self.write(rows)
        predicate = " AND ".join(f"t.{_delta_ident(k)} = s.{_delta_ident(k)}" for k in key)
        (
            table.merge(source=rows, predicate=predicate, source_alias="s", target_alias="t")
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )
        return SinkResult(location=self.uri, version=str(self._table().version()))

    def version(self) -> int | None:
        """The table's current version, None when it does not exist yet."""
        table = self._table(missing_ok=True)
        return None if table is None else table.version()

    def _table(self, missing_ok: bool = False) -> Any:
        from deltalake import DeltaTable
        from deltalake.exceptions import TableNotFoundError

        try:
            return DeltaTable(self.uri, storage_options=self.storage_options)
        except TableNotFoundError:
            if missing_ok:
                return None
            raise ProviderError(f"no Delta table at {self.uri}") from None


def _delta_ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"
