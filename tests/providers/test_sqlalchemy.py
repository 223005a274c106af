"""The sql source provider: tables of a SQLAlchemy database, streamed in batches."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from faborite.errors import ProviderError
from faborite.sync.source import ScanSource, TableSource
from faborite.providers.sqlalchemy import SqlSource
from tests.sync.source_conformance import ORDERS, SourceConformance
from tests.sync.conftest import ROWS, run, sqlite_url  # noqa: F401 - sqlite_url: a fixture


def scan_all(obj) -> pa.Table:
    """Everything a scan() result yields, read the way the executor does: through DuckDB."""
    con = duckdb.connect()
    con.register("src", obj)
    return con.sql("SELECT * FROM src").to_arrow_table()


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


class TestSqliteConformance(SourceConformance):
    @pytest.fixture
    def source(self, tmp_path):
        import sqlalchemy as sa

        url = f"sqlite:///{tmp_path / 'shop.db'}"
        engine = sa.create_engine(url)
        meta = sa.MetaData()
        orders = sa.Table("orders", meta, sa.Column("id", sa.BigInteger, primary_key=True), sa.Column("region", sa.Text),
                          sa.Column("amount", sa.Float), sa.Column("updated_at", sa.DateTime))
        meta.create_all(engine)
        with engine.begin() as conn:
            conn.execute(orders.insert(), ORDERS.to_pylist())
        engine.dispose()
        source = SqlSource(url, push_where=True)
        yield source
        source.close()
