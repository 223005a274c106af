"""Model contracts (``contract: {enforced: true}``): compile errors where the query's columns are
known; otherwise, and for types and not_null, a violation stops publish naming the column."""

from __future__ import annotations

from pathlib import Path

import pytest

from faborite.errors import ApplyError, CompileError
from tests.apply.helpers import apply, edit, published, workspace

_CONTRACT = """
    config:
      contract: {enforced: true}
    columns:
      - name: day
        data_type: date
        constraints: [{type: not_null}]
      - name: orders
        data_type: bigint
      - name: revenue
        data_type: {revenue_type}
        constraints: [not_null]
"""


def _contract(demo: Path, revenue_type: str = "decimal(18,2)") -> None:
    edit(demo / "models/marts/schema.yml", "Revenue per day from completed and shipped orders.\n",
         "Revenue per day from completed and shipped orders." + _CONTRACT.replace("{revenue_type}", revenue_type))


def _type_of_revenue(demo: Path) -> str:
    apply(demo)
    return next(c.type for c in workspace(demo).state().nodes["model.daily_revenue"].columns if c.name == "revenue")


def test_a_kept_contract_publishes(demo: Path) -> None:
    revenue_type = _type_of_revenue(demo)
    _contract(demo, revenue_type.lower())
    apply(demo)
    assert workspace(demo).compile().nodes["model.daily_revenue"].contract is not None


def test_a_missing_column_is_a_compile_error_naming_it(demo: Path) -> None:
    _contract(demo)
    edit(demo / "models/marts/daily_revenue.sql", "    count(*) as orders,\n", "")
    with pytest.raises(CompileError) as info:
        workspace(demo).compile()
    assert "breaks its contract: column 'orders' is missing" in info.value.message
    assert info.value.file == "models/marts/daily_revenue.sql"


def test_a_wrong_type_stops_publish_naming_the_column(demo: Path) -> None:
    apply(demo)
    before = published(demo)
    _contract(demo, "varchar")
    with pytest.raises(ApplyError) as info:
        apply(demo)
    assert "'daily_revenue' breaks its contract: column 'revenue' is" in info.value.message
    assert "the contract says varchar" in info.value.message
    assert published(demo) == before


def test_a_null_in_a_not_null_column_stops_publish(demo: Path) -> None:
    revenue_type = _type_of_revenue(demo)
    before = published(demo)
    _contract(demo, revenue_type.lower())
    edit(demo / "models/marts/daily_revenue.sql", "sum(amount) as revenue", f"cast(null as {revenue_type}) as revenue")
    with pytest.raises(ApplyError) as info:
        apply(demo)
    assert "column 'revenue' is not_null but has" in info.value.message
    assert published(demo) == before and workspace(demo).state().serial == 1


def test_a_contract_column_without_a_type_is_a_compile_error(demo: Path) -> None:
    _contract(demo)
    edit(demo / "models/marts/schema.yml", "        data_type: bigint\n", "")
    with pytest.raises(CompileError) as info:
        workspace(demo).compile()
    assert "column 'orders' has no data_type" in info.value.message
    assert info.value.file == "models/marts/schema.yml"
