"""The delta lakehouse target: the conformance suite on a folder and on Azurite as OneLake,
plus publishing (one Delta commit per table, read back for drift)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from faborite.errors import ProviderError, TargetMissingError
from faborite.providers.delta_target import DeltaTargetConfig, DeltaTargetProvider
from faborite.relation import Relation
from tests.azurite import WELL_KNOWN_KEY, Azurite

from .conformance import TargetConnectionConformance


def connect(root: Path, read_only: bool = False, **config):
    cfg = DeltaTargetConfig(type="delta", **config)
    return DeltaTargetProvider().connect(cfg, root, read_only=read_only)


def onelake_config(server: Azurite, workspace: str) -> dict:
    """A OneLake URL served by Azurite, with the emulator's account key (as a user's SAS/key would be)."""
    return {"path": f"abfss://{workspace}@onelake.dfs.fabric.microsoft.com/Sales.Lakehouse/Tables",
            "storage_options": {**server.endpoint_options("onelake"), "account_key": WELL_KNOWN_KEY}}


class TestDeltaFolderConformance(TargetConnectionConformance):
    @pytest.fixture
    def connection(self, tmp_path):
        con = connect(tmp_path)
        yield con
        con.close()


@pytest.mark.service
class TestDeltaOneLakeConformance(TargetConnectionConformance):
    @pytest.fixture
    def connection(self, tmp_path, azurite):  # noqa: F811
        workspace = f"ws-{uuid.uuid4().hex[:12]}"
        azurite.create_container(workspace, account="onelake")
        con = connect(tmp_path, **onelake_config(azurite, workspace))
        yield con
        con.close()


def _published(con, schema: str) -> dict[Relation, object]:
    return {i.relation: i for i in con.describe_relations([schema])}


@pytest.fixture(params=["folder", pytest.param("onelake", marks=pytest.mark.service)])
def lake(request, tmp_path):
    """(connection, storage options, URL of the lakehouse) on a folder or on Azurite as OneLake."""
    if request.param == "folder":
        con = connect(tmp_path, path="lake")
        yield con, None, str(tmp_path / "lake")
    else:
        server = request.getfixturevalue("azurite")
        workspace = f"ws-{uuid.uuid4().hex[:12]}"
        server.create_container(workspace, account="onelake")
        config = onelake_config(server, workspace)
        con = connect(tmp_path, **config)
        yield con, config["storage_options"], config["path"]
    con.close()


def test_publish_writes_a_delta_version_per_table_and_drift_reads_it(lake):
    con, options, root = lake
    d = con.dialect
    v1, v2 = Relation(schema_name="faborite__main", name="x__1"), Relation(schema_name="faborite__main", name="x__2")
    view_v = Relation(schema_name="faborite__main", name="v__1")
    virtual, virtual_view = Relation(schema_name="main", name="x"), Relation(schema_name="main", name="v")
    con.execute(d.create_schema("faborite__main"))
    # CREATE TABLE AS says how many rows it wrote: apply need not count them again.
    assert con.execute(d.create_table_as(v1, "SELECT 1 AS a UNION ALL SELECT 2")) == 2
    assert con.execute(d.create_table_as(v2, "SELECT 3 AS a, 'new' AS b")) == 1
    for sql in d.create_or_replace_view(view_v, f"SELECT a * 10 AS a FROM {d.quote_relation(v1)}"):
        con.execute(sql)
    con.publish({virtual: v1, virtual_view: view_v}, [])
    described = _published(con, "main")
    assert {r: (i.kind, d.pointer_reads(i.definition)) for r, i in described.items()} == {
        virtual: ("view", v1), virtual_view: ("view", view_v)}
    con.publish({virtual: v2}, [virtual_view])
    if options is not None:
        # Azurite: deltalake 1.6.6 fails to commit any table's third version there ("Invalid table
        # version: 1", plain write_deltalake too), so the emulated lake stops at two versions.
        assert DeltaTable(f"{root}/main/x", storage_options=options).to_pyarrow_table().to_pylist() == [{"a": 3, "b": "new"}]
        assert {r: d.pointer_reads(i.definition) for r, i in _published(con, "main").items()} == {virtual: v2}
        return
    con.publish({virtual: v1}, [])  # a rollback: a new version again
    table = DeltaTable(f"{root}/main/x", storage_options=options)
    assert table.version() == 2
    assert [h.get("faborite.mirrors") for h in table.history()] == [
        f"SELECT * FROM {d.quote_relation(r)}" for r in (v1, v2, v1)]
    # Any Delta reader sees a plain table (relative paths inside its own folder).
    assert table.to_pyarrow_table().sort_by("a").to_pylist() == [{"a": 1}, {"a": 2}]
    assert DeltaTable(f"{root}/main/x", version=1, storage_options=options).to_pyarrow_table().to_pylist() == [{"a": 3, "b": "new"}]
    assert con.fetch_arrow('SELECT a FROM "main"."x" ORDER BY a').column("a").to_pylist() == [1, 2]
    assert _published(con, "main").keys() == {virtual}
    # Zero-copy on a local disk: the published files are hard links of the physical ones.
    if options is None:
        files = [p for p in Path(root, "main/x").iterdir() if p.suffix == ".parquet"]
        assert files and all(p.stat().st_nlink >= 2 for p in files)
    # Another writer's commit: the table is no longer faborite's pointer (drift: replaced).
    from deltalake import write_deltalake

    write_deltalake(f"{root}/main/x", pa.table({"a": [9]}), mode="append", storage_options=options)
    assert _published(con, "main")[virtual].kind == "table"


def test_the_plan_says_publish_is_not_atomic_across_tables():
    from faborite.dialects import get_dialect
    from faborite.plan.atomicity import publish_strategy

    strategy = publish_strategy(get_dialect("delta")())
    assert (strategy.method, strategy.atomic) == ("per_statement", False)


def test_read_only_on_a_missing_lakehouse(tmp_path):
    with pytest.raises(TargetMissingError, match="no lakehouse"):
        connect(tmp_path, read_only=True)
    assert not (tmp_path / "lakehouse").exists()


def test_read_only_refuses_writes_and_other_statements_are_refused(tmp_path):
    connect(tmp_path).close()
    con = connect(tmp_path, read_only=True)
    with pytest.raises(ProviderError, match="read-only"):
        con.execute(con.dialect.create_schema("s"))
    con.close()
    con = connect(tmp_path)
    with pytest.raises(ProviderError, match="does not run INSERT"):
        con.execute('INSERT INTO "main"."t" VALUES (1)')
    assert con.server_version().startswith("deltalake ")
    con.close()


def test_unsigned_integers_are_widened_since_delta_has_none(tmp_path):
    con = connect(tmp_path)
    rel = Relation(schema_name="s", name="u")
    con.create_table_from_arrow(rel, pa.table({"u": pa.array([0, 2**32 - 1], pa.uint32())}))
    assert DeltaTable(str(tmp_path / "lakehouse/s/u")).schema().to_arrow().field("u").type == pa.int64()
    con.close()


def test_files_are_written_in_row_groups_of_row_group_size(tmp_path):
    # Readers scan row groups in parallel: a table in one big group is read by one thread.
    import pyarrow.parquet as pq

    con = connect(tmp_path, row_group_size=2048)  # DuckDB's writer: a multiple of its 2,048-row vectors
    table = Relation(schema_name="s", name="t")
    con.execute(con.dialect.create_schema("s"))
    con.execute(con.dialect.create_table_as(table, "SELECT range AS i FROM range(10000)"))
    con.publish({Relation(schema_name="s", name="v"): table}, [])
    con.close()
    for table in ("t", "v"):
        files = list((tmp_path / "lakehouse/s" / table).glob("*.parquet"))
        groups = [pq.ParquetFile(f).metadata.num_row_groups for f in files]
        assert sum(groups) >= 5, (table, groups)


def test_config_forbids_unknown_keys():
    with pytest.raises(ValueError, match="pathh"):
        DeltaTargetConfig.model_validate({"type": "delta", "pathh": "x"})


# -- how tables are read: DuckDB's Parquet reader where the files alone are the rows ----------


def _rows(con, schema: str, name: str) -> list[tuple]:
    return [tuple(r.values()) for r in con.fetch_arrow(f'SELECT * FROM "{schema}"."{name}" ORDER BY 1').to_pylist()]


@pytest.mark.parametrize("folder", ["plain", "glob * ?"])
def test_a_table_reads_the_same_through_either_reader(tmp_path, folder):
    from deltalake import write_deltalake

    # Two commits, the second adding a column: the older file has no `b` (read as NULL).
    uri = str(tmp_path / "lakehouse" / "s" / folder)
    write_deltalake(uri, pa.table({"a": [1, 2]}))
    write_deltalake(uri, pa.table({"a": [3], "b": ["x"]}), mode="append", schema_mode="merge")
    con = connect(tmp_path)
    assert _rows(con, "s", folder) == [(1, None), (2, None), (3, "x")]
    assert [c.name for c in con.columns(Relation(schema_name="s", name=folder))] == ["a", "b"]
    # A glob character in the path: not handed to DuckDB's reader (it would expand it).
    assert (con._visible[("s", folder)] == "") is (folder == "plain")
    con.close()


def test_a_partitioned_table_is_read_with_its_partition_values(tmp_path):
    from deltalake import write_deltalake

    uri = str(tmp_path / "lakehouse" / "s" / "parts")
    write_deltalake(uri, pa.table({"a": [1, 2, 3], "p": ["x", "y", "x"]}), partition_by=["p"])
    con = connect(tmp_path)
    assert sorted(_rows(con, "s", "parts")) == [(1, "x"), (2, "y"), (3, "x")]
    assert con._visible[("s", "parts")] != ""  # partition values live in paths: the dataset reads them
    con.close()
