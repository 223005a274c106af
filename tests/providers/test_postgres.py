"""The PostgreSQL provider: the conformance suite on a real server, plus what only PostgreSQL has."""

from __future__ import annotations

import time

import pyarrow as pa
import pytest
from pydantic import ValidationError

from faborite import plugins
from faborite.errors import ProviderError
from faborite.providers.postgres import PostgresConnection, PostgresProvider, PostgresTargetConfig
from faborite.relation import Relation
from tests.postgres import PostgresServer

from .conformance import TargetConnectionConformance

pytestmark = pytest.mark.service


def R(schema: str, name: str) -> Relation:  # noqa: N802 - reads like the Relation it makes
    return Relation(schema_name=schema, name=name)


def connect(server: PostgresServer, dbname: str, read_only: bool = False, **extra) -> PostgresConnection:
    config = PostgresTargetConfig.model_validate(server.config(dbname, **extra))
    return PostgresProvider().connect(config, project_root=None, read_only=read_only)


@pytest.fixture
def con(postgres, pg_database):  # noqa: F811
    connection = connect(postgres, pg_database)
    yield connection
    connection.close()


class TestPostgresConformance(TargetConnectionConformance):
    @pytest.fixture
    def connection(self, con):
        return con


# -- config -------------------------------------------------------------------


def test_config_defaults_and_dbt_names():
    config = PostgresTargetConfig.model_validate({"type": "postgres", "user": "me", "dbname": "dw"})
    assert (config.host, config.port, config.schema_name, config.dialect) == ("localhost", 5432, "public", "postgres")
    assert PostgresTargetConfig.model_validate(
        {"type": "postgres", "user": "me", "dbname": "dw", "schema": "analytics"}).schema_name == "analytics"


@pytest.mark.parametrize("raw, wrong", [
    ({"hots": "db"}, "hots"),  # a typo: extra keys are refused
    ({"port": 0}, "port"),
    ({"port": "five"}, "port"),
    ({"sslmode": "sometimes"}, "sslmode"),
    ({"connect_timeout": 0}, "connect_timeout"),
    ({"schema": ""}, "schema"),
])
def test_config_errors_name_the_key(raw, wrong):
    with pytest.raises(ValidationError, match=wrong):
        PostgresTargetConfig.model_validate({"type": "postgres", "user": "me", "dbname": "dw", **raw})


def test_config_needs_user_and_dbname():
    with pytest.raises(ValidationError) as info:
        PostgresTargetConfig.model_validate({"type": "postgres"})
    assert {e["loc"][0] for e in info.value.errors()} == {"user", "dbname"}


def test_the_password_is_not_in_the_config_repr():
    config = PostgresTargetConfig.model_validate(
        {"type": "postgres", "user": "me", "dbname": "dw", "password": "hunter2-pw"})
    assert "hunter2" not in repr(config) and "hunter2" not in str(config.model_dump())
    assert config.connect_kwargs()["password"] == "hunter2-pw"


def test_registered_by_entry_point():
    assert isinstance(plugins.load_provider("postgres"), PostgresProvider)
    assert plugins.load_dialect_class("postgres").__name__ == "PostgresDialect"


