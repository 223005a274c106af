"""The MySQL provider on a real MariaDB: the conformance suite, plus what only MySQL has."""

from __future__ import annotations

import datetime as dt
import time

import pyarrow as pa
import pytest
from pydantic import ValidationError

from faborite import plugins
from faborite.apply.publish import publish_pointers
from faborite.errors import ProviderError
from faborite.plan.atomicity import publish_strategy
from faborite.providers.mysql import MySQLConnection, MySQLProvider, MySQLTargetConfig
from faborite.relation import Relation
from tests.mysql import MySQLServer

from .conformance import TargetConnectionConformance

pytestmark = pytest.mark.service


def R(schema: str, name: str) -> Relation:  # noqa: N802 - reads like the Relation it makes
    return Relation(schema_name=schema, name=name)


def connect(server: MySQLServer, database: str, read_only: bool = False, **extra) -> MySQLConnection:
    config = MySQLTargetConfig.model_validate(server.config(database, **extra))
    return MySQLProvider().connect(config, project_root=None, read_only=read_only)


@pytest.fixture
def con(mysql, mysql_database):  # noqa: F811
    connection = connect(mysql, mysql_database)
    yield connection
    connection.close()


class TestMySQLConformance(TargetConnectionConformance):
    @pytest.fixture
    def connection(self, con):
        return con


def test_server_start_time_is_reported(mysql):  # noqa: F811
    print(f"\nMariaDB {mysql.version}: install + start took {mysql.start_seconds:.1f}s")
    assert mysql.start_seconds < 60


# -- config -------------------------------------------------------------------


def test_config_defaults_and_the_database_is_the_schema():
    config = MySQLTargetConfig.model_validate({"type": "mysql", "user": "me", "database": "dw"})
    assert (config.host, config.port, config.dialect) == ("localhost", 3306, "mysql")
    # The core reads a target's schema as `schema` in the dump by alias.
    assert config.model_dump(by_alias=True)["schema"] == "dw"


@pytest.mark.parametrize("raw, wrong", [
    ({"hots": "db"}, "hots"),  # a typo: extra keys are refused
    ({"port": 0}, "port"),
    ({"port": "five"}, "port"),
    ({"database": ""}, "database"),
    ({"database": "x" * 65}, "database"),
    ({"connect_timeout": 0}, "connect_timeout"),
])
def test_config_errors_name_the_key(raw, wrong):
    with pytest.raises(ValidationError, match=wrong):
        MySQLTargetConfig.model_validate({"type": "mysql", "user": "me", "database": "dw", **raw})


def test_config_needs_user_and_database():
    with pytest.raises(ValidationError) as info:
        MySQLTargetConfig.model_validate({"type": "mysql"})
    assert {e["loc"][0] for e in info.value.errors()} == {"user", "database"}


def test_the_password_is_not_in_the_config_repr():
    config = MySQLTargetConfig.model_validate({"type": "mysql", "user": "me", "database": "dw",
                                               "password": "hunter2-pw"})
    assert "hunter2" not in repr(config) and "hunter2" not in str(config.model_dump())
    assert config.connect_kwargs()["password"] == "hunter2-pw"


def test_registered_by_entry_point():
    assert isinstance(plugins.load_provider("mysql"), MySQLProvider)
    dialect = plugins.load_dialect_class("mysql")
    assert dialect.__name__ == "MySQLDialect"
    assert publish_strategy(dialect()).method == "single_statement"


