"""Sampling strategies, filters, column selection and masks, run end to end over a Delta table."""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from faborite.errors import ProviderError
from faborite.sync import SyncError
from faborite.providers.delta import DeltaFolderSource
from faborite.sync.sampling import build_sample_query, plan_reads
from faborite.sync.spec import SyncSpec

from .conftest import ROWS, orders_table, run


@pytest.fixture(scope="module")
def source(lake):
    return DeltaFolderSource(lake)


def ids(table: pa.Table) -> list[int]:
    return table.column("order_id").to_pylist()


def spec(**kwargs) -> SyncSpec:
    return SyncSpec.model_validate({"name": "s", "from": "src", **kwargs})


SEEDED = [
    {"strategy": "random", "rows": 50},
    {"strategy": "random", "percent": 5},
    {"strategy": "stratified", "by": "region", "rows": 40},
    {"strategy": "stratified", "by": "region", "per_group": 3},
]


@pytest.mark.parametrize("sample", SEEDED, ids=lambda s: "-".join(f"{k}={v}" for k, v in s.items()))
def test_same_seed_same_rows_whatever_the_threads(source, sample):
    first, _ = run(source, "dbo.orders", {"sample": {**sample, "seed": 7}}, threads=1)
    second, _ = run(source, "dbo.orders", {"sample": {**sample, "seed": 7}}, threads=2)
    assert first.num_rows > 0
    assert first.equals(second) or sorted(ids(first)) == sorted(ids(second))
    other, _ = run(source, "dbo.orders", {"sample": {**sample, "seed": 8}}, threads=2)
    assert sorted(ids(other)) != sorted(ids(first))


def test_same_seed_same_rows_whatever_the_file_layout(source, tmp_path):
    # The same rows, reversed and spread over four files in four commits.
    data = orders_table()
    reversed_rows = data.take(list(range(ROWS - 1, -1, -1)))
    for i in range(4):
        write_deltalake(tmp_path / "orders", reversed_rows.slice(i * 500, 500), mode="append")
    other = DeltaFolderSource(tmp_path)
    for sample in SEEDED:
        a, _ = run(source, "dbo.orders", {"sample": sample})
        b, _ = run(other, "orders", {"sample": sample})
        assert sorted(ids(a)) == sorted(ids(b)), sample


def test_random_rows_and_percent(source):
    rows, _ = run(source, "dbo.orders", {"sample": {"strategy": "random", "rows": 50}})
    assert rows.num_rows == 50 and len(set(ids(rows))) == 50
    assert ids(rows) != sorted(ids(rows))  # not simply the first rows
    pct, _ = run(source, "dbo.orders", {"sample": {"strategy": "random", "percent": 10}})
    assert 140 <= pct.num_rows <= 260  # about 10% of 2000
    everything, _ = run(source, "dbo.orders", {"sample": {"strategy": "random", "percent": 100}})
    assert everything.num_rows == ROWS


def test_stratified_keeps_every_stratum_even_a_tiny_one(source):
    rows, _ = run(source, "dbo.orders", {"sample": {"strategy": "stratified", "by": "region", "rows": 40}})
    counts = {r: rows.column("region").to_pylist().count(r) for r in set(rows.column("region").to_pylist())}
    assert set(counts) == {"eu", "us", "apac", "latam"}  # latam is 2 rows of 2000
    assert counts["latam"] >= 1
    assert all(13 <= counts[r] <= 14 for r in ("eu", "us", "apac"))  # proportional
    assert 40 <= rows.num_rows <= 41  # the tiny stratum's one row may come on top
    per_group, _ = run(source, "dbo.orders", {"sample": {"strategy": "stratified", "by": "region", "per_group": 5}})
    regions = per_group.column("region").to_pylist()
    assert {r: regions.count(r) for r in set(regions)} == {"eu": 5, "us": 5, "apac": 5, "latam": 2}


def test_stratified_with_more_rows_than_the_table_copies_it(source):
    rows, _ = run(source, "dbo.orders", {"sample": {"strategy": "stratified", "by": "region", "rows": 10_000}})
    assert rows.num_rows == ROWS


