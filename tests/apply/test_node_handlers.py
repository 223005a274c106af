"""Where a built table's row count comes from: the engine's report, else a scan the dialect allows."""

from __future__ import annotations

from faborite.apply.context import BuiltNode
from faborite.apply.node_handlers import TableModel, ViewModel
from faborite.dialects import get_dialect
from faborite.relation import Relation
from faborite.target import Column

PHYSICAL = Relation(schema_name="faborite__main", name="t__abc")


class Recording:
    """A connection that answers describe()'s questions and records the queries it is asked."""

    def __init__(self, dialect) -> None:
        self.dialect = dialect
        self.queries: list[str] = []

    def columns(self, relation):
        return [Column(name="a", type="INTEGER")]

    def fetch_scalar(self, sql):
        self.queries.append(sql)
        return 7


def _dialect(scan: bool):
    dialect = get_dialect("duckdb")()
    dialect.count_rows_by_scan = scan  # on this instance only: no dialect is registered
    return dialect


def test_a_reported_count_is_kept_and_nothing_is_scanned():
    connection = Recording(_dialect(True))
    built = BuiltNode(physical=PHYSICAL, row_count=3)
    TableModel().describe(connection, None, built)
    assert (built.row_count, connection.queries) == (3, [])
    assert built.columns == (Column(name="a", type="INTEGER"),)


def test_an_unreported_count_is_scanned_where_the_dialect_allows_it():
    connection = Recording(_dialect(True))
    built = BuiltNode(physical=PHYSICAL)
    TableModel().describe(connection, None, built)
    assert built.row_count == 7 and len(connection.queries) == 1 and "COUNT(*)" in connection.queries[0]


def test_an_unreported_count_stays_unknown_where_a_scan_is_a_job_of_its_own():
    connection = Recording(_dialect(False))
    built = BuiltNode(physical=PHYSICAL)
    TableModel().describe(connection, None, built)
    assert (built.row_count, connection.queries) == (None, [])


def test_a_view_is_never_counted():
    connection = Recording(_dialect(True))
    built = BuiltNode(physical=PHYSICAL)
    ViewModel().describe(connection, None, built)
    assert (built.row_count, connection.queries) == (None, [])
