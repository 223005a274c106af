"""Syncing from the fabric source (Azurite posing as OneLake): every strategy, incremental, Delta back to OneLake."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from faborite.providers.fabric import onelake_storage_options, table_url
from faborite.relation import Relation
from faborite.sync.executor import sync_table
from faborite.providers.delta_sink import DeltaSink
from faborite.sync.sinks import FileSink, TargetTableSink
from faborite.sync.spec import SyncSpec
from tests.providers.fabric.test_fabric import open_source, seed

pytestmark = pytest.mark.service

N = 400


def _orders(start: int, n: int) -> pa.Table:
    ids = list(range(start, start + n))
    return pa.table({
        "order_id": pa.array(ids, pa.int64()),
        "region": [("tiny" if i % 97 == 0 else ["eu", "us", "apac"][i % 3]) for i in ids],
        "amount": pa.array([float(i % 50) for i in ids]),
        "updated_at": pa.array([1_700_000_000_000_000 + i * 1_000_000 for i in ids], type=pa.timestamp("us")),
    })


class _Target:
    """A DuckDB target connection (the real provider) to sync into."""

    def __init__(self, path) -> None:
        from faborite.providers.duckdb import DuckDBProvider, DuckDBTargetConfig

        self.connection = DuckDBProvider().connect(DuckDBTargetConfig(type="duckdb", path=str(path)), path.parent)

    def rows(self, relation: Relation) -> list[tuple]:
        return sorted(self.connection.fetch_arrow(
            f'select * from "{relation.schema_name}"."{relation.name}"').to_pylist(), key=lambda r: r["order_id"])


def _sync(lake, tmp_path, sample: dict, name: str, **spec):
    target = _Target(tmp_path / "t.duckdb")
    relation = Relation(schema_name="main", name=name)
    with open_source(lake) as src:
        table = src.describe("orders")
        result = sync_table(src, table, SyncSpec.model_validate({"name": "s", "from": "lh", "sample": sample, **spec}),
                            TargetTableSink(target.connection, relation))
    rows = target.rows(relation)
    target.connection.close()
    return result, rows


STRATEGIES = {
    "full": {"strategy": "full"},
    "head": {"strategy": "head", "rows": 10},
    "random_rows": {"strategy": "random", "rows": 25, "seed": 7},
    "random_percent": {"strategy": "random", "percent": 10, "seed": 7},
    "recent": {"strategy": "recent", "rows": 5, "column": "updated_at"},
    "stratified": {"strategy": "stratified", "by": "region", "rows": 40, "seed": 3},
    "per_group": {"strategy": "stratified", "by": "region", "per_group": 2, "seed": 3},
    "sql": {"strategy": "sql", "query": "select * from {{ table }} where amount > 45"},
}


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_every_strategy_syncs_from_onelake(lake, tmp_path, name: str) -> None:
    seed(lake, "orders", _orders(0, N))
    result, rows = _sync(lake, tmp_path, STRATEGIES[name], f"o_{name}")
    assert result.rows == len(rows) > 0
    ids = [r["order_id"] for r in rows]
    if name == "full":
        assert len(rows) == N
    elif name == "head":
        assert len(rows) == 10
    elif name == "random_rows":
        assert len(rows) == 25
        again = _sync(lake, tmp_path / "again", STRATEGIES[name], "o_again")[1]
        assert again == rows  # same seed, same data, same rows
    elif name == "recent":
        assert ids == list(range(N - 5, N))
    elif name in ("stratified", "per_group"):
        assert {r["region"] for r in rows} == {"eu", "us", "apac", "tiny"}  # every stratum kept
    elif name == "sql":
        assert all(r["amount"] > 45 for r in rows)


def test_incremental_sync_from_onelake_merges_by_key(lake, tmp_path) -> None:
    seed(lake, "orders", _orders(0, 100))
    target = _Target(tmp_path / "t.duckdb")
    spec = SyncSpec.model_validate({"name": "s", "from": "lh", "incremental": {"cursor": "updated_at", "key": "order_id"}})
    first, second = Relation(schema_name="main", name="v1"), Relation(schema_name="main", name="v2")
    with open_source(lake) as src:
        result = sync_table(src, src.describe("orders"), spec, TargetTableSink(target.connection, first))
    assert result.rows == 100
    changed = _orders(95, 10)  # 5 rows updated (newer cursor), 5 new
    changed = changed.set_column(3, "updated_at", pa.array(
        [1_800_000_000_000_000 + i for i in range(10)], type=pa.timestamp("us")))
    seed(lake, "orders", changed.filter(pa.compute.greater_equal(changed["order_id"], 100)))
    with open_source(lake) as src:
        result = sync_table(src, src.describe("orders"), spec, TargetTableSink(target.connection, second, previous=first),
                            cursor_value=result.new_cursor)
    assert result.rows == 5
    assert len(target.rows(second)) == 105 and len(target.rows(first)) == 100
    target.connection.close()




def test_sync_output_as_delta_back_to_onelake(lake, tmp_path) -> None:
    seed(lake, "orders", _orders(0, N))
    url = table_url(lake.workspace, "Sales", "orders_sample")
    options = onelake_storage_options(credential=lake.credential, override=lake.storage_options_override())
    spec = SyncSpec.model_validate({"name": "s", "from": "lh", "sample": STRATEGIES["stratified"]})
    with open_source(lake) as src:
        result = sync_table(src, src.describe("orders"), spec, DeltaSink(url, options))
        copied = src.describe("orders_sample")
    assert copied.row_count == result.rows == 40


def test_sync_to_parquet_files(lake, tmp_path) -> None:
    seed(lake, "orders", _orders(0, N))
    spec = SyncSpec.model_validate({"name": "s", "from": "lh", "columns": {"mask": {"region": "hash"}}})
    with open_source(lake) as src:
        sync_table(src, src.describe("orders"), spec, FileSink(tmp_path / "out", "parquet", compression="zstd"))
    regions = duckdb.sql(f"select distinct length(region) from read_parquet('{tmp_path}/out/*.parquet')").fetchall()
    assert regions == [(64,)]  # sha256 hex of each value
