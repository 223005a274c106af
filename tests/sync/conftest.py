"""Real data for the sync tests: Delta tables, files, a SQLite database; and a collecting sink."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from faborite.sync.executor import SyncResult, sync_table
from faborite.sync.sinks import SinkResult
from faborite.sync.source import TableSource
from faborite.sync.spec import SyncSpec

ROWS = 2_000
REGIONS = ["eu", "us", "apac", "latam"]


def orders_table(n: int = ROWS, start: int = 0) -> pa.Table:
    """Orders with a skewed region column (one tiny stratum), timestamps, a date and PII."""
    ids = list(range(start, start + n))
    return pa.table(
        {
            "order_id": pa.array(ids, pa.int64()),
            # 'latam' is tiny: 2 rows of 2000.
            "region": [("latam" if i % 1000 == 7 else REGIONS[i % 3]) for i in ids],
            "amount": [round(i * 1.5, 2) for i in ids],
            "updated_at": [dt.datetime(2024, 1, 1) + dt.timedelta(minutes=i) for i in ids],
            "order_date": [dt.date(2024, 1, 1) + dt.timedelta(days=i % 365) for i in ids],
            "email": [f"user{i}@example.com" for i in ids],
            "ssn": [f"{i:09d}" for i in ids],
        }
    )


class CollectSink:
    """A sink that keeps the rows in memory (for tests of what was selected, not of writing)."""

    def __init__(self) -> None:
        self.table: pa.Table | None = None
        self.merged_key: tuple[str, ...] | None = None

    def write(self, rows: pa.RecordBatchReader) -> SinkResult:
        self.table = rows.read_all()
        return SinkResult(location="memory")

    def merge(self, rows: pa.RecordBatchReader, key) -> SinkResult:
        self.merged_key = tuple(key)
        return self.write(rows)


def run(source: TableSource, name: str, spec: dict[str, Any] | SyncSpec, **kwargs: Any) -> tuple[pa.Table, SyncResult]:
    """Sync ``name`` with ``spec`` into memory; the rows and the result."""
    if isinstance(spec, dict):
        spec = SyncSpec.model_validate({"name": "s", "from": "src", **spec})
    sink = CollectSink()
    result = sync_table(source, source.describe(name), spec, sink, **kwargs)
    assert sink.table is not None
    return sink.table, result


@pytest.fixture(scope="session")
def lake(tmp_path_factory) -> Path:
    """``Tables/`` of a lakehouse: dbo.orders (schema layout), events (partitioned), rewritten (overwritten)."""
    from deltalake import write_deltalake

    root = tmp_path_factory.mktemp("lake") / "Tables"
    write_deltalake(root / "dbo" / "orders", orders_table())
    write_deltalake(root / "dbo" / "customers", pa.table({"customer_id": [1, 2, 3], "name": ["a", "b", "c"]}))
    write_deltalake(root / "sales" / "targets", pa.table({"region": REGIONS, "target": [1.0, 2.0, 3.0, 4.0]}))
    events = orders_table(600)
    write_deltalake(root / "events", events.slice(0, 300), partition_by=["region"])
    write_deltalake(root / "events", events.slice(300), partition_by=["region"], mode="append")
    # v0 has 500 old rows; v1 overwrites them with 5 new ones: the old file stays on disk, removed in the log.
    write_deltalake(root / "rewritten", pa.table({"k": list(range(500)), "v": ["old"] * 500}))
    write_deltalake(root / "rewritten", pa.table({"k": list(range(5)), "v": ["new"] * 5}), mode="overwrite")
    (root / "not_a_table").mkdir()
    return root


@pytest.fixture(scope="session")
def files_dir(tmp_path_factory) -> Path:
    """orders as hive-partitioned parquet, a csv, a gzipped csv, a json-lines file."""
    root = tmp_path_factory.mktemp("files")
    table = orders_table(300)
    for region in REGIONS:
        part = table.filter(pa.compute.equal(table["region"], region)).drop_columns(["region"])
        folder = root / "orders" / f"region={region}"
        folder.mkdir(parents=True)
        pq.write_table(part, folder / "part-0.parquet")
    small = pa.table({"id": [1, 2, 3], "name": ["x", "y", "z"], "day": [dt.date(2024, 1, d) for d in (1, 2, 3)]})
    pacsv.write_csv(small, root / "people.csv")
    with pa.CompressedOutputStream(str(root / "people_gz.csv.gz"), "gzip") as out:
        pacsv.write_csv(small, out)
    (root / "events.jsonl").write_text('{"id": 1, "kind": "click"}\n{"id": 2, "kind": "view"}\n')
    return root


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory) -> str:
    """A SQLite database with an orders table (typed columns) and a view."""
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'shop.db'}"
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    orders = sa.Table(
        "orders", meta,
        sa.Column("order_id", sa.Integer, primary_key=True),
        sa.Column("region", sa.String(10)),
        sa.Column("amount", sa.Numeric(10, 2)),
        sa.Column("price", sa.Float),
        sa.Column("paid", sa.Boolean),
        sa.Column("updated_at", sa.DateTime),
        sa.Column("order_date", sa.Date),
        sa.Column("note", sa.Text),
    )
    meta.create_all(engine)
    import decimal

    with engine.begin() as conn:
        conn.execute(orders.insert(), [
            {
                "order_id": i, "region": REGIONS[i % 3], "amount": decimal.Decimal(i) / 4, "price": i * 0.5,
                "paid": i % 2 == 0, "updated_at": dt.datetime(2024, 1, 1) + dt.timedelta(hours=i),
                "order_date": dt.date(2024, 1, 1) + dt.timedelta(days=i % 30), "note": None if i % 5 else f"n{i}",
            }
            for i in range(250)
        ])
        conn.execute(sa.text("CREATE VIEW big_orders AS SELECT * FROM orders WHERE amount > 50"))
    engine.dispose()
    return url
