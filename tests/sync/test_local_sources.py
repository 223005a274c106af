"""Delta folders, files and SQL databases as sync sources, on real data."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from faborite.errors import ProviderError
from faborite.sync.local_sources import DeltaFolderSource, FilesSource, SqlSource
from faborite.sync.source import ScanSource, TableSource

from .conftest import ROWS, run


def scan_all(obj) -> pa.Table:
    """Everything a scan() result yields, read the way the executor does: through DuckDB."""
    con = duckdb.connect()
    con.register("src", obj)
    return con.sql("SELECT * FROM src").to_arrow_table()


# -- Delta ------------------------------------------------------------------


def test_delta_lists_schema_and_plain_tables_with_versions_and_counts(lake):
    source = DeltaFolderSource(lake)
    assert isinstance(source, TableSource) and isinstance(source, ScanSource)
    tables = {t.name: t for t in source.list_tables()}
    assert sorted(tables) == ["dbo.customers", "dbo.orders", "events", "rewritten", "sales.targets"]
    assert tables["dbo.orders"].version == "0" and tables["dbo.orders"].row_count == ROWS
    assert tables["events"].version == "1" and tables["events"].row_count == 600
    assert tables["rewritten"].version == "1" and tables["rewritten"].row_count == 5


def test_delta_reads_through_the_log_not_the_files(lake):
    # The overwritten v0 file is still on disk; globbing parquet would bring its 500 rows back.
    on_disk = list((lake / "rewritten").glob("*.parquet"))
    assert len(on_disk) == 2
    for reader in ("pyarrow", "datafusion"):
        source = DeltaFolderSource(lake, reader=reader)
        rows, _ = run(source, "rewritten", {})
        assert sorted(rows.column("k").to_pylist()) == [0, 1, 2, 3, 4]
        assert set(rows.column("v").to_pylist()) == {"new"}


def test_delta_partitioned_table_keeps_partition_column_and_every_partition(lake):
    for reader in ("pyarrow", "datafusion"):
        rows, _ = run(DeltaFolderSource(lake, reader=reader), "events", {})
        assert rows.num_rows == 600
        assert set(rows.column("region").to_pylist()) == {"eu", "us", "apac", "latam"}


def test_delta_bare_name_finds_the_default_schema(lake):
    source = DeltaFolderSource(lake)
    assert source.describe("orders").row_count == ROWS
    assert source.schema("orders").names[:2] == ["order_id", "region"]


def test_delta_unknown_table_names_the_close_ones(lake):
    with pytest.raises(ProviderError, match="no Delta table 'dbo.order'") as err:
        DeltaFolderSource(lake).describe("dbo.order")
    assert "dbo.orders" in (err.value.hint or "")


def test_delta_datafusion_scan_projects_columns(lake):
    stream = DeltaFolderSource(lake, reader="datafusion").scan("dbo.orders", ["order_id", "email"])
    table = scan_all(stream)
    assert table.column_names == ["order_id", "email"] and table.num_rows == ROWS
    assert scan_all(stream).num_rows == ROWS  # re-scannable


def test_delta_over_urls_lists_with_the_given_list_dirs(lake):
    calls = []

    def list_dirs(url: str) -> list[str]:
        calls.append(url)
        path = url.removeprefix("file://")
        return sorted(e.name for e in os.scandir(path) if e.is_dir())

    source = DeltaFolderSource(f"file://{lake}", list_dirs=list_dirs)
    assert "dbo.orders" in source.table_names() and calls
    assert source.describe("dbo.orders").row_count == ROWS
    with pytest.raises(ProviderError, match="list_dirs"):
        DeltaFolderSource(f"file://{lake}").table_names()
    # Describing a named table needs no listing.
    assert DeltaFolderSource(f"file://{lake}").describe("sales.targets").version == "0"


def test_delta_version_changes_after_a_commit(tmp_path):
    from deltalake import write_deltalake

    write_deltalake(tmp_path / "t", pa.table({"a": [1]}))
    source = DeltaFolderSource(tmp_path)
    assert source.describe("t").version == "0"
    write_deltalake(tmp_path / "t", pa.table({"a": [2]}), mode="append")
    assert DeltaFolderSource(tmp_path).describe("t").version == "1"
    assert DeltaFolderSource(tmp_path).describe("t").row_count == 2


# -- files ------------------------------------------------------------------


def test_files_folder_makes_tables_of_subfolders_and_files(files_dir):
    source = FilesSource(folder=files_dir)
    assert source.table_names() == ["events", "orders", "people", "people_gz"]
    rows, _ = run(source, "orders", {})
    assert rows.num_rows == 300
    assert set(rows.column("region").to_pylist()) == {"eu", "us", "apac", "latam"}  # from hive folders
    assert run(source, "people", {})[0].column("day").type == pa.date32()
    assert run(source, "people_gz", {})[0].num_rows == 3
    assert run(source, "events", {})[0].column("kind").to_pylist() == ["click", "view"]


def test_files_globs_and_partition_pruning(files_dir):
    source = FilesSource({"eu": "orders/region=eu/*.parquet", "all": "orders/**/*.parquet"}, base_dir=files_dir)
    assert set(run(source, "eu", {})[0].column("region").to_pylist()) == {"eu"}
    rows, _ = run(source, "all", {"where": "region = 'latam'"})
    assert rows.num_rows == 1


def test_files_version_is_a_digest_of_names_sizes_and_mtimes(tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "a.csv").write_text("x\n1\n")
    source = FilesSource(folder=tmp_path)
    before = source.describe("t").version
    assert FilesSource(folder=tmp_path).describe("t").version == before
    (tmp_path / "t" / "b.csv").write_text("x\n2\n")
    after = source.describe("t").version
    assert after != before
    os.utime(tmp_path / "t" / "b.csv", ns=(1, 1))
    assert source.describe("t").version != after


def test_files_errors_name_the_table(files_dir, tmp_path):
    with pytest.raises(ProviderError, match="no table 'ordrs'") as err:
        FilesSource(folder=files_dir).describe("ordrs")
    assert "orders" in (err.value.hint or "")
    with pytest.raises(ProviderError, match="no data files match"):
        FilesSource({"x": "nothing/*.parquet"}, base_dir=tmp_path).describe("x")


# -- SQL ----------------------------------------------------------------------


def test_sql_lists_tables_and_views_with_count_and_cursor_versions(sqlite_url):
    source = SqlSource(sqlite_url, cursor_column="updated_at")
    try:
        tables = {t.name: t for t in source.list_tables()}
        assert sorted(tables) == ["big_orders", "orders"]
        assert tables["orders"].row_count == 250
        assert tables["orders"].version.startswith("250:2024-01-11")
        assert "password" not in (tables["orders"].location or "")
    finally:
        source.close()


def test_sql_schema_maps_types_to_arrow(sqlite_url):
    source = SqlSource(sqlite_url)
    schema = source.schema("orders")
    assert schema.field("order_id").type == pa.int64()
    assert schema.field("amount").type == pa.decimal128(10, 2)
    assert schema.field("price").type == pa.float64()
    assert schema.field("paid").type == pa.bool_()
    assert schema.field("updated_at").type == pa.timestamp("us")
    assert schema.field("order_date").type == pa.date32()
    assert schema.field("note").type == pa.string()
    source.close()


def test_sql_streams_in_batches_with_projection_and_cursor_pushdown(sqlite_url):
    source = SqlSource(sqlite_url, batch_rows=32)
    stream = source.scan("orders", ["order_id", "updated_at"], after=("updated_at", dt.datetime(2024, 1, 10)))
    batches = list(stream.reader())
    assert max(b.num_rows for b in batches) == 32 and len(batches) > 1
    table = pa.Table.from_batches(batches)
    assert table.column_names == ["order_id", "updated_at"]
    assert min(table.column("order_id").to_pylist()) == 217  # 2024-01-01 + 217h > 2024-01-10
    assert scan_all(stream).num_rows == table.num_rows  # a second scan re-runs the query
    source.close()


def test_sql_sync_end_to_end_with_sampling(sqlite_url):
    source = SqlSource(sqlite_url)
    rows, _ = run(source, "orders", {"sample": {"strategy": "recent", "rows": 3, "column": "updated_at"}})
    assert rows.column("order_id").to_pylist() == [249, 248, 247]
    rows, _ = run(source, "orders", {"sample": {"strategy": "stratified", "by": "region", "per_group": 2}})
    assert rows.num_rows == 6
    rows, _ = run(source, "big_orders", {"where": "paid"})
    assert rows.num_rows == 24 and all(rows.column("paid").to_pylist())
    source.close()


def test_sql_unknown_table(sqlite_url):
    source = SqlSource(sqlite_url)
    with pytest.raises(ProviderError, match="no table 'order'") as err:
        source.describe("order")
    assert "orders" in (err.value.hint or "")
    source.close()


def test_delta_scan_prunes_partitions_and_still_fills_partition_columns(lake):
    source = DeltaFolderSource(lake)
    stream = source.scan("events", ["order_id", "region"], where="region = 'latam'")
    table = stream.reader().read_all()  # what the source yields, before DuckDB filters
    assert set(table.column("region").to_pylist()) == {"latam"}
    assert table.num_rows == 1
    # A filter pyarrow cannot apply the same way is left to DuckDB: nothing is lost.
    rows, _ = run(source, "events", {"where": "order_id = '7'"})
    assert rows.column("order_id").to_pylist() == [7]


def test_files_scan_skips_row_groups_before_the_cursor(tmp_path):
    import pyarrow.parquet as pq

    from .conftest import orders_table

    pq.write_table(orders_table(300), tmp_path / "orders.parquet", row_group_size=50)
    source = FilesSource(folder=tmp_path)
    stream = source.scan("orders", ["order_id", "updated_at"], after=("updated_at", dt.datetime(2024, 1, 1, 4, 0)))
    # Minute 240 is in the row group of rows 200-249: earlier row groups are not read at all.
    assert min(stream.reader().read_all().column("order_id").to_pylist()) == 200
    rows, _ = run(source, "orders", {"incremental": {"cursor": "updated_at", "key": "order_id"}},
                  cursor_value=dt.datetime(2024, 1, 1, 4, 0))
    assert sorted(rows.column("order_id").to_pylist()) == list(range(241, 300))
