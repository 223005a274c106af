"""``column_losses``: which published columns a new version takes away (a table of cases)."""

from __future__ import annotations

import pytest

from faborite.plan.destructive import column_losses
from faborite.target import Column


@pytest.mark.parametrize(("old", "new", "losses"), [
    ("INTEGER", "BIGINT", ()),                       # widenings lose nothing
    ("FLOAT", "DOUBLE", ()),
    ("DECIMAL(10,2)", "DECIMAL(12, 4)", ()),
    ("VARCHAR(10)", "VARCHAR", ()),
    ("integer", "INTEGER", ()),                      # the same type, spelled otherwise
    ("BIGINT", "INTEGER", ("x retyped BIGINT -> INTEGER",)),
    ("DECIMAL(18,4)", "DECIMAL(18,6)", ("x retyped DECIMAL(18,4) -> DECIMAL(18,6)",)),  # fewer integer digits
    ("VARCHAR", "VARCHAR(10)", ("x retyped VARCHAR -> VARCHAR(10)",)),
    ("INTEGER", "VARCHAR", ("x retyped INTEGER -> VARCHAR",)),
    ("DATE", "TIMESTAMP", ("x retyped DATE -> TIMESTAMP",)),
])
def test_retyped(old: str, new: str, losses: tuple[str, ...]) -> None:
    assert column_losses([Column(name="x", type=old)], [Column(name="x", type=new)]) == losses


def test_dropped_by_name_without_types_and_case_insensitively() -> None:
    old = [Column(name="Id", type="INTEGER"), Column(name="amount", type="DOUBLE")]
    assert column_losses(old, ["id", "total"]) == ("amount dropped",)
    assert column_losses(old, ["ID", "AMOUNT", "extra"]) == ()
