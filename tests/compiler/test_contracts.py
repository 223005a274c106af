"""Compile-time contract types: where sqlglot can type a column of the query, a type of another
family than the contract's is a compile error at the column's line; everything else is left to
the build-time check (tests/apply/test_contracts.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from faborite.api import Workspace
from faborite.errors import CompileError

PROPERTIES = """models:
  - name: m
    config:
      contract: {enforced: true}
    columns:
      - name: id
        data_type: bigint
      - name: code
        data_type: {code_type}
      - name: v
        data_type: integer
"""


def _project(root: Path, select: str, code_type: str) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "seeds").mkdir()
    (root / "faborite.yml").write_text("name: p\n")
    (root / "seeds/src.csv").write_text("id,v\n1,a\n")
    (root / "models/schema.yml").write_text(PROPERTIES.replace("{code_type}", code_type))
    (root / "models/m.sql").write_text("{{ config(materialized='table') }}\nselect\n  1 as id,\n"
                                       f"  {select} as code,\n  v\nfrom {{{{ ref('src') }}}}\n")
    return root


@pytest.mark.parametrize(("select", "code_type", "seen"), [
    ("'abc'", "integer", "TEXT"),
    ("cast(id as varchar)", "date", "TEXT"),
    ("date '2024-01-01'", "timestamp", "DATE"),
    ("42", "varchar", "INT"),
    ("true", "decimal(10, 2)", "BOOLEAN"),
])
def test_a_clearly_different_type_is_a_compile_error_at_the_column(tmp_path: Path, select: str, code_type: str,
                                                                   seen: str) -> None:
    root = _project(tmp_path / "p", select, code_type)
    with pytest.raises(CompileError) as info:
        Workspace(root=root).compile()
    error = info.value
    assert f"'m' breaks its contract: column 'code' is {seen}" in error.message
    assert f"the contract says {code_type}" in error.message
    assert (error.file, error.line) == ("models/m.sql", 4)
    assert "models/schema.yml" in (error.hint or "")


@pytest.mark.parametrize(("select", "code_type"), [
    ("42", "bigint"),  # same family: the exact type is the build-time check's
    ("1.5", "decimal(10, 2)"),  # sqlglot says DOUBLE, the engine may say DECIMAL: both numbers
    ("cast(id as varchar(3))", "text"),
    ("id", "date"),  # a column of a seed: sqlglot cannot type it, the build-time check will
    ("null", "integer"),
])
def test_what_sqlglot_cannot_tell_apart_compiles(tmp_path: Path, select: str, code_type: str) -> None:
    root = _project(tmp_path / "p", select, code_type)
    assert Workspace(root=root).compile().nodes["model.m"].contract is not None
