"""What every sync source promises, as one suite each source provider's tests subclass.

Like ``tests/providers/conformance.py`` for targets and ``tests/state/conformance.py``
for state backends: a subclass provides a ``source`` fixture, a
:class:`~faborite.sync.source.TableSource` holding :data:`ORDERS` under the
name ``self.orders`` (``"orders"``, or ``"dbo.orders"`` where the source
names it so), and sets the flags where its kind differs. Rows are compared as
the executor reads them: registered in DuckDB (``scan()`` when the source
narrows reads itself, else ``dataset()``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import duckdb
import pyarrow as pa
import pytest

from faborite.errors import FaboriteError
from faborite.sync.source import ScanSource, TableSource

from .conftest import run

#: The table every source under test holds: ids 0..59, three regions, a float, a timestamp cursor.
ORDERS = pa.table({
    "id": pa.array(range(60), pa.int64()),
    "region": [("eu", "us", "apac")[i % 3] for i in range(60)],
    "amount": [float(i) * 1.5 for i in range(60)],
    "updated_at": pa.array([dt.datetime(2024, 1, 1) + dt.timedelta(hours=i) for i in range(60)], pa.timestamp("us")),
})
CURSOR = dt.datetime(2024, 1, 2, 11)  # the last 24 of the 60 rows are past it
WHERE = "region = 'eu' AND amount > 20"

#: Names no source holds, some shaped like an injection or a path escape.
HOSTILE_NAMES = ['no"such', "orders'; DROP TABLE orders; --", "../../etc/passwd", "a b", "dbo.orders.extra"]


def read(source: TableSource, name: str, sql: str = "SELECT * FROM src", **pushed: Any) -> list[tuple]:
    """Rows of ``sql`` over the table registered as ``src``, sorted; ``pushed``: scan()'s columns/where/after."""
    data = source.scan(name, **pushed) if isinstance(source, ScanSource) else source.dataset(name)
    con = duckdb.connect()
    con.register("src", data)
    return sorted(con.sql(sql).fetchall(), key=repr)


def expected(sql: str = "SELECT * FROM orders") -> list[tuple]:
    """What ``sql`` gives over :data:`ORDERS` itself."""
    con = duckdb.connect()
    con.register("orders", ORDERS)
    return sorted(con.sql(sql).fetchall(), key=repr)


class SourceConformance:
    """Subclass and provide a ``source`` fixture (a TableSource holding :data:`ORDERS`)."""

    #: The name the source lists and describes the table under.
    orders: ClassVar[str] = "orders"
    #: Whether ``describe`` knows the row count from metadata (files: no).
    knows_row_count: ClassVar[bool] = True

    @pytest.fixture
    def source(self) -> TableSource:  # pragma: no cover - subclasses provide it
        raise NotImplementedError

    def test_lists_its_tables_with_versions(self, source: TableSource) -> None:
        tables = {t.name: t for t in source.list_tables()}
        assert self.orders in tables
        assert tables[self.orders].version

    def test_describes_schema_version_and_the_row_count_a_full_read_gives(self, source: TableSource) -> None:
        info = source.describe(self.orders)
        assert info.name == self.orders and info.version
        assert set(ORDERS.column_names) <= set(source.schema(self.orders).names)
        full = len(read(source, self.orders))
        assert full == ORDERS.num_rows
        assert info.row_count == (full if self.knows_row_count else None)

    def test_reads_every_row_as_arrow(self, source: TableSource) -> None:
        columns = "id, region, amount, updated_at"
        assert read(source, self.orders, f"SELECT {columns} FROM src") == expected(f"SELECT {columns} FROM orders")

    def test_reads_only_the_columns_asked_for(self, source: TableSource) -> None:
        if not isinstance(source, ScanSource):
            pytest.skip("no scan(): the executor projects in DuckDB")
        data = source.scan(self.orders, ["region", "id"])
        con = duckdb.connect()
        con.register("src", data)
        assert sorted(con.sql("SELECT * FROM src").columns) == ["id", "region"]
        assert read(source, self.orders, "SELECT id, region FROM src", columns=["region", "id"]) == expected(
            "SELECT id, region FROM orders")

    def test_a_pushed_down_where_gives_the_rows_filtering_after_gives(self, source: TableSource) -> None:
        sql = f"SELECT id, region, amount FROM src WHERE {WHERE}"
        wanted = expected(f"SELECT id, region, amount FROM orders WHERE {WHERE}")
        assert wanted and read(source, self.orders, sql) == wanted
        if isinstance(source, ScanSource):
            assert read(source, self.orders, sql, where=WHERE) == wanted

    def test_incremental_read_after_a_cursor(self, source: TableSource) -> None:
        sql = f"SELECT id FROM src WHERE updated_at > TIMESTAMP '{CURSOR}'"
        wanted = expected(sql.replace("src", "orders"))
        assert len(wanted) == 24
        if isinstance(source, ScanSource):
            assert read(source, self.orders, sql, after=("updated_at", CURSOR)) == wanted
        # And through the executor, as an incremental sync's second run reads it.
        rows, result = run(source, self.orders, {"incremental": {"cursor": "updated_at", "key": "id"}},
                           cursor_value=CURSOR)
        assert sorted(rows.column("id").to_pylist()) == [row[0] for row in sorted(wanted)]
        assert result.new_cursor == ORDERS.column("updated_at")[-1].as_py()

    def test_a_missing_table_is_one_clear_error(self, source: TableSource) -> None:
        with pytest.raises(FaboriteError) as info:
            source.describe("no_such_table")
        assert "no_such_table" in info.value.message

    @pytest.mark.parametrize("name", HOSTILE_NAMES)
    def test_hostile_names_are_refused_and_harm_nothing(self, source: TableSource, name: str) -> None:
        with pytest.raises(FaboriteError):
            source.describe(name)
        assert len(read(source, self.orders)) == ORDERS.num_rows  # still there, still whole
