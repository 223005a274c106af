"""The DuckDB provider: the conformance suite plus what only DuckDB has."""

from __future__ import annotations

import threading
from pathlib import Path

import pyarrow as pa
import pytest

from faborite.errors import ProviderError, TargetMissingError
from faborite.providers.duckdb import DuckDBConnection, DuckDBProvider, DuckDBTargetConfig
from faborite.relation import Relation

from .conformance import TargetConnectionConformance


def connect(tmp_path: Path, read_only: bool = False, **config) -> DuckDBConnection:
    cfg = DuckDBTargetConfig(type="duckdb", **config)
    return DuckDBProvider().connect(cfg, tmp_path, read_only=read_only)


class TestDuckDBConformance(TargetConnectionConformance):
    @pytest.fixture
    def connection(self, tmp_path):
        con = connect(tmp_path)
        yield con
        con.close()


class TestDuckDBInMemoryConformance(TargetConnectionConformance):
    @pytest.fixture
    def connection(self, tmp_path):
        con = connect(tmp_path, path=":memory:")
        yield con
        con.close()


def test_config_forbids_unknown_keys():
    with pytest.raises(ValueError, match="pathh"):
        DuckDBTargetConfig.model_validate({"type": "duckdb", "pathh": "x.duckdb"})


def test_default_path_is_inside_the_project(tmp_path):
    with connect(tmp_path) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS a")
    assert (tmp_path / ".faborite" / "dev.duckdb").is_file()


def test_relative_path_is_from_the_project_root_and_parents_are_made(tmp_path):
    with connect(tmp_path, path="data/deep/w.duckdb"):
        pass
    assert (tmp_path / "data" / "deep" / "w.duckdb").is_file()


def test_read_only_on_a_missing_database(tmp_path):
    with pytest.raises(TargetMissingError, match="no database at") as info:
        connect(tmp_path, read_only=True)
    assert "faborite apply" in info.value.hint
    assert not (tmp_path / ".faborite").exists()


def test_read_only_reads_but_does_not_write(tmp_path):
    with connect(tmp_path) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS a")
    with connect(tmp_path, read_only=True) as con:
        assert con.fetch_scalar("SELECT a FROM t") == 1
        with pytest.raises(ProviderError):
            con.execute("CREATE TABLE u AS SELECT 1 AS a")


def test_in_memory_cannot_be_read_only(tmp_path):
    with pytest.raises(ProviderError, match="in-memory"):
        connect(tmp_path, path=":memory:", read_only=True)


def test_settings_and_threads_apply_to_the_connection_and_its_cursors(tmp_path):
    with connect(tmp_path, threads=2, settings={"default_order": "desc", "preserve_insertion_order": False}) as con:
        cur = con.cursor()
        for c in (con, cur):
            assert c.fetch_scalar("SELECT current_setting('threads')") == 2
            assert c.fetch_scalar("SELECT current_setting('default_order')").lower() == "desc"
            assert c.fetch_scalar("SELECT current_setting('preserve_insertion_order')") is False
        # columns() keeps column order although the default order is now DESC.
        con.execute("CREATE TABLE t AS SELECT 1 AS a, 2 AS b, 3 AS c")
        assert [col.name for col in con.columns(Relation(schema_name="main", name="t"))] == ["a", "b", "c"]
        cur.close()


def test_a_bad_setting_is_a_provider_error_without_its_value(tmp_path):
    with pytest.raises(ProviderError) as info:
        connect(tmp_path, settings={"my_api_token_setting": "hunter2-secret-value"})
    assert "hunter2" not in str(info.value)
    assert "my_api_token_setting" in str(info.value)


def test_secrets_in_failing_sql_are_redacted(tmp_path):
    with connect(tmp_path) as con:
        with pytest.raises(ProviderError) as info:
            con.execute("CREATE SECRET nope (TYPE no_such_type, KEY_ID 'AKIAEXAMPLE', SECRET 'hunter2')")
    text = str(info.value)
    assert "AKIAEXAMPLE" not in text and "hunter2" not in text
    assert "CREATE SECRET" in text


