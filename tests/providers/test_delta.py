"""The delta source provider: Delta tables under a folder, read through the log."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from faborite.errors import ProviderError
from faborite.sync.source import ScanSource, TableSource
from faborite.providers.delta import DeltaFolderSource
from tests.sync.source_conformance import ORDERS, SourceConformance
from tests.sync.conftest import ROWS, lake, run  # noqa: F401 - lake: a fixture


def scan_all(obj) -> pa.Table:
    """Everything a scan() result yields, read the way the executor does: through DuckDB."""
    con = duckdb.connect()
    con.register("src", obj)
    return con.sql("SELECT * FROM src").to_arrow_table()


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


def test_delta_scan_prunes_partitions_and_still_fills_partition_columns(lake):
    source = DeltaFolderSource(lake)
    stream = source.scan("events", ["order_id", "region"], where="region = 'latam'")
    table = stream.reader().read_all()  # what the source yields, before DuckDB filters
    assert set(table.column("region").to_pylist()) == {"latam"}
    assert table.num_rows == 1
    # A filter pyarrow cannot apply the same way is left to DuckDB: nothing is lost.
    rows, _ = run(source, "events", {"where": "order_id = '7'"})
    assert rows.column("order_id").to_pylist() == [7]


class TestDeltaFolderConformance(SourceConformance):
    @pytest.fixture
    def source(self, tmp_path):
        from deltalake import write_deltalake

        write_deltalake(tmp_path / "orders", ORDERS.slice(0, 30))
        write_deltalake(tmp_path / "orders", ORDERS.slice(30), mode="append")  # two files, two commits
        return DeltaFolderSource(tmp_path, default_schema=None)