def test_missing_psycopg_is_a_provider_error_with_the_install_hint(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_psycopg(name, *args, **kwargs):
        if name == "psycopg" or name.startswith("psycopg."):
            raise ImportError("No module named 'psycopg'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_psycopg)
    config = PostgresTargetConfig.model_validate({"type": "postgres", "user": "me", "dbname": "dw"})
    with pytest.raises(ProviderError, match="psycopg") as info:
        PostgresProvider().connect(config, project_root=None)
    assert info.value.hint == 'pip install "faborite[postgres]"'


# -- passwords never in messages ------------------------------------------------


@pytest.fixture
def role_with_password(postgres, pg_database):  # noqa: F811
    """A role that must log in with a password (scram), on a server that otherwise trusts."""
    with postgres.admin(pg_database) as admin:
        admin.execute("CREATE ROLE faborite_pw LOGIN PASSWORD 'right-Pa55word'")
    yield "faborite_pw"
    with postgres.admin(pg_database) as admin:
        admin.execute("DROP ROLE IF EXISTS faborite_pw")


def test_a_refused_connection_names_the_server_not_the_password(postgres, pg_database):  # noqa: F811
    secret = "s3cret-Pa55-in-config"
    with pytest.raises(ProviderError) as info:
        connect(postgres, "faborite_no_such_db", password=secret)
    text = f"{info.value} {info.value.hint}"
    assert secret not in text
    assert "faborite_no_such_db" in text and "PGPASSWORD" in text


def test_the_password_never_appears_in_sql_errors(postgres, pg_database):  # noqa: F811
    secret = "s3cret-Pa55-in-config"
    with connect(postgres, pg_database, password=secret) as con:  # trust: the password is sent, not needed
        with pytest.raises(ProviderError) as info:
            con.execute(f"SELECT '{secret}'::integer")
        assert secret not in f"{info.value} {info.value.hint}"
        with pytest.raises(ProviderError) as info:
            con.execute("ALTER ROLE faborite_nobody PASSWORD 'other-Secret-9'")
        assert "other-Secret-9" not in f"{info.value} {info.value.hint}"
        assert "ALTER ROLE" in info.value.hint


def test_a_cursor_reconnects_with_the_configured_password(postgres, pg_database, role_with_password):  # noqa: F811
    # The server trusts everyone but has this role's password set; libpq sends it when asked.
    with connect(postgres, pg_database, user=role_with_password, password="right-Pa55word") as con:
        with con.cursor() as other:
            assert other.fetch_scalar("SELECT current_user") == role_with_password


# -- behaviour only PostgreSQL has --------------------------------------------------


def test_server_version(con, postgres):  # noqa: F811
    version = con.server_version()
    assert version.startswith("PostgreSQL ") and f":{postgres.port}/" in version


def test_loads_go_through_copy(con, monkeypatch):
    sent: list[str] = []
    real_copy = type(con._con.cursor()).copy

    def spy(cursor, statement, *args, **kwargs):
        sent.append(str(statement))
        return real_copy(cursor, statement, *args, **kwargs)

    monkeypatch.setattr(type(con._con.cursor()), "copy", spy)
    rel = Relation(schema_name="s", name="copied")
    con.create_table_from_arrow(rel, pa.table({"a": [1, 2]}))
    assert sent == ['COPY "s"."copied" ("a") FROM STDIN']


def test_a_large_table_loads_in_bounded_time(con):
    rows = 200_000
    data = pa.table({"id": pa.array(range(rows), pa.int64()), "name": [f"n{i}" for i in range(rows)],
                     "x": pa.array([i / 3 for i in range(rows)], pa.float64())})
    rel = Relation(schema_name="s", name="big")
    started = time.monotonic()
    con.create_table_from_arrow(rel, data)
    elapsed = time.monotonic() - started
    assert con.fetch_scalar('SELECT COUNT(*) FROM "s"."big"') == rows
    # Row-by-row INSERTs take minutes for this; COPY takes about a second on a shared 2-core machine.
    assert elapsed < 20, elapsed


def test_search_path_is_the_configured_schema(postgres, pg_database):  # noqa: F811
    with connect(postgres, pg_database, schema="Analytics") as con:
        con.execute(con.dialect.create_schema("Analytics"))
        con.execute("CREATE TABLE t AS SELECT 1 AS a")  # unqualified: lands in the schema
        assert Relation(schema_name="Analytics", name="t") in con.list_relations(["Analytics"])
        with con.cursor() as other:
            assert other.fetch_scalar("SELECT a FROM t") == 1


def test_read_only_sessions_refuse_writes(postgres, pg_database):  # noqa: F811
    with connect(postgres, pg_database, read_only=True) as con:
        assert con.fetch_scalar("SELECT 1") == 1
        with pytest.raises(ProviderError, match="read-only"):
            con.execute("CREATE TABLE t AS SELECT 1 AS a")
        with con.cursor() as other, pytest.raises(ProviderError, match="read-only"):
            other.execute("CREATE TABLE t AS SELECT 1 AS a")


def publish(con: PostgresConnection, view: Relation, physical: Relation) -> None:
    """Point ``view`` at ``physical`` in one transaction, as apply's publish stage does."""
    d = con.dialect
    with con.transaction():
        for sql in d.create_or_replace_view(view, f"SELECT * FROM {d.quote_relation(physical)}"):
            con.execute(sql)


def two_versions(con: PostgresConnection, first: str, second: str) -> tuple[Relation, Relation]:
    """Physical tables s.t__1 and s.t__2 built from two queries."""
    versions = R("s", "t__1"), R("s", "t__2")
    con.execute(con.dialect.create_schema("s"))
    for physical, select in zip(versions, (first, second)):
        con.execute(con.dialect.create_table_as(physical, select))
    return versions


def test_publish_drop_and_create_changes_columns(con):
    """Why supports_create_or_replace_view is False: a new version may drop or rename columns."""
    for physical in two_versions(con, "SELECT 1 AS a, 2 AS b", "SELECT 3 AS renamed"):
        publish(con, R("s", "t"), physical)
    assert con.fetch_arrow('SELECT * FROM "s"."t"').to_pylist() == [{"renamed": 3}]


def test_a_view_on_a_published_view_blocks_publish_and_nothing_changes(con):
    """PostgreSQL refuses to drop a view another view depends on: publish fails whole."""
    old, new = two_versions(con, "SELECT 1 AS a", "SELECT 2 AS a")
    view = R("s", "t")
    publish(con, view, old)
    con.execute('CREATE VIEW "s"."user_view" AS SELECT a FROM "s"."t"')
    with pytest.raises(ProviderError, match="depend"):
        publish(con, view, new)
    assert con.fetch_scalar('SELECT a FROM "s"."user_view"') == 1


def test_column_types_are_postgres_type_names(con):
    con.execute("CREATE TABLE t AS SELECT 1::integer AS i, 'x'::text AS s, 1.5::numeric(18,3) AS d, "
                "ARRAY[1, 2] AS l, now() AS ts")
    types = [c.type for c in con.columns(R("public", "t"))]
    assert types == ["integer", "text", "numeric(18,3)", "integer[]", "timestamp with time zone"]


def test_percent_signs_are_not_placeholders(con):
    assert con.fetch_scalar("SELECT 7 % 3") == 1
    assert con.fetch_scalar("SELECT '100%'") == "100%"


def test_a_closed_connection_is_a_provider_error(postgres, pg_database):  # noqa: F811
    con = connect(postgres, pg_database)
    con.close()
    with pytest.raises(ProviderError, match="closed"):
        con.fetch_scalar("SELECT 1")


def test_fetch_arrow_types_come_from_the_result_columns(con):
    got = con.fetch_arrow(
        "SELECT 1::smallint AS i2, 2 AS i4, 3::bigint AS i8, 1.5::real AS f4, 2.5::float8 AS f8, "
        "1.25::numeric(10,2) AS n, 2.5 AS n_free, 'x'::varchar(3) AS s, true AS b, DATE '2024-02-29' AS d, "
        "TIMESTAMP '2024-01-01 10:00:00.5' AS ts, TIMESTAMPTZ '2024-01-01 10:00:00+02' AS tz, "
        "'\\x00ff'::bytea AS bin, gen_random_uuid() AS u, '{\"k\": [1]}'::jsonb AS j, NULL::integer AS nothing")
    types = {field.name: field.type for field in got.schema}
    assert types == {
        "i2": pa.int16(), "i4": pa.int32(), "i8": pa.int64(), "f4": pa.float32(), "f8": pa.float64(),
        "n": pa.decimal128(10, 2), "n_free": pa.decimal128(2, 1), "s": pa.string(), "b": pa.bool_(),
        "d": pa.date32(), "ts": pa.timestamp("us"), "tz": pa.timestamp("us", tz="UTC"), "bin": pa.binary(),
        "u": pa.string(), "j": pa.string(), "nothing": pa.int32(),
    }
    row = got.to_pylist()[0]
    assert row["tz"].hour == 8 and row["j"] == '{"k": [1]}' and row["bin"] == b"\x00\xff"


def test_fetch_arrow_of_an_empty_result_keeps_names_and_types(con):
    got = con.fetch_arrow("SELECT 1 AS a, 'x'::text AS b, now() AS c WHERE false")
    assert got.num_rows == 0
    assert got.schema == pa.schema([("a", pa.int32()), ("b", pa.string()), ("c", pa.timestamp("us", tz="UTC"))])


def test_nested_arrow_columns_load_as_jsonb(con):
    data = pa.table({"l": pa.array([[1, 2], None], pa.list_(pa.int64())),
                     "st": pa.array([{"k": "v", "n": 1}, None], pa.struct([("k", pa.string()), ("n", pa.int64())]))})
    rel = R("s", "nested")
    con.create_table_from_arrow(rel, data)
    assert [c.type for c in con.columns(rel)] == ["jsonb", "jsonb"]
    assert con.fetch_scalar("""SELECT st->>'k' FROM "s"."nested" WHERE l @> '[2]'""") == "v"


def test_an_arrow_type_without_a_postgres_type_names_the_column(con):
    data = pa.table({"ok": [1], "odd": pa.array([None], pa.month_day_nano_interval())})
    with pytest.raises(ProviderError, match="'odd'"):
        con.create_table_from_arrow(R("s", "odd"), data)
