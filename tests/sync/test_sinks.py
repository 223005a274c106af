"""Sinks: every format round-trips, a failure midway leaves nothing, merges replace rows by key."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from deltalake import DeltaTable

from faborite.errors import FaboriteError
from faborite.providers.duckdb import DuckDBProvider, DuckDBTargetConfig
from faborite.relation import Relation
from faborite.sync import SyncError
from faborite.providers.delta_sink import DeltaSink
from faborite.sync.sinks import FileSink, TargetTableSink

SCHEMA = pa.schema(
    [
        ("id", pa.int64()), ("region", pa.string()), ("amount", pa.decimal128(10, 2)), ("score", pa.float64()),
        ("at", pa.timestamp("us")), ("day", pa.date32()), ("flag", pa.bool_()),
    ]
)


def make(ids, region=None, tag: float = 0.0) -> pa.Table:
    ids = list(ids)
    return pa.table(
        {
            "id": ids,
            "region": [region or ("eu" if i % 2 else "us") for i in ids],
            "amount": [decimal.Decimal(i) / 4 for i in ids],
            "score": [i + tag for i in ids],
            "at": [dt.datetime(2024, 1, 1) + dt.timedelta(seconds=i) for i in ids],
            "day": [dt.date(2024, 1, 1 + i % 28) for i in ids],
            "flag": [i % 3 == 0 for i in ids],
        },
        schema=SCHEMA,
    )


def reader(table: pa.Table, batch: int = 100) -> pa.RecordBatchReader:
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=batch))


def failing_reader(table: pa.Table, after_batches: int = 3) -> pa.RecordBatchReader:
    def batches():
        for i, batch in enumerate(table.to_batches(max_chunksize=100)):
            if i == after_batches:
                raise OSError("connection reset by peer while reading")
            yield batch

    return pa.RecordBatchReader.from_batches(table.schema, batches())


def read_folder(folder: Path, fmt: str, partitioned: bool = False) -> pa.Table:
    """Read a FileSink folder back with DuckDB, typed like SCHEMA, sorted by id."""
    con = duckdb.connect()
    con.register("empty", SCHEMA.empty_table())
    types = dict(con.execute("DESCRIBE SELECT * FROM empty").fetchall() and [(r[0], r[1]) for r in con.execute("DESCRIBE SELECT * FROM empty").fetchall()])
    glob = f"'{folder}/**/*'"
    hive = ", hive_partitioning = true, hive_types = {'region': 'VARCHAR'}" if partitioned else ""
    file_types = {k: v for k, v in types.items() if not (partitioned and k == "region")}
    cols = "{" + ", ".join(f"'{k}': '{v}'" for k, v in file_types.items()) + "}"
    if fmt == "parquet":
        rel = f"read_parquet({glob}{hive})"
    elif fmt == "csv":
        rel = f"read_csv({glob}, header = true, columns = {cols}{hive})"
    else:
        rel = f"read_json({glob}, format = 'newline_delimited', columns = {cols}{hive})"
    names = ", ".join(f'"{n}"' for n in SCHEMA.names)
    return con.sql(f"SELECT {names} FROM {rel} ORDER BY id").to_arrow_table().cast(SCHEMA)


CASES = [
    ("parquet", None, ()), ("parquet", "zstd", ("region",)), ("csv", None, ()), ("csv", "gzip", ("region",)),
    ("json", None, ()), ("json", "zstd", ("region",)),
]


@pytest.mark.parametrize("fmt, compression, partition_by", CASES)
def test_files_round_trip(tmp_path, fmt, compression, partition_by):
    data = make(range(1000))
    out = tmp_path / "out" / "v1"
    sink = FileSink(out, fmt, compression=compression, partition_by=partition_by)
    sink.write(reader(data))
    assert read_folder(out, fmt, bool(partition_by)).equals(data)
    if partition_by:
        assert sorted(p.name for p in out.iterdir()) == ["region=eu", "region=us"]
    else:
        assert [p.name for p in out.iterdir()] == [f"part-0{sink.suffix}"]
    assert [p.name for p in out.parent.iterdir()] == ["v1"]  # no temporary folder left


@pytest.mark.parametrize("fmt, compression, partition_by", CASES)
def test_files_failure_midway_leaves_no_folder(tmp_path, fmt, compression, partition_by):
    out = tmp_path / "out" / "v1"
    with pytest.raises(FaboriteError, match="connection reset"):
        FileSink(out, fmt, compression=compression, partition_by=partition_by).write(failing_reader(make(range(1000))))
    assert list((tmp_path / "out").iterdir()) == []


def test_files_failure_keeps_an_existing_version_intact(tmp_path):
    out = tmp_path / "v1"
    FileSink(out).write(reader(make(range(10))))
    with pytest.raises(FaboriteError):
        FileSink(out).write(failing_reader(make(range(1000))))
    assert read_folder(out, "parquet").equals(make(range(10)))
    FileSink(out).write(reader(make(range(3))))  # a rewrite replaces it whole
    assert read_folder(out, "parquet").equals(make(range(3)))
    assert [p.name for p in tmp_path.iterdir()] == ["v1"]


def test_files_empty_result_still_has_a_schema(tmp_path):
    FileSink(tmp_path / "v1").write(reader(make([])))
    assert read_folder(tmp_path / "v1", "parquet").num_rows == 0


@pytest.mark.parametrize("fmt, compression, partition_by", CASES)
def test_files_merge_by_key(tmp_path, fmt, compression, partition_by):
    FileSink(tmp_path / "v1", fmt, compression=compression, partition_by=partition_by).write(reader(make(range(10))))
    changed = make(range(8, 14), tag=0.5)  # 8, 9 updated; 10..13 new
    sink = FileSink(tmp_path / "v2", fmt, compression=compression, partition_by=partition_by, previous=tmp_path / "v1")
    sink.merge(reader(changed), ["id"])
    merged = read_folder(tmp_path / "v2", fmt, bool(partition_by))
    assert merged.column("id").to_pylist() == list(range(14))
    assert merged.column("score").to_pylist() == [*range(8), 8.5, 9.5, 10.5, 11.5, 12.5, 13.5]
    assert read_folder(tmp_path / "v1", fmt, bool(partition_by)).equals(make(range(10)))  # old version untouched


def test_files_merge_refuses_a_previous_version_in_another_format(tmp_path):
    FileSink(tmp_path / "v1", "csv").write(reader(make(range(3))))
    with pytest.raises(SyncError, match="no .parquet files"):
        FileSink(tmp_path / "v2", "parquet", previous=tmp_path / "v1").merge(reader(make(range(2))), ["id"])


def test_files_unknown_compression(tmp_path):
    with pytest.raises(SyncError, match="compression 'snappy' is not available for csv"):
        FileSink(tmp_path / "v1", "csv", compression="snappy")


# -- DuckDB -----------------------------------------------------------------


@pytest.fixture
def target(tmp_path):
    con = DuckDBProvider().connect(DuckDBTargetConfig(type="duckdb", path="t.duckdb"), tmp_path)
    yield con
    con.close()


def test_duckdb_round_trip_and_failure(target):
    rel = Relation(schema_name="faborite__raw", name="orders__v1")
    TargetTableSink(target, rel).write(reader(make(range(500))))
    assert target.fetch_arrow(f"SELECT * FROM {target.dialect.quote_relation(rel)} ORDER BY id").equals(make(range(500)))
    broken = Relation(schema_name="faborite__raw", name="orders__v2")
    with pytest.raises(FaboriteError, match="connection reset"):
        TargetTableSink(target, broken).write(failing_reader(make(range(1000))))
    assert broken not in target.list_relations(["faborite__raw"])


def test_duckdb_merge_by_key(target):
    v1 = Relation(schema_name="faborite__raw", name="orders__v1")
    v2 = Relation(schema_name="faborite__raw", name="orders__v2")
    TargetTableSink(target, v1).write(reader(make(range(10))))
    TargetTableSink(target, v2, previous=v1).merge(reader(make(range(8, 14), tag=0.5)), ["id"])
    merged = target.fetch_arrow(f"SELECT * FROM {target.dialect.quote_relation(v2)} ORDER BY id")
    assert merged.column("id").to_pylist() == list(range(14))
    assert merged.column("score").to_pylist()[7:10] == [7.0, 8.5, 9.5]
    assert target.list_relations(["faborite__raw"]) == {v1, v2}  # the staging table is gone
    v3 = Relation(schema_name="faborite__raw", name="orders__v3")
    with pytest.raises(FaboriteError):
        TargetTableSink(target, v3, previous=v2).merge(failing_reader(make(range(1000))), ["id"])
    assert target.list_relations(["faborite__raw"]) == {v1, v2}


# -- Delta ------------------------------------------------------------------


def test_delta_round_trip_partitioned_and_versions(tmp_path):
    sink = DeltaSink(tmp_path / "d", partition_by=["region"])
    assert sink.version() is None
    assert sink.write(reader(make(range(300)))).version == "0"
    table = DeltaTable(str(tmp_path / "d"))
    assert table.metadata().partition_columns == ["region"]
    got = pa.table(table.to_pyarrow_dataset().to_table()).select(SCHEMA.names).sort_by("id").cast(SCHEMA)
    assert got.equals(make(range(300)))
    assert sink.write(reader(make(range(5)))).version == "1"
    assert DeltaTable(str(tmp_path / "d")).to_pyarrow_dataset().count_rows() == 5


def test_delta_failure_midway_leaves_the_version_unchanged(tmp_path):
    sink = DeltaSink(tmp_path / "d")
    sink.write(reader(make(range(10))))
    with pytest.raises(Exception, match="connection reset"):
        sink.write(failing_reader(make(range(1000))))
    assert sink.version() == 0
    assert DeltaTable(str(tmp_path / "d")).to_pyarrow_dataset().count_rows() == 10
    with pytest.raises(Exception, match="connection reset"):
        DeltaSink(tmp_path / "new").write(failing_reader(make(range(1000))))
    assert DeltaSink(tmp_path / "new").version() is None


def test_delta_merge_by_key(tmp_path):
    sink = DeltaSink(tmp_path / "d")
    sink.write(reader(make(range(10))))
    result = sink.merge(reader(make(range(8, 14), tag=0.5)), ["id"])
    assert result.version == "1"
    merged = DeltaTable(str(tmp_path / "d")).to_pyarrow_dataset().to_table().sort_by("id")
    assert merged.column("id").to_pylist() == list(range(14))
    assert merged.column("score").to_pylist()[7:10] == [7.0, 8.5, 9.5]
    # Merging into a table that does not exist yet creates it.
    assert DeltaSink(tmp_path / "fresh").merge(reader(make(range(3))), ["id"]).version == "0"
