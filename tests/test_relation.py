"""Relation names: two parts, or three with a catalog; keys round-trip; physical versions stay in the catalog."""

from __future__ import annotations

from faborite.dialects import get_dialect
from faborite.relation import Relation


def test_a_key_round_trips_with_and_without_a_catalog():
    plain = Relation(schema_name="main", name="orders.v2")
    assert plain.key == "main.orders.v2" and Relation.parse(plain.key) == plain
    three = Relation(schema_name="sales", name="orders.v2", catalog="warehouse")
    assert three.key == "warehouse.sales.orders.v2"
    assert Relation.parse(three.key, catalog=True) == three


def test_a_physical_version_stays_in_its_catalog():
    physical = Relation(schema_name="sales", name="orders", catalog="wh").physical("abcdef0123456789")
    assert physical == Relation(schema_name="faborite__sales", name="orders__abcdef012345", catalog="wh")


def test_dialects_quote_three_part_names_and_read_them_back():
    rel = Relation(schema_name='s "x"', name="t.1", catalog="cat")
    for name in ("duckdb", "postgres", "tsql", "snowflake"):
        dialect = get_dialect(name)()
        quoted = dialect.quote_relation(rel)
        assert quoted.count(".") >= 3, quoted
        assert dialect.pointer_reads(f"SELECT * FROM {quoted}") == rel
