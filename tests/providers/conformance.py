"""One conformance suite for every :class:`faborite.target.TargetConnection`.

Terraform style (backend/testing.go): each provider's test module subclasses
:class:`TargetConnectionConformance` and overrides the ``connection`` fixture;
every test here then runs against that provider. Tests use fresh, oddly named
schemas so they also run against a shared, long-lived target.

Relation names pass through :meth:`TargetConnectionConformance.name`: an engine
whose catalog keeps only some names (Spark's Hive metastore: lower-case letters,
digits and ``_``) sets ``any_relation_name = False`` and gets plain names, while
column names stay hostile everywhere.
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
import re
import threading
import uuid

import pyarrow as pa
import pytest

from faborite.errors import FaboriteError, ProviderError
from faborite.relation import Relation
from faborite.target import TargetConnection


class TargetConnectionConformance:
    """Behaviour every target connection must have. Override :meth:`connection`."""

    #: The engine's catalog keeps any schema and relation name as given (case, spaces, quotes, dots).
    any_relation_name = True

    @pytest.fixture
    def connection(self) -> TargetConnection:
        """An open connection to an empty (or shared) target; closed by the fixture."""
        raise NotImplementedError("a provider's test class overrides the `connection` fixture")

    @pytest.fixture
    def schema(self, connection: TargetConnection) -> str:
        """A fresh schema name with characters that need quoting."""
        return self.name(f'conf "{uuid.uuid4().hex[:8]}" s')

    # -- helpers --------------------------------------------------------------

    def name(self, text: str) -> str:
        """A schema or relation name as the engine can keep it: ``text`` itself, or (without
        ``any_relation_name``) in lower case with every other character than a-z, 0-9 as ``_``."""
        return text if self.any_relation_name else re.sub(r"[^a-z0-9_]", "_", text.lower())

    def rel(self, schema: str, name: str) -> Relation:
        return Relation(schema_name=self.name(schema), name=self.name(name))

    def q(self, connection: TargetConnection, rel: Relation) -> str:
        return connection.dialect.quote_relation(rel)

    def make_table(self, connection: TargetConnection, rel: Relation, select_sql: str) -> None:
        connection.execute(connection.dialect.create_schema(rel.schema_name))
        connection.execute(connection.dialect.create_table_as(rel, select_sql))

    # -- protocol -------------------------------------------------------------

    def test_is_a_target_connection(self, connection):
        assert isinstance(connection, TargetConnection)
        assert connection.dialect.name

    # -- SqlRunner ------------------------------------------------------------

    def test_execute_and_fetch(self, connection, schema):
        rel = self.rel(schema, "numbers")
        self.make_table(connection, rel, "SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3")
        table = connection.fetch_arrow(f"SELECT n FROM {self.q(connection, rel)} ORDER BY n")
        assert isinstance(table, pa.Table)
        assert table.column_names == ["n"]
        assert table.column("n").to_pylist() == [1, 2, 3]
        assert connection.fetch_scalar(f"SELECT COUNT(*) FROM {self.q(connection, rel)}") == 3

    def test_execute_reports_the_rows_a_table_was_created_with_or_nothing(self, connection, schema):
        # apply trusts this count instead of scanning the new table: it must be exact or None.
        rel = self.rel(schema, "counted")
        connection.execute(connection.dialect.create_schema(schema))
        written = connection.execute(connection.dialect.create_table_as(
            rel, "SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3"))
        assert written in (3, None)
        assert connection.execute(connection.dialect.drop_table(rel)) is None

    def test_copy_on_write_merge_builds_a_new_table_and_leaves_the_previous_one(self, connection, schema):
        # Incremental models and incremental syncs build every new version this way.
        dialect = connection.dialect
        old, delta = self.rel(schema, "old"), self.rel(schema, "delta")
        self.make_table(connection, old, "SELECT 1 AS id, 'a' AS v UNION ALL SELECT 2, 'b'")
        self.make_table(connection, delta, "SELECT 2 AS id, 'B' AS v UNION ALL SELECT 3, 'c'")
        merged, appended = self.rel(schema, "merged"), self.rel(schema, "appended")
        connection.execute(dialect.create_table_from_previous(
            merged, old, f"SELECT * FROM {self.q(connection, delta)}", ["id", "v"],
            keep=dialect.key_not_in(delta, ["id"])))
        connection.execute(dialect.create_table_from_previous(
            appended, old, f"SELECT v, id FROM {self.q(connection, delta)}", ["id", "v"]))

        def rows(rel):
            return connection.fetch_arrow(f"SELECT id, v FROM {self.q(connection, rel)} ORDER BY id, v").to_pylist()

        assert rows(merged) == [{"id": 1, "v": "a"}, {"id": 2, "v": "B"}, {"id": 3, "v": "c"}]
        assert [r["v"] for r in rows(appended)] == ["a", "B", "b", "c"]
        assert rows(old) == [{"id": 1, "v": "a"}, {"id": 2, "v": "b"}]

    def test_copy_on_write_fills_a_column_the_previous_version_lacks(self, connection, schema):
        # on_schema_change (append_new_columns, sync_all_columns) on targets without row stores.
        dialect = connection.dialect
        old, delta, new = self.rel(schema, "old_cols"), self.rel(schema, "delta_cols"), self.rel(schema, "new_cols")
        self.make_table(connection, old, "SELECT 1 AS id, 'a' AS v")
        self.make_table(connection, delta, "SELECT 2 AS id, 'b' AS v, 'x' AS w")
        w_type = next(c.type for c in connection.columns(delta) if c.name == "w")
        q = dialect.quote_identifier
        connection.execute(dialect.create_table_from_previous(
            new, old, f"SELECT * FROM {self.q(connection, delta)}", ["id", "v", "w"],
            previous_select=[f"o.{q('id')}", f"o.{q('v')}", f"{dialect.cast('NULL', w_type)} AS {q('w')}"]))
        rows = connection.fetch_arrow(f"SELECT id, v, w FROM {self.q(connection, new)} ORDER BY id").to_pylist()
        assert rows == [{"id": 1, "v": "a", "w": None}, {"id": 2, "v": "b", "w": "x"}]

    def test_row_store_generations_are_exact_views(self, connection, schema):
        # Incremental models on targets that declare row_versioned_incremental (faborite/apply/row_store.py).
        from faborite.apply import row_store

        dialect = connection.dialect
        if not dialect.row_versioned_incremental:
            pytest.skip(f"{dialect.name} keeps incremental versions as copies")
        connection.execute(dialect.create_schema(schema))
        v1, v2, v3 = (self.rel(schema, f"m__v{n}") for n in (1, 2, 3))
        store = row_store.RowStore.for_version(v1)
        staged = self.rel(schema, "m__staged")

        def rows(view):
            return connection.fetch_arrow(f"SELECT * FROM {self.q(connection, view)} ORDER BY id").to_pylist()

        with connection.transaction():
            row_store.create_store(connection, store, v1, "SELECT 1 AS id, 'a' AS v UNION ALL SELECT 2, 'b'")
        self.make_table(connection, staged, "SELECT 2 AS id, 'B' AS v UNION ALL SELECT 3, 'c'")
        with connection.transaction():
            replaced, added = row_store.add_generation(
                connection, store, v2, 2, ["id", "v"], f"SELECT * FROM {self.q(connection, staged)}",
                replaced=row_store.keys_in(dialect, store, staged, ["id"]))
        assert (replaced, added) in ((1, 2), (None, 2), (1, None), (None, None))
        assert rows(v1) == [{"id": 1, "v": "a"}, {"id": 2, "v": "b"}]
        assert rows(v2) == [{"id": 1, "v": "a"}, {"id": 2, "v": "B"}, {"id": 3, "v": "c"}]
        # An attempt that never got published is undone; a new column leaves earlier views alone.
        with connection.transaction():
            row_store.add_generation(connection, store, v3, 3, ["id", "v"], "SELECT 9 AS id, 'z' AS v",
                                     replaced="1 = 1")
        with connection.transaction():
            row_store.undo_after(connection, store, 2)
            connection.execute(dialect.add_column(store.table, "w", "INTEGER"))
        assert v3 not in connection.list_relations([schema])
        assert row_store.latest_generation(connection, store) == 2
        assert row_store.generation_of(connection, store, v2) == 2
        assert rows(v2) == [{"id": 1, "v": "a"}, {"id": 2, "v": "B"}, {"id": 3, "v": "c"}]
        connection.execute(row_store.compact_statement(dialect, store, 2))
        assert rows(v2) == [{"id": 1, "v": "a"}, {"id": 2, "v": "B"}, {"id": 3, "v": "c"}]
        assert connection.fetch_scalar(f"SELECT COUNT(*) FROM {self.q(connection, store.table)}") == 3

    def test_fetch_scalar_of_no_rows_is_none(self, connection):
        assert connection.fetch_scalar("SELECT 1 AS x WHERE 1 = 0") is None

    def test_fetch_scalar_of_many_rows_is_the_first_and_leaves_the_connection_usable(self, connection, schema):
        rel = self.rel(schema, "many")
        self.make_table(connection, rel, "SELECT 7 AS n UNION ALL SELECT 7 UNION ALL SELECT 7")
        assert connection.fetch_scalar(f"SELECT n FROM {self.q(connection, rel)}") == 7
        # The unread rows must not hold the connection: DDL right after works.
        connection.execute(connection.dialect.drop_table(rel))
        assert rel not in connection.list_relations([schema])

    def test_fetch_arrow_of_empty_result_keeps_columns(self, connection):
        table = connection.fetch_arrow("SELECT 1 AS a, 'x' AS b WHERE 1 = 0")
        assert table.num_rows == 0
        assert table.column_names == ["a", "b"]

    def test_count_rows_sql_and_literal_run(self, connection):
        d = connection.dialect
        assert connection.fetch_scalar(d.count_rows_sql("SELECT 1 AS a UNION ALL SELECT 2;")) == 2
        assert connection.fetch_scalar(f"SELECT {d.literal(chr(39) + 'quoted' + chr(39))}") == "'quoted'"

    # -- Transactional ----------------------------------------------------------

    def test_transaction_commits(self, connection, schema):
        rel = self.rel(schema, "committed")
        connection.execute(connection.dialect.create_schema(schema))
        with connection.transaction():
            connection.execute(connection.dialect.create_table_as(rel, "SELECT 1 AS a"))
        assert rel in connection.list_relations([schema])

    def test_transaction_rolls_back_ddl_and_reraises(self, connection, schema):
        if not connection.dialect.transactional_ddl:
            pytest.skip("the dialect declares no transactional DDL")
        kept = self.rel(schema, "kept")
        gone = self.rel(schema, "gone")
        self.make_table(connection, kept, "SELECT 1 AS a")

        class Boom(Exception):
            pass

        with pytest.raises(Boom):
            with connection.transaction():
                connection.execute(connection.dialect.create_table_as(gone, "SELECT 1 AS a"))
                connection.execute(connection.dialect.drop_table(kept))
                raise Boom
        assert connection.list_relations([schema]) == {kept}
        # The connection is usable after the rollback.
        assert connection.fetch_scalar(f"SELECT a FROM {self.q(connection, kept)}") == 1

    def test_transaction_rolls_back_after_a_failed_statement(self, connection, schema):
        if not connection.dialect.transactional_ddl:
            pytest.skip("the dialect declares no transactional DDL")
        rel = self.rel(schema, "half")
        connection.execute(connection.dialect.create_schema(schema))
        with pytest.raises(ProviderError):
            with connection.transaction():
                connection.execute(connection.dialect.create_table_as(rel, "SELECT 1 AS a"))
                connection.execute("SELECT * FROM faborite_no_such_table_anywhere")
        assert connection.list_relations([schema]) == set()

    def test_a_failed_transaction_leaves_the_connection_usable(self, connection, schema):
        rel = self.rel(schema, "after")
        connection.execute(connection.dialect.create_schema(schema))
        with pytest.raises(ProviderError):
            with connection.transaction():
                connection.execute("SELECT * FROM faborite_no_such_table_anywhere")
        # Outside a transaction again (autocommit), and a new transaction can begin.
        connection.execute(connection.dialect.create_table_as(rel, "SELECT 1 AS a"))
        with connection.transaction():
            assert connection.fetch_scalar(f"SELECT a FROM {self.q(connection, rel)}") == 1
        assert rel in connection.list_relations([schema])

    def test_publish_of_several_views_is_all_or_nothing(self, connection, schema):
        """apply's publish: every view is re-pointed in one transaction, or none is."""
        if not connection.dialect.transactional_ddl:
            pytest.skip("the dialect declares no transactional DDL")
        d = connection.dialect
        old = [self.rel(schema, f"t{i} v1") for i in range(3)]
        new = [self.rel(schema, f"t{i} v2") for i in range(3)]
        views = [self.rel(schema, f"t{i}") for i in range(3)]
        for i, rel in enumerate(old + new):
            self.make_table(connection, rel, f"SELECT {i} AS a")
        with connection.transaction():
            for view, physical in zip(views, old):
                for sql in d.create_or_replace_view(view, f"SELECT * FROM {self.q(connection, physical)}"):
                    connection.execute(sql)
        with pytest.raises(ProviderError):
            with connection.transaction():
                for view, physical in zip(views, new):
                    for sql in d.create_or_replace_view(view, f"SELECT * FROM {self.q(connection, physical)}"):
                        connection.execute(sql)
                # The last statement fails after every view was already re-pointed.
                connection.execute(d.create_view(views[0], "SELECT 1 AS a"))
        for i, view in enumerate(views):
            assert connection.fetch_scalar(f"SELECT a FROM {self.q(connection, view)}") == i
        described = {info.relation: info for info in connection.describe_relations([schema])}
        assert [d.pointer_reads(described[v].definition) for v in views] == old

    def test_publish_views_in_one_transaction(self, connection, schema):
        d = connection.dialect
        table, view = self.rel(schema, "t v1"), self.rel(schema, "v")
        self.make_table(connection, table, "SELECT 1 AS a")
        for _ in range(2):  # the second run replaces the view
            with connection.transaction():
                for sql in d.create_or_replace_view(view, f"SELECT * FROM {self.q(connection, table)}"):
                    connection.execute(sql)
        assert connection.fetch_scalar(f"SELECT a FROM {self.q(connection, view)}") == 1
        connection.execute(d.drop_view(view))
        connection.execute(d.drop_view(view))  # IF EXISTS
        assert connection.list_relations([schema]) == {table}

    def test_publish_pointers_swaps_views_and_drops_the_deleted(self, connection, schema):
        """apply's publish as the core runs it (the target's own ``publish``, or its dialect's
        ``publish_statements``): first publish, re-point, drop; each view reads its version."""
        from faborite.apply.publish import publish_pointers

        d = connection.dialect
        tables = [self.rel(schema + " p", f"t v{i}") for i in range(3)]
        for i, table in enumerate(tables):
            self.make_table(connection, table, f"SELECT {i} AS a")
        a, b = self.rel(schema, "a"), self.rel(schema, "b")
        publish_pointers(connection, {a: tables[0], b: tables[1]})
        publish_pointers(connection, {a: tables[2]}, drops=[b])
        described = {info.relation: info for info in connection.describe_relations([schema])}
        assert set(described) == {a}
        assert d.pointer_reads(described[a].definition) == tables[2]
        assert connection.fetch_scalar(f"SELECT a FROM {self.q(connection, a)}") == 2

    # -- ArrowLoader ----------------------------------------------------------

    #: Arrow types seeds (pyarrow's CSV reader) and syncs (SQL, Delta, Fabric sources) produce,
    #: each with values that must come back equal (as Python values) after a round trip.
    ARROW_COLUMNS = {
        "i8": (pa.int8(), [-128, 127, None]),
        "i16": (pa.int16(), [-32768, 32767, None]),
        "i32": (pa.int32(), [-(2**31), 2**31 - 1, None]),
        "i64": (pa.int64(), [-(2**63), 2**63 - 1, None]),
        "u8": (pa.uint8(), [0, 255, None]),
        "u32": (pa.uint32(), [0, 2**32 - 1, None]),
        "f32": (pa.float32(), [1.5, -0.25, None]),
        "f64": (pa.float64(), [1e300, -1 / 3, None]),
        "dec": (pa.decimal128(12, 3), [decimal.Decimal("123456789.125"), decimal.Decimal("-0.001"), None]),
        "flag": (pa.bool_(), [True, False, None]),
        "s": (pa.string(), ["plain", "ünïcödé '\"", None]),
        "ls": (pa.large_string(), ["", "x" * 1000, None]),
        "bin": (pa.binary(), [b"\x00\xff", b"", None]),
        "day": (pa.date32(), [dt.date(1970, 1, 1), dt.date(2999, 12, 31), None]),
        "ts_s": (pa.timestamp("s"), [dt.datetime(2024, 2, 29, 23, 59, 59), dt.datetime(1900, 1, 1), None]),
        "ts_us": (pa.timestamp("us"), [dt.datetime(2024, 1, 1, 0, 0, 0, 123456), dt.datetime(2000, 1, 1), None]),
        "ts_tz": (pa.timestamp("us", tz="UTC"),
                  [dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone.utc), dt.datetime(1999, 12, 31, tzinfo=dt.timezone.utc),
                   None]),
        "cat": (pa.dictionary(pa.int32(), pa.string()), ["a", "b", None]),
        "nothing": (pa.null(), [None, None, None]),
    }

    def test_create_table_from_arrow_of_every_type_seeds_and_syncs_produce(self, connection, schema):
        rel = self.rel(schema, "types")
        data = pa.table({name: pa.array(values, kind) for name, (kind, values) in self.ARROW_COLUMNS.items()})
        connection.create_table_from_arrow(rel, data)
        names = ", ".join(connection.dialect.quote_identifier(n) for n in self.ARROW_COLUMNS)
        got = connection.fetch_arrow(f"SELECT {names} FROM {self.q(connection, rel)}")
        assert got.column_names == list(self.ARROW_COLUMNS)
        # i8 is ascending in the data, NULL last: sorting by it gives the rows back in order. Sorted
        # here, not by SQL: engines disagree on where NULLs go and not all spell NULLS LAST (MySQL).
        order = sorted(range(got.num_rows), key=lambda i: (got.column("i8")[i].as_py() is None,
                                                           got.column("i8")[i].as_py() or 0))
        got = got.take(order)
        mismatched = {name: got.column(name).to_pylist() for name, (_, values) in self.ARROW_COLUMNS.items()
                      if got.column(name).to_pylist() != values}
        assert mismatched == {}

    def test_create_table_from_arrow_table(self, connection, schema):
        rel = self.rel(schema, "from 'table'")
        data = pa.table({"id": [1, 2, 3], "name": ["a", None, "c"]})
        connection.create_table_from_arrow(rel, data)  # the schema does not exist yet
        got = connection.fetch_arrow(f"SELECT id, name FROM {self.q(connection, rel)} ORDER BY id")
        assert got.to_pylist() == data.to_pylist()
        assert [c.name for c in connection.columns(rel)] == ["id", "name"]

    def test_create_table_from_record_batch_reader(self, connection, schema):
        rel = self.rel(schema, "streamed")
        arrow_schema = pa.schema([("i", pa.int64())])
        pulled: list[int] = []

        def batches():
            for k in range(5):
                pulled.append(k)
                yield pa.record_batch([pa.array(range(k * 100, (k + 1) * 100), pa.int64())], schema=arrow_schema)

        reader = pa.RecordBatchReader.from_batches(arrow_schema, batches())
        connection.create_table_from_arrow(rel, reader)
        assert pulled == [0, 1, 2, 3, 4]
        assert connection.fetch_scalar(f"SELECT COUNT(*) FROM {self.q(connection, rel)}") == 500
        assert connection.fetch_scalar(f"SELECT SUM(i) FROM {self.q(connection, rel)}") == sum(range(500))

    def test_create_table_from_empty_arrow_table(self, connection, schema):
        rel = self.rel(schema, "empty")
        connection.create_table_from_arrow(rel, pa.schema([("x", pa.int32()), ("y", pa.string())]).empty_table())
        assert connection.fetch_scalar(f"SELECT COUNT(*) FROM {self.q(connection, rel)}") == 0
        assert [c.name for c in connection.columns(rel)] == ["x", "y"]

    def test_create_table_from_arrow_is_atomic_when_the_source_fails(self, connection, schema):
        rel = self.rel(schema, "broken")
        arrow_schema = pa.schema([("i", pa.int64())])

        def batches():
            yield pa.record_batch([pa.array([1, 2], pa.int64())], schema=arrow_schema)
            raise OSError("source went away")

        with pytest.raises(FaboriteError, match="source went away"):
            connection.create_table_from_arrow(rel, pa.RecordBatchReader.from_batches(arrow_schema, batches()))
        assert rel not in connection.list_relations([schema])
        # The connection is usable afterwards.
        assert connection.fetch_scalar("SELECT 1") == 1

    def test_create_table_from_arrow_refuses_an_existing_relation(self, connection, schema):
        rel = self.rel(schema, "exists")
        connection.create_table_from_arrow(rel, pa.table({"a": [1]}))
        with pytest.raises(ProviderError):
            connection.create_table_from_arrow(rel, pa.table({"a": [2, 3]}))
        assert connection.fetch_arrow(f"SELECT a FROM {self.q(connection, rel)}").to_pylist() == [{"a": 1}]

    def test_create_table_from_arrow_joins_an_open_transaction(self, connection, schema):
        if not connection.dialect.transactional_ddl:
            pytest.skip("the dialect declares no transactional DDL")
        rel = self.rel(schema, "in tx")
        with pytest.raises(RuntimeError):
            with connection.transaction():
                connection.create_table_from_arrow(rel, pa.table({"a": [1]}))
                raise RuntimeError("abort")
        assert rel not in connection.list_relations([schema])

    # -- Inspector ------------------------------------------------------------

    def test_list_relations(self, connection, schema):
        other = self.name(schema + " other")
        t1, t2, v = self.rel(schema, "T1"), self.rel(other, "t2"), self.rel(schema, "view one")
        self.make_table(connection, t1, "SELECT 1 AS a")
        self.make_table(connection, t2, "SELECT 1 AS a")
        connection.execute(connection.dialect.create_view(v, f"SELECT * FROM {self.q(connection, t1)}"))
        assert connection.list_relations([schema]) == {t1, v}
        assert connection.list_relations([schema, other, "faborite_missing_schema"]) == {t1, t2, v}
        assert connection.list_relations(["faborite_missing_schema"]) == set()
        assert connection.list_relations([]) == set()

    def test_describe_relations_gives_kinds_and_pointer_views(self, connection, schema):
        d = connection.dialect
        other = self.name(schema + " other")
        table, pointer, other_table = self.rel(schema, "T v1"), self.rel(schema, "v"), self.rel(other, "t")
        self.make_table(connection, table, "SELECT 1 AS a")
        self.make_table(connection, other_table, "SELECT 1 AS a")
        for sql in d.create_or_replace_view(pointer, f"SELECT * FROM {self.q(connection, table)}"):
            connection.execute(sql)
        described = {info.relation: info for info in connection.describe_relations([schema, "faborite_missing"])}
        assert set(described) == {table, pointer}
        assert described[table].kind == "table"
        assert described[pointer].kind == "view"
        assert d.pointer_reads(described[pointer].definition) == table
        # A view that is not a plain pointer (someone replaced it) reads nothing faborite knows.
        connection.execute(d.drop_view(pointer))
        connection.execute(d.create_view(pointer, f"SELECT a + 1 AS a FROM {self.q(connection, table)}"))
        replaced = {i.relation: i for i in connection.describe_relations([schema])}[pointer]
        assert d.pointer_reads(replaced.definition) is None
        assert connection.describe_relations([]) == []

    def test_catalog_rows_are_what_describe_relations_answers(self, connection, schema):
        """Plan's drift check reads ``catalog_rows`` (the engine's own when it has one, without an
        object per relation): it must answer what ``describe_relations`` answers, and move with it."""
        from faborite.target import catalog_digest, catalog_rows, info_row, relations_digest

        d = connection.dialect
        table, pointer = self.rel(schema, "t v1"), self.rel(schema, "v")
        self.make_table(connection, table, "SELECT 1 AS a")
        for sql in d.create_or_replace_view(pointer, f"SELECT * FROM {self.q(connection, table)}"):
            connection.execute(sql)

        def described() -> str:
            return relations_digest(map(info_row, connection.describe_relations([schema, "faborite_missing"])))

        rows = catalog_rows(connection, [schema, "faborite_missing"])
        assert sorted(rows, key=repr) == sorted(map(info_row, connection.describe_relations([schema])), key=repr)
        before = catalog_digest(connection, [schema, "faborite_missing"])
        assert before == described()
        connection.execute(d.drop_view(pointer))
        connection.execute(d.create_view(pointer, f"SELECT a + 1 AS a FROM {self.q(connection, table)}"))
        after = catalog_digest(connection, [schema, "faborite_missing"])
        assert after == described() and after != before

    def test_catalog_files_change_with_the_catalog(self, connection, schema, monkeypatch):
        """A provider that names its catalog's files (``CatalogFiles``) lets a remembered no-change
        plan skip the drift query while their stamp holds: every catalog change must move the stamp."""
        import time

        from faborite import catalog_stamp

        files = getattr(connection, "catalog_files", None)
        if files is None or not files():
            pytest.skip("this target names no catalog files: a remembered plan queries its catalog")
        assert all(os.path.isabs(path) for path in files())
        monkeypatch.setattr(catalog_stamp, "RACY_SECONDS", 0.0)  # no waiting for the files to age here
        d = connection.dialect
        before = catalog_stamp.catalog_stamp(connection)
        assert before is not None and catalog_stamp.still_stamped(before)
        time.sleep(0.02)  # past one timestamp tick
        self.make_table(connection, self.rel(schema, "stamped"), "SELECT 1 AS a")
        assert not catalog_stamp.still_stamped(before), "a new table left every catalog file as it was"
        between = catalog_stamp.catalog_stamp(connection)
        time.sleep(0.02)
        connection.execute(d.drop_table(self.rel(schema, "stamped")))
        assert not catalog_stamp.still_stamped(between), "a dropped table left every catalog file as it was"

    def test_hostile_identifiers_round_trip(self, connection):
        """Quotes, dots, spaces, unicode and SQL in names: built, described, read back, pointed at."""
        d = connection.dialect
        schema = self.name(f'a.b "q" ☃ ü {uuid.uuid4().hex[:6]}')
        table, seeded = self.rel(schema, 'x."y" ; DROP TABLE z; --'), self.rel(schema, "Ünï.cödé 'seed'")
        view = self.rel(schema, 'pub"lished.view')
        column = 'col."1" ü'
        self.make_table(connection, table, f"SELECT 1 AS {d.quote_identifier(column)}")
        connection.create_table_from_arrow(seeded, pa.table({column: [2]}))
        for sql in d.create_or_replace_view(view, f"SELECT * FROM {self.q(connection, table)}"):
            connection.execute(sql)
        assert connection.list_relations([schema]) == {table, seeded, view}
        assert [c.name for c in connection.columns(seeded)] == [column]
        got = connection.fetch_arrow(f"SELECT {d.quote_identifier(column)} FROM {self.q(connection, view)}")
        assert got.to_pylist() == [{column: 1}]
        described = {info.relation: info for info in connection.describe_relations([schema])}
        assert described[view].kind == "view"
        assert d.pointer_reads(described[view].definition) == table
        # Re-pointing at a table with another hostile name is recognised too.
        for sql in d.create_or_replace_view(view, f"SELECT * FROM {self.q(connection, seeded)}"):
            connection.execute(sql)
        described = {info.relation: info for info in connection.describe_relations([schema])}
        assert d.pointer_reads(described[view].definition) == seeded

    def test_describe_relations_does_not_take_a_filtered_or_joined_view_for_a_pointer(self, connection, schema):
        d = connection.dialect
        table, other, view = self.rel(schema, "t v1"), self.rel(schema, "u v1"), self.rel(schema, "v")
        self.make_table(connection, table, "SELECT 1 AS a, 2 AS b")
        self.make_table(connection, other, "SELECT 1 AS a")
        replacements = [
            f"SELECT * FROM {self.q(connection, table)} WHERE a > 0",
            f"SELECT t.* FROM {self.q(connection, table)} AS t JOIN {self.q(connection, other)} AS u ON t.a = u.a",
            f"SELECT a AS b, b AS a FROM {self.q(connection, table)}",
            f"SELECT * FROM {self.q(connection, table)} LIMIT 1",
        ]
        for select in replacements:
            connection.execute(d.drop_view(view))
            connection.execute(d.create_view(view, select))
            definition = {i.relation: i for i in connection.describe_relations([schema])}[view].definition
            assert d.pointer_reads(definition) is None, select

    def test_columns_in_order(self, connection, schema):
        rel = self.rel(schema, "cols")
        a_b = connection.dialect.quote_identifier("a b")
        self.make_table(connection, rel, f"SELECT 1 AS z, 'x' AS {a_b}, 2.5 AS m")
        cols = connection.columns(rel)
        assert [c.name for c in cols] == ["z", "a b", "m"]
        assert all(c.type for c in cols)

    def test_columns_of_a_missing_relation_is_an_error(self, connection, schema):
        with pytest.raises(ProviderError):
            connection.columns(self.rel(schema, "nope"))

    # -- cursors, errors, close -------------------------------------------------

    def test_cursor_works_from_another_thread(self, connection, schema):
        connection.execute(connection.dialect.create_schema(schema))
        rels = [self.rel(schema, f"thread {i}") for i in range(3)]
        cursors = [connection.cursor() for _ in rels]
        errors: list[BaseException] = []

        def build(cur, rel):
            try:
                cur.execute(cur.dialect.create_table_as(rel, "SELECT 42 AS answer"))
                seed = self.rel(rel.schema_name, rel.name + " arrow")
                cur.create_table_from_arrow(seed, pa.table({"a": [1]}))
            except BaseException as exc:  # noqa: BLE001 - reported to the main thread
                errors.append(exc)

        threads = [threading.Thread(target=build, args=pair) for pair in zip(cursors, rels)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for cur in cursors:
            cur.close()
        assert errors == []
        found = connection.list_relations([schema])
        for rel in rels:
            assert rel in found
            assert connection.fetch_scalar(f"SELECT answer FROM {self.q(connection, rel)}") == 42
        assert len(found) == 2 * len(rels)

    def test_errors_are_provider_errors_with_the_sql_as_hint(self, connection):
        with pytest.raises(ProviderError) as info:
            connection.execute("SELEC 1\nFROM nowhere")
        assert "Traceback" not in str(info.value)
        assert "SELEC 1" in (info.value.hint or "")
        with pytest.raises(ProviderError):
            connection.fetch_arrow("SELECT * FROM faborite_no_such_table_anywhere")
        with pytest.raises(ProviderError):
            connection.fetch_scalar("SELECT * FROM faborite_no_such_table_anywhere")
        assert connection.fetch_scalar("SELECT 1") == 1

    def test_close_is_idempotent(self, connection):
        other = connection.cursor()
        other.close()
        other.close()
        with pytest.raises(ProviderError):
            other.execute("SELECT 1")
