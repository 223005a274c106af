"""The Spark provider: the conformance suite on a local[2] session, plus what only Spark has."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from faborite import plugins
from faborite.errors import ProviderError
from faborite.providers.spark import SparkProvider, SparkTargetConfig
from faborite.providers.spark_session import session_settings

from .conformance import TargetConnectionConformance

pytestmark = [pytest.mark.service, pytest.mark.slow]


class TestSparkConformance(TargetConnectionConformance):
    #: Spark's session catalog keeps lower-case letters, digits and `_` only.
    any_relation_name = False

    @pytest.fixture
    def connection(self, spark_connection):  # noqa: F811
        return spark_connection


# -- config (no JVM) -------------------------------------------------------------


def test_config_defaults():
    config = SparkTargetConfig.model_validate({"type": "spark", "master": "local[2]"})
    assert (config.schema_name, config.dialect, config.conf) == ("default", "spark", {})


@pytest.mark.parametrize("raw, wrong", [
    ({"master": "local[2]", "remote": "sc://h:15002"}, "exactly one"),
    ({}, "exactly one"),
    ({"remote": "http://h:15002"}, "remote"),
    ({"remote": "sc://h:15002", "warehouse": "w"}, "warehouse"),
    ({"master": "local", "schema": "my schema"}, "schema"),
    ({"master": "local", "mastr": "x"}, "mastr"),  # a typo: extra keys are refused
])
def test_config_errors_name_the_key(raw, wrong):
    with pytest.raises(ValidationError, match=wrong):
        SparkTargetConfig.model_validate({"type": "spark", **raw})


def test_a_local_master_keeps_its_metastore_in_the_warehouse(tmp_path):
    config = SparkTargetConfig.model_validate({"type": "spark", "master": "local[2]"})
    settings = config.settings(tmp_path)
    warehouse = str(tmp_path / ".faborite" / "spark-warehouse")
    assert settings["spark.sql.warehouse.dir"] == warehouse
    assert settings["spark.sql.catalogImplementation"] == "hive"
    assert settings["spark.hadoop.javax.jdo.option.ConnectionURL"] == (
        f"jdbc:derby:;databaseName={warehouse}/metastore_db;create=true")


def test_a_cluster_uses_its_own_metastore_and_conf_wins():
    settings = session_settings("yarn", "hdfs://nn/warehouse", {"spark.executor.memory": "4g", "x.flag": True})
    assert "spark.hadoop.javax.jdo.option.ConnectionURL" not in settings
    assert settings["spark.sql.warehouse.dir"] == "hdfs://nn/warehouse"
    assert (settings["spark.executor.memory"], settings["x.flag"]) == ("4g", "true")
    named = session_settings("local[2]", "/w", {"spark.hadoop.hive.metastore.uris": "thrift://ms:9083"})
    assert "spark.hadoop.javax.jdo.option.ConnectionURL" not in named


def test_spark_connect_gets_only_the_conf_given():
    config = SparkTargetConfig.model_validate({"type": "spark", "remote": "sc://h:15002", "conf": {"a.b": 1}})
    assert config.settings(None) == {"a.b": "1"}


def test_a_connect_token_is_not_in_messages():
    config = SparkTargetConfig.model_validate({"type": "spark", "remote": "sc://h:15002/;token=s3cret;use_ssl=true"})
    assert config.where() == "sc://h:15002"


def test_registered_by_entry_point():
    assert isinstance(plugins.load_provider("spark"), SparkProvider)
    assert plugins.load_dialect_class("spark").__name__ == "SparkDialect"


def test_missing_pyspark_is_a_provider_error_with_the_install_hint(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pyspark(name, *args, **kwargs):
        if name == "pyspark" or name.startswith("pyspark."):
            raise ImportError("No module named 'pyspark'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyspark)
    config = SparkTargetConfig.model_validate({"type": "spark", "master": "local[2]"})
    with pytest.raises(ProviderError, match="pyspark") as info:
        SparkProvider().connect(config, project_root=None)
    assert "faborite[spark]" in info.value.hint


# -- behaviour only Spark has (the shared session) ------------------------------------


def test_server_version_and_startup_time(spark_connection):  # noqa: F811
    assert spark_connection.server_version().startswith("Spark ")
    assert "local[2]" in spark_connection.server_version()
    print(f"Spark session started in {spark_connection.startup_seconds:.1f}s")


def test_errors_carry_no_jvm_trace(spark_connection):  # noqa: F811
    with pytest.raises(ProviderError) as info:
        spark_connection.execute("SELECT * FROM faborite_no_such_table_anywhere")
    text = f"{info.value} {info.value.hint}"
    assert "TABLE_OR_VIEW_NOT_FOUND" in text
    assert "\tat " not in text and "Traceback" not in text and "py4j" not in text.lower()


def test_a_cursor_leaves_the_session_running(spark_connection):  # noqa: F811
    with spark_connection.cursor() as other:
        assert other.fetch_scalar("SELECT 1") == 1
    assert spark_connection.fetch_scalar("SELECT 2") == 2


# -- the rows a CREATE TABLE ... AS wrote, from the write's metrics ---------------------


def _ctas(connection, name: str, select: str):
    from faborite.relation import Relation

    rel = Relation(schema_name="faborite_rows", name=name)
    connection.execute(connection.dialect.create_schema(rel.schema_name))
    connection.execute(connection.dialect.drop_table(rel))
    return connection.execute(connection.dialect.create_table_as(rel, select))


@pytest.mark.parametrize("rows", [0, 1, 12_345])
def test_create_table_as_reports_exactly_the_rows_written(spark_connection, rows):  # noqa: F811
    # Several tasks (range over 3 partitions, a shuffle): the count is the write's, not one task's.
    select = f"SELECT id DIV 10 AS k, COUNT(*) AS n FROM range(0, {rows * 10}, 1, 3) GROUP BY id DIV 10"
    assert _ctas(spark_connection, f"rows_{rows}", select) == rows
    assert spark_connection.fetch_scalar(f"SELECT COUNT(*) FROM faborite_rows.rows_{rows}") == rows


def test_create_table_as_counts_belong_to_their_own_statement_across_threads(spark_connection):  # noqa: F811
    from concurrent.futures import ThreadPoolExecutor

    sizes = [10, 200, 3_000, 40]

    def create(size: int):
        with spark_connection.cursor() as cursor:
            return _ctas(cursor, f"threads_{size}", f"SELECT id FROM range({size})")

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(create, sizes)) == sizes


def test_other_statements_report_no_rows(spark_connection):  # noqa: F811
    from faborite.relation import Relation

    view = Relation(schema_name="faborite_rows", name="a_view")
    _ctas(spark_connection, "under_view", "SELECT 1 AS a")
    d = spark_connection.dialect
    assert spark_connection.execute(d.create_view(view, "SELECT a FROM faborite_rows.under_view")) is None


def test_an_unreadable_count_is_none_not_an_error(spark_connection, monkeypatch):  # noqa: F811
    from faborite.providers import spark_metrics

    # Another Spark version without the status store's API: the count is unknown, the table is made.
    monkeypatch.setattr(spark_metrics, "_rows_written", lambda *a: (_ for _ in ()).throw(AttributeError("gone")))
    assert _ctas(spark_connection, "unknown_rows", "SELECT 1 AS a") is None
    assert spark_connection.fetch_scalar("SELECT COUNT(*) FROM faborite_rows.unknown_rows") == 1