def test_recent_returns_the_latest_rows(source):
    rows, _ = run(source, "dbo.orders", {"sample": {"strategy": "recent", "rows": 5, "column": "updated_at"}})
    assert ids(rows) == [1999, 1998, 1997, 1996, 1995]
    by_date, _ = run(source, "dbo.orders", {"sample": {"strategy": "recent", "rows": 3, "column": "order_date"}})
    assert set(by_date.column("order_date").to_pylist()) == {max(orders_table().column("order_date").to_pylist())}


@pytest.mark.parametrize("column, message", [("amount", "needs a date or timestamp column"), ("created", "not in table")])
def test_recent_refuses_a_missing_or_non_temporal_column(source, column, message):
    with pytest.raises(SyncError, match=message) as err:
        run(source, "dbo.orders", {"sample": {"strategy": "recent", "rows": 5, "column": column}})
    assert isinstance(err.value, ProviderError)
    assert column in err.value.message


def test_head(source):
    rows, _ = run(source, "dbo.orders", {"sample": {"strategy": "head", "rows": 4}})
    assert ids(rows) == [0, 1, 2, 3]


def test_sql_strategy_and_where(source):
    rows, _ = run(
        source, "dbo.orders",
        {"where": "region = 'eu'", "sample": {"strategy": "sql", "query": "SELECT * FROM {{ table }} WHERE amount < 30 ORDER BY order_id"}},
    )
    assert ids(rows) == [0, 3, 6, 9, 12, 15, 18]
    agg, _ = run(
        source, "dbo.orders",
        {"sample": {"strategy": "sql", "query": "SELECT region, count(*) AS n FROM {{table}} GROUP BY region ORDER BY region"}},
    )
    assert agg.column_names == ["region", "n"] and agg.num_rows == 4
    with pytest.raises(SyncError, match="does not mention"):
        run(source, "dbo.orders", {"sample": {"strategy": "sql", "query": "SELECT 1"}})


def test_max_full_rows_copies_small_tables_whole(source):
    rows, result = run(source, "dbo.orders", {"sample": {"strategy": "random", "rows": 10, "max_full_rows": ROWS}})
    assert rows.num_rows == ROWS and result.strategy == "full"
    rows, result = run(source, "dbo.orders", {"sample": {"strategy": "random", "rows": 10, "max_full_rows": ROWS - 1}})
    assert rows.num_rows == 10 and result.strategy == "random"


def test_max_full_rows_counts_when_the_source_does_not_know(files_dir):
    from faborite.sync.files_source import FilesSource

    source = FilesSource(folder=files_dir)
    assert source.describe("orders").row_count is None
    rows, result = run(source, "orders", {"sample": {"strategy": "head", "rows": 1, "max_full_rows": 1000}})
    assert rows.num_rows == 300 and result.strategy == "full"


def test_where_include_exclude_and_every_mask(source):
    rows, _ = run(
        source, "dbo.orders",
        {
            "where": "order_id < 10 AND region <> 'us'",
            "columns": {
                "exclude": ["ssn"],
                "mask": {"email": "hash", "region": "redact", "amount": "redact", "updated_at": "null", "order_date": "drop"},
            },
        },
    )
    assert rows.column_names == ["order_id", "region", "amount", "updated_at", "email"]
    assert ids(rows) == [0, 2, 3, 5, 6, 7, 8, 9]
    assert rows.column("email")[0].as_py() == hashlib.sha256(b"user0@example.com").hexdigest()
    assert set(rows.column("region").to_pylist()) == {"***"}
    assert rows.column("amount").type == pa.float64() and rows.column("amount").null_count == rows.num_rows
    assert rows.schema.field("updated_at").type == pa.timestamp("us") and rows.column("updated_at").null_count == 8
    included, _ = run(source, "dbo.orders", {"sample": {"strategy": "head", "rows": 2}, "columns": {"include": ["ORDER_ID", "email"]}})
    assert included.column_names == ["order_id", "email"]


def test_masks_do_not_change_which_rows_are_sampled_or_sorted(source):
    sample = {"strategy": "recent", "rows": 3, "column": "updated_at"}
    rows, _ = run(source, "dbo.orders", {"sample": sample, "columns": {"mask": {"updated_at": "null"}}})
    assert ids(rows) == [1999, 1998, 1997]
    plain, _ = run(source, "dbo.orders", {"sample": {"strategy": "random", "rows": 20}})
    masked, _ = run(source, "dbo.orders", {"sample": {"strategy": "random", "rows": 20}, "columns": {"mask": {"email": "hash"}}})
    assert ids(plain) == ids(masked)


