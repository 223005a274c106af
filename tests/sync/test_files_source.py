"""Files (Parquet, CSV, JSON lines) as sync tables."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from faborite.errors import ProviderError
from faborite.sync.source import ScanSource, TableSource
from faborite.sync.files_source import FilesSource

from .conftest import ROWS, run
from .source_conformance import ORDERS, SourceConformance


def scan_all(obj) -> pa.Table:
    """Everything a scan() result yields, read the way the executor does: through DuckDB."""
    con = duckdb.connect()
    con.register("src", obj)
    return con.sql("SELECT * FROM src").to_arrow_table()


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


# -- conformance --------------------------------------------------------------


class TestParquetFilesConformance(SourceConformance):
    knows_row_count = False  # only a read counts the rows of files

    @pytest.fixture
    def source(self, tmp_path):
        import pyarrow.parquet as pq

        (tmp_path / "orders").mkdir()
        pq.write_table(ORDERS, tmp_path / "orders" / "part-0.parquet", row_group_size=10)
        return FilesSource(folder=tmp_path)


class TestCsvFilesConformance(SourceConformance):
    knows_row_count = False

    @pytest.fixture
    def source(self, tmp_path):
        import pyarrow.csv as pacsv

        pacsv.write_csv(ORDERS, tmp_path / "orders.csv")
        return FilesSource(folder=tmp_path)