def test_missing_pymysql_is_a_provider_error_with_the_install_hint(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pymysql(name, *args, **kwargs):
        if name == "pymysql" or name.startswith("pymysql."):
            raise ImportError("No module named 'pymysql'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pymysql)
    config = MySQLTargetConfig.model_validate({"type": "mysql", "user": "me", "database": "dw"})
    with pytest.raises(ProviderError, match="PyMySQL") as info:
        MySQLProvider().connect(config, project_root=None)
    assert info.value.hint == 'pip install "faborite[mysql]"'


# -- passwords never in messages ------------------------------------------------


@pytest.fixture
def user_with_password(mysql, mysql_database):  # noqa: F811
    mysql.execute("CREATE USER 'faborite_pw'@'%' IDENTIFIED BY 'right-Pa55word'",
                  f"GRANT ALL ON *.* TO 'faborite_pw'@'%'")
    yield "faborite_pw"
    mysql.execute("DROP USER IF EXISTS 'faborite_pw'@'%'")


def test_a_refused_connection_names_the_server_not_the_password(mysql, mysql_database, user_with_password):  # noqa: F811
    secret = "s3cret-Pa55-wrong"
    with pytest.raises(ProviderError) as info:
        connect(mysql, mysql_database, user=user_with_password, password=secret)
    text = f"{info.value} {info.value.hint}"
    assert secret not in text
    assert "Access denied" in text and mysql_database in text and "MYSQL_PWD" in text


def test_the_password_never_appears_in_sql_errors(mysql, mysql_database, user_with_password):  # noqa: F811
    secret = "right-Pa55word"
    with connect(mysql, mysql_database, user=user_with_password, password=secret) as con:
        with pytest.raises(ProviderError) as info:
            con.execute(f"SELECT * FROM `{secret}`")
        assert secret not in f"{info.value} {info.value.hint}"
        with pytest.raises(ProviderError) as info:
            con.execute("ALTER USER 'faborite_nobody'@'%' IDENTIFIED BY 'other-Secret-9'")
        assert "other-Secret-9" not in f"{info.value} {info.value.hint}"
        # A cursor reconnects with the configured password.
        with con.cursor() as other:
            assert other.fetch_scalar("SELECT CURRENT_USER()").startswith(user_with_password)


# -- behaviour only MySQL has --------------------------------------------------


def test_server_version(con, mysql):  # noqa: F811
    version = con.server_version()
    assert version.startswith("MariaDB ") and f":{mysql.port}/" in version


def test_unqualified_names_go_to_the_database_and_a_missing_one_is_created_later(mysql, mysql_database):  # noqa: F811
    with connect(mysql, mysql_database) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS a")
        assert R(mysql_database, "t") in con.list_relations([mysql_database])
        with con.cursor() as other:
            assert other.fetch_scalar("SELECT a FROM t") == 1
    # A database apply has not created yet does not stop a connection (plan runs before apply).
    with connect(mysql, mysql_database + "_later") as con:
        assert con.list_relations([mysql_database + "_later"]) == set()


def test_read_only_sessions_refuse_writes(mysql, mysql_database):  # noqa: F811
    with connect(mysql, mysql_database) as con:
        con.execute("CREATE TABLE t (a INT)")
    with connect(mysql, mysql_database, read_only=True) as con:
        assert con.fetch_scalar("SELECT 1") == 1
        with pytest.raises(ProviderError, match="READ ONLY"):
            con.execute("INSERT INTO t VALUES (1)")
        with con.cursor() as other, pytest.raises(ProviderError, match="READ ONLY"):
            other.execute("INSERT INTO t VALUES (1)")


def test_a_large_table_loads_in_bounded_time(con):
    rows = 200_000
    data = pa.table({"id": pa.array(range(rows), pa.int64()), "name": [f"n{i}" for i in range(rows)],
                     "x": pa.array([i / 3 for i in range(rows)], pa.float64())})
    rel = R("s", "big")
    started = time.monotonic()
    con.create_table_from_arrow(rel, data)
    elapsed = time.monotonic() - started
    assert con.fetch_scalar("SELECT COUNT(*) FROM `s`.`big`") == rows
    assert con.list_relations(["s"]) == {rel}  # the temporary load name is gone
    # Row-by-row INSERTs take minutes for this; multi-row INSERTs of 1 MiB take seconds.
    assert elapsed < 30, elapsed


def test_loads_are_renamed_into_place(con, monkeypatch):
    sent: list[str] = []
    real = MySQLConnection.execute
    monkeypatch.setattr(MySQLConnection, "execute", lambda self, sql: (sent.append(sql), real(self, sql))[1])
    con.create_table_from_arrow(R("s", "t"), pa.table({"a": [1, 2]}))
    loads = [s for s in sent if s.startswith("INSERT")]
    assert loads == [loads[0]] and loads[0].endswith("VALUES (1),(2)")
    assert sent[-1].startswith("RENAME TABLE `s`.`_faborite_load_") and sent[-1].endswith(" TO `s`.`t`")


def test_timestamps_with_a_zone_are_instants_stored_as_utc(con):
    plus_two = dt.timezone(dt.timedelta(hours=2))
    data = pa.table({"at": pa.array([dt.datetime(2024, 1, 1, 12, tzinfo=plus_two)], pa.timestamp("us", tz="+02:00")),
                     "wall": pa.array([dt.datetime(1001, 1, 1)], pa.timestamp("ms"))})
    con.create_table_from_arrow(R("s", "ts"), data)
    assert [c.type for c in con.columns(R("s", "ts"))] == ["timestamp(6)", "datetime(3)"]
    got = con.fetch_arrow("SELECT at, wall FROM `s`.`ts`")
    assert got.schema == pa.schema([("at", pa.timestamp("us", tz="UTC")), ("wall", pa.timestamp("us"))])
    assert got.to_pylist() == [{"at": dt.datetime(2024, 1, 1, 10, tzinfo=dt.timezone.utc),
                                "wall": dt.datetime(1001, 1, 1)}]


def test_fetch_arrow_types_come_from_the_result_columns(con):
    con.execute("CREATE TABLE t (i1 TINYINT, b BOOLEAN, u INT UNSIGNED, big BIGINT UNSIGNED, f FLOAT, d DOUBLE, "
                "n DECIMAL(10,2), s VARCHAR(3), bin VARBINARY(4), j JSON, day DATE, ts DATETIME(6), "
                "tod TIME(6), y YEAR)")
    con.execute("INSERT INTO t VALUES (-1, TRUE, 4294967295, 18446744073709551615, 1.5, 2.5, -1.25, 'x', "
                "x'00ff', '{\"k\": [1]}', '2024-02-29', '2024-01-01 10:00:00.5', '13:14:15', 2024)")
    got = con.fetch_arrow("SELECT *, 1.5 AS lit, NULL AS nothing FROM t")
    assert {f.name: f.type for f in got.schema} == {
        "i1": pa.int8(), "b": pa.bool_(), "u": pa.uint32(), "big": pa.uint64(), "f": pa.float32(),
        "d": pa.float64(), "n": pa.decimal128(10, 2), "s": pa.string(), "bin": pa.binary(), "j": pa.string(),
        "day": pa.date32(), "ts": pa.timestamp("us"), "tod": pa.time64("us"), "y": pa.int16(),
        "lit": pa.decimal128(2, 1), "nothing": pa.null()}
    row = got.to_pylist()[0]
    assert (row["big"], row["bin"], row["b"], row["tod"]) == (2**64 - 1, b"\x00\xff", True, dt.time(13, 14, 15))


def test_fetch_arrow_of_an_empty_result_keeps_names_and_types(con):
    got = con.fetch_arrow("SELECT 1 AS a, 'x' AS b, NOW() AS c WHERE FALSE")
    assert got.num_rows == 0
    assert got.schema == pa.schema([("a", pa.int32()), ("b", pa.string()), ("c", pa.timestamp("us"))])


def test_nested_arrow_columns_load_as_json(con):
    data = pa.table({"l": pa.array([[1, 2], None], pa.list_(pa.int64())),
                     "st": pa.array([{"k": "v", "n": 1}, None], pa.struct([("k", pa.string()), ("n", pa.int64())]))})
    con.create_table_from_arrow(R("s", "nested"), data)
    assert con.fetch_scalar("SELECT JSON_VALUE(st, '$.k') FROM `s`.`nested` WHERE JSON_CONTAINS(l, '2')") == "v"


def test_an_arrow_type_without_a_mysql_type_names_the_column(con):
    data = pa.table({"ok": [1], "odd": pa.array([None], pa.month_day_nano_interval())})
    with pytest.raises(ProviderError, match="'odd'"):
        con.create_table_from_arrow(R("s", "odd"), data)
    wide = pa.table({"wide": pa.array([None], pa.decimal256(70, 2))})
    with pytest.raises(ProviderError, match="'wide'.*65 digits"):
        con.create_table_from_arrow(R("s", "wide"), wide)


def test_backslashes_and_percent_signs_are_data(con):
    d = con.dialect
    assert con.fetch_scalar(f"SELECT {d.literal('a' + chr(92) + 'b')}") == "a\\b"
    assert con.fetch_scalar("SELECT 7 % 3") == 1 and con.fetch_scalar("SELECT '100%'") == "100%"


def test_text_compares_by_bytes_as_in_duckdb(con):
    con.execute(con.dialect.create_schema("s"))
    con.execute(con.dialect.create_table_as(R("s", "t"), "SELECT 'a' AS x UNION ALL SELECT 'A'"))
    assert con.fetch_scalar("SELECT COUNT(DISTINCT x) FROM `s`.`t`") == 2


def test_a_closed_connection_is_a_provider_error(mysql, mysql_database):  # noqa: F811
    con = connect(mysql, mysql_database)
    con.close()
    with pytest.raises(ProviderError, match="closed"):
        con.fetch_scalar("SELECT 1")


# -- publish: one RENAME TABLE --------------------------------------------------


def versions(con: MySQLConnection, count: int) -> list[Relation]:
    """Physical tables p.t__<i> holding i."""
    con.execute(con.dialect.create_schema("p"))
    tables = [R("p", f"t__{i}") for i in range(count)]
    for i, table in enumerate(tables):
        con.execute(con.dialect.create_table_as(table, f"SELECT {i} AS a"))
    return tables


def published(con: MySQLConnection, schema: str) -> dict[str, Relation | None]:
    return {info.relation.name: con.dialect.pointer_reads(info.definition or "")
            for info in con.describe_relations([schema])}


def test_publish_swaps_every_view_in_one_rename_and_leaves_no_temporary_names(con, monkeypatch):
    t = versions(con, 4)
    publish_pointers(con, {R("v", "a"): t[0], R("v", "b"): t[1]})  # first publish: only renamed in
    assert published(con, "v") == {"a": t[0], "b": t[1]}
    sent: list[str] = []
    real = MySQLConnection.execute
    monkeypatch.setattr(MySQLConnection, "execute", lambda self, sql: (sent.append(sql), real(self, sql))[1])
    publish_pointers(con, {R("v", "a"): t[2], R("v", "c"): t[3]}, drops=[R("v", "b")])
    assert published(con, "v") == {"a": t[2], "c": t[3]}
    renames = [s for s in sent if s.startswith("RENAME TABLE")]
    assert len(renames) == 1 and renames[0].count(" TO ") == 4  # a away, new a in, new c in, b away
    # Everything visible changed in that statement: before it, only temporary names were made.
    before = sent[:sent.index(renames[0])]
    assert all("_faborite_" in s or s.startswith("CREATE DATABASE") for s in before)


def test_a_failing_rename_changes_nothing(con):
    t = versions(con, 3)
    publish_pointers(con, {R("v", "a"): t[0], R("v", "b"): t[1]})
    # Told that `v`.`gone` exists when it does not: the one RENAME fails whole, after every
    # new view was prepared, and no published view moved.
    steps = con.dialect.publish_steps({R("v", "a"): t[2], R("v", "b"): t[2], R("v", "gone"): t[2]},
                                      existing={R("v", "a"), R("v", "b"), R("v", "gone")})
    for statement in steps.prepare:
        con.execute(statement)
    with pytest.raises(ProviderError, match="gone"):
        con.execute(steps.swap)
    assert {k: v for k, v in published(con, "v").items() if not k.startswith("_faborite")} == {"a": t[0], "b": t[1]}
    assert con.fetch_scalar("SELECT a FROM `v`.`a`") == 0


def test_publish_recovers_the_leftovers_of_an_interrupted_one(con):
    t = versions(con, 2)
    steps = con.dialect.publish_steps({R("v", "a"): t[0]}, existing=set())
    for statement in steps.prepare:  # a crash after preparing, before the rename
        con.execute(statement)
    publish_pointers(con, {R("v", "a"): t[1]})
    assert published(con, "v") == {"a": t[1]}