def test_excluded_and_masked_names_apply_only_to_tables_that_have_them(source):
    # One sync spans many tables: `exclude: [ssn]` must not fail a table without ssn.
    rows, _ = run(source, "dbo.orders", {"columns": {"exclude": ["ssn"], "mask": {"email_address": "hash"}}})
    assert rows and "ssn" not in rows[0]


@pytest.mark.parametrize("columns, role", [({"include": ["nope"]}, "columns.include")])
def test_unknown_columns_are_named_with_the_available_ones(source, columns, role):
    with pytest.raises(SyncError, match=role) as err:
        run(source, "dbo.orders", {"columns": columns})
    assert "order_id, region, amount" in err.value.message


def test_stratified_unknown_by_column(source):
    with pytest.raises(SyncError, match="sample.by names column 'regoin'") as err:
        run(source, "dbo.orders", {"sample": {"strategy": "stratified", "by": "regoin", "rows": 5}})
    assert "region" in (err.value.hint or "")


def test_reads_only_the_needed_columns():
    schema = orders_table(1).schema
    reads = plan_reads(schema, spec(columns={"include": ["order_id"]}, where="amount > 3", sample={"strategy": "recent", "rows": 1, "column": "updated_at"}))
    assert reads.columns == ("order_id", "amount", "updated_at")
    assert reads.where == "(amount > 3)"
    query = build_sample_query(schema, spec(columns={"include": ["order_id"]}))
    assert "email" not in query.sql


def test_incremental_filters_past_the_cursor_and_keeps_the_latest_per_key(source):
    import datetime as dt

    cursor = dt.datetime(2024, 1, 2, 9, 0)  # minute 1980 of the data
    rows, result = run(
        source, "dbo.orders", {"incremental": {"cursor": "updated_at", "key": "order_id"}}, cursor_value=cursor
    )
    assert sorted(ids(rows)) == list(range(1981, 2000))
    assert result.new_cursor == dt.datetime(2024, 1, 1) + dt.timedelta(minutes=1999)
    with pytest.raises(SyncError, match="cursor 'updated_at' .* excluded or masked"):
        run(source, "dbo.orders", {"incremental": {"cursor": "updated_at", "key": "order_id"}, "columns": {"exclude": ["updated_at"]}})


def test_nulls_in_the_stratum_and_recent_columns(tmp_path):
    table = pa.table(
        {
            "order_id": list(range(10)),
            "region": ["eu", "eu", "eu", None, None, "us", "us", "us", "us", "us"],
            "updated_at": pa.array([None, None, None, None, None, None, None, 3, 1, 2], pa.int64()).cast(pa.timestamp("s")),
        }
    )
    write_deltalake(tmp_path / "t", table)
    source = DeltaFolderSource(tmp_path)
    rows, _ = run(source, "t", {"sample": {"strategy": "stratified", "by": "region", "per_group": 1}})
    assert sorted(rows.column("region").to_pylist(), key=str) == [None, "eu", "us"]
    latest, _ = run(source, "t", {"sample": {"strategy": "recent", "rows": 5, "column": "updated_at"}})
    assert ids(latest)[:3] == [7, 9, 8] and latest.num_rows == 5  # NULLs fill up, last
    none, _ = run(source, "t", {"sample": {"strategy": "random", "rows": 0}})
    assert none.num_rows == 0


def test_pyarrow_filter_pushes_only_what_means_the_same():
    import datetime as dt

    from faborite.sync.pushdown import pyarrow_filter

    schema = orders_table(1).schema
    pushed = pyarrow_filter("region = 'eu' AND amount > 3 AND order_id + 1 > 2", ("updated_at", dt.datetime(2024, 1, 2)), schema)
    assert str(pushed) == '(((region == "eu") and (amount > 3)) and (updated_at > 2024-01-02 00:00:00.000000))'
    assert pyarrow_filter("order_id = '5'", None, schema) is None  # DuckDB casts the string; pyarrow would not
    assert pyarrow_filter("region = 'eu' OR amount > 3", None, schema) is None
    assert pyarrow_filter("not sql at all (", None, schema) is None
    assert str(pyarrow_filter("order_date >= DATE '2024-03-01' AND email IS NOT NULL", None, schema)) == (
        "((order_date >= 2024-03-01) and is_valid(email))"
    )
