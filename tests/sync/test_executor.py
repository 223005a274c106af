"""sync_table end to end: sources into real sinks, incremental merges, progress, retries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from faborite.errors import ProviderError
from faborite.providers.duckdb import DuckDBProvider, DuckDBTargetConfig
from faborite.relation import Relation
from faborite.sync.executor import sync_table
from faborite.providers.delta import DeltaFolderSource
from faborite.providers.sqlalchemy import SqlSource
from faborite.sync.streams import ArrowStream
from faborite.providers.delta_sink import DeltaSink
from faborite.sync.sinks import FileSink, TargetTableSink
from faborite.sync.spec import SyncSpec

from .conftest import ROWS, orders_table


def spec(**kwargs) -> SyncSpec:
    return SyncSpec.model_validate({"name": "s", "from": "src", **kwargs})


def read_parquet(folder: Path) -> pa.Table:
    return duckdb.sql(f"SELECT * FROM read_parquet('{folder}/**/*.parquet', hive_partitioning = true) ORDER BY order_id").to_arrow_table()


def test_delta_to_parquet_counts_rows_and_bytes_and_reports_progress(lake, tmp_path):
    source = DeltaFolderSource(lake)
    info = source.describe("dbo.orders")
    progress: list[tuple[int, int]] = []
    result = sync_table(
        source, info, spec(columns={"exclude": ["ssn"]}),
        FileSink(tmp_path / "orders" / "v1", "parquet", compression="zstd"),
        on_progress=lambda rows, size: progress.append((rows, size)), batch_rows=256,
    )
    written = read_parquet(tmp_path / "orders" / "v1")
    # The rows reported are the source's rows (its Delta log says so) and the rows in the output.
    assert info.row_count == ROWS
    assert result.rows == info.row_count == written.num_rows
    assert "ssn" not in written.column_names
    # Bytes count the Arrow size of what was written: at least the copied columns, never the excluded one.
    full = orders_table()
    assert full.drop_columns(["ssn"]).nbytes <= result.bytes < full.nbytes, result.bytes
    assert len(progress) >= ROWS // 256 and progress[-1] == (result.rows, result.bytes)
    assert [p[0] for p in progress] == sorted(p[0] for p in progress)


def test_sql_database_into_the_duckdb_target(sqlite_url, tmp_path):
    source = SqlSource(sqlite_url, batch_rows=50)
    target = DuckDBProvider().connect(DuckDBTargetConfig(type="duckdb", path="t.duckdb"), tmp_path)
    try:
        rel = Relation(schema_name="faborite__raw", name="orders__v1")
        result = sync_table(
            source, source.describe("orders"),
            spec(sample={"strategy": "random", "rows": 40, "seed": 1}, columns={"mask": {"note": "redact"}}),
            TargetTableSink(target, rel),
        )
        assert result.rows == 40
        assert target.fetch_scalar(f"SELECT count(*) FROM {target.dialect.quote_relation(rel)}") == 40
        notes = target.fetch_arrow(f"SELECT DISTINCT note FROM {target.dialect.quote_relation(rel)}").column(0).to_pylist()
        assert set(notes) <= {"***", None}
    finally:
        target.close()
        source.close()


@pytest.mark.parametrize("sink_kind", ["files", "delta", "duckdb"])
def test_incremental_copies_rows_past_the_cursor_and_merges_by_key(tmp_path, sink_kind):
    lake = tmp_path / "lake"
    write_deltalake(lake / "orders", orders_table(100))
    source = DeltaFolderSource(lake)
    inc = spec(incremental={"cursor": "updated_at", "key": "order_id"})
    target = DuckDBProvider().connect(DuckDBTargetConfig(type="duckdb", path="t.duckdb"), tmp_path)

    def sink(version: int):
        previous = version - 1 if version > 1 else None
        if sink_kind == "files":
            return FileSink(tmp_path / "out" / f"v{version}", previous=tmp_path / "out" / f"v{previous}" if previous else None)
        if sink_kind == "delta":
            return DeltaSink(tmp_path / "delta")
        rel = Relation(schema_name="raw", name=f"orders__v{version}")
        prev = Relation(schema_name="raw", name=f"orders__v{previous}") if previous else None
        return TargetTableSink(target, rel, previous=prev)

    def output(version: int) -> pa.Table:
        if sink_kind == "files":
            return read_parquet(tmp_path / "out" / f"v{version}")
        if sink_kind == "delta":
            return DeltaTable(str(tmp_path / "delta")).to_pyarrow_dataset().to_table().sort_by("order_id")
        return target.fetch_arrow(f'SELECT * FROM raw."orders__v{version}" ORDER BY order_id')

    try:
        first = sync_table(source, source.describe("orders"), inc, sink(1))
        assert first.rows == 100
        assert first.new_cursor == dt.datetime(2024, 1, 1) + dt.timedelta(minutes=99)

        # Upstream: order 5 updated twice, order 6 once, and two new orders; all newer than the cursor.
        later = dt.datetime(2024, 6, 1)
        changes = orders_table(4, start=100).to_pylist()
        changes[0].update(order_id=5, amount=-1.0, updated_at=later)
        changes[1].update(order_id=5, amount=-2.0, updated_at=later + dt.timedelta(hours=1))
        changes[2].update(order_id=6, amount=-3.0, updated_at=later)
        write_deltalake(lake / "orders", pa.Table.from_pylist(changes, schema=orders_table(1).schema), mode="append")

        second = sync_table(source, source.describe("orders"), inc, sink(2), cursor_value=first.new_cursor)
        assert second.rows == 3  # 5 (latest of two), 6, 103
        assert second.new_cursor == changes[3]["updated_at"] or second.new_cursor == later + dt.timedelta(hours=1)
        merged = output(2)
        ids = merged.column("order_id").to_pylist()
        assert ids == [*range(100), 103]
        amounts = dict(zip(ids, merged.column("amount").to_pylist()))
        assert amounts[5] == -2.0 and amounts[6] == -3.0 and amounts[7] == orders_table(8).column("amount")[7].as_py()

        # Nothing new: the cursor stays, no rows copied, the output is unchanged.
        third = sync_table(source, source.describe("orders"), inc, sink(3), cursor_value=second.new_cursor)
        assert third.rows == 0 and third.new_cursor == second.new_cursor
        assert output(3).column("order_id").to_pylist() == ids
    finally:
        target.close()


class FlakySource(DeltaFolderSource):
    """A real Delta source whose reads fail with ``error`` in the middle of the first ``failures`` scans."""

    def __init__(self, root: Path, error: Exception, failures: int) -> None:
        super().__init__(root)
        self.error = error
        self.failures = failures
        self.scans = 0

    def scan(self, name, columns=None, where=None, after=None):
        stream = super().scan(name, columns, where, after)
        self.scans += 1
        broken = self.scans <= self.failures
        error = self.error

        def batches() -> Iterator[pa.RecordBatch]:
            table = stream.reader().read_all()
            for i, batch in enumerate(table.to_batches(max_chunksize=200)):
                if broken and i == 3:
                    raise error
                yield batch

        return ArrowStream(stream.schema, batches)


def test_a_transient_failure_midway_is_retried_and_the_sync_completes(lake, tmp_path):
    source = FlakySource(lake, OSError("Generic MicrosoftAzure error: status 503 Service Unavailable"), failures=2)
    result = sync_table(source, source.describe("dbo.orders"), spec(), FileSink(tmp_path / "v1"), retry_delay=0.01)
    assert source.scans == 3 and result.rows == ROWS
    assert read_parquet(tmp_path / "v1").num_rows == ROWS
    assert [p.name for p in tmp_path.iterdir()] == ["v1"]


def test_an_auth_failure_fails_at_once(lake, tmp_path):
    source = FlakySource(lake, PermissionError("403 Forbidden: AuthorizationPermissionMismatch"), failures=5)
    with pytest.raises(ProviderError, match="syncing table 'dbo.orders' was refused") as err:
        sync_table(source, source.describe("dbo.orders"), spec(), FileSink(tmp_path / "v1"), retry_delay=0.01)
    assert source.scans == 1 and "credentials" in (err.value.hint or "")
    assert list(tmp_path.iterdir()) == []


def test_a_bad_where_clause_is_a_clear_error(lake, tmp_path):
    source = DeltaFolderSource(lake)
    with pytest.raises(ProviderError, match="sampling query failed: Binder Error") as err:
        sync_table(source, source.describe("dbo.orders"), spec(where="nope > 1"), FileSink(tmp_path / "v1"))
    assert "where:" in (err.value.hint or "")