def test_python_variables_are_not_read_as_tables(tmp_path):
    faborite_local_table = pa.table({"a": [1]})  # noqa: F841 - what a replacement scan would find
    with connect(tmp_path) as con:
        with pytest.raises(ProviderError, match="faborite_local_table"):
            con.fetch_arrow("SELECT * FROM faborite_local_table")


def test_execute_of_a_select_does_not_hold_its_transaction(tmp_path):
    with connect(tmp_path) as con:
        con.execute("CREATE TABLE big AS SELECT range AS i FROM range(3000000)")
        con.execute("CREATE TABLE small AS SELECT 1 AS a")
        reader = con.cursor()
        reader.execute("SELECT * FROM big")  # a pending result would keep its transaction open
        writer = con.cursor()
        writer.execute("DROP TABLE small")
        writer.execute("CHECKPOINT")  # refused while another transaction is open
        reader.close()
        writer.close()


def test_column_types_are_duckdb_type_names(tmp_path):
    with connect(tmp_path) as con:
        con.execute("CREATE TABLE t AS SELECT 1::INTEGER AS i, 'x'::VARCHAR AS s, 1.5::DECIMAL(18,3) AS d, [1, 2] AS l")
        types = [c.type for c in con.columns(Relation(schema_name="main", name="T"))]
    assert types == ["INTEGER", "VARCHAR", "DECIMAL(18,3)", "INTEGER[]"]


def test_concurrent_create_table_as_in_cursors(tmp_path):
    """apply's pattern: schemas made up front, then one cursor per worker thread."""
    with connect(tmp_path) as con:
        con.execute(con.dialect.create_schema("s"))
        con.execute("CREATE TABLE s.src AS SELECT range AS i FROM range(200000)")
        errors: list[BaseException] = []

        def work(n: int) -> None:
            cur = con.cursor()
            try:
                for k in range(3):
                    rel = Relation(schema_name="s", name=f"m{n}_{k}")
                    select = f"SELECT i, i * {n} AS j FROM s.src WHERE i % {n + 2} = 0"
                    cur.execute(cur.dialect.create_table_as(rel, select))
                    cur.create_table_from_arrow(Relation(schema_name="s", name=f"seed{n}_{k}"), pa.table({"v": [n, k]}))
                    assert cur.fetch_scalar(f"SELECT COUNT(*) FROM {cur.dialect.quote_relation(rel)}") > 0
            except BaseException as exc:  # noqa: BLE001 - reported to the main thread
                errors.append(exc)
            finally:
                cur.close()

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(con.list_relations(["s"])) == 1 + 8 * 3 * 2


def test_nested_transactions_are_refused(tmp_path):
    with connect(tmp_path) as con:
        with pytest.raises(ProviderError, match="already open"):
            with con.transaction():
                with con.transaction():
                    pass
        assert con.fetch_scalar("SELECT 1") == 1


def test_target_schema_is_where_unqualified_nodes_go(tmp_path):
    """A DuckDB target's ``schema`` (a dbt profile's ``schema:``) names the default schema."""
    from faborite.config.targets import ResolvedTarget

    provider = DuckDBProvider()
    block, ignored = provider.target_from_dbt({"type": "duckdb", "path": "x.duckdb", "schema": "dev", "threads": 4})
    assert block == {"type": "duckdb", "path": "x.duckdb", "schema": "dev"} and not ignored
    config = DuckDBTargetConfig.model_validate(block)
    assert ResolvedTarget(name="dev", provider=provider, config=config).schema == "dev"
    default = DuckDBTargetConfig.model_validate({"type": "duckdb"})
    assert ResolvedTarget(name="dev", provider=provider, config=default).schema == "main"
