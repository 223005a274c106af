"""Each small dbt project under tests/dbt/projects/ builds the same tables with dbt and with faborite."""

from __future__ import annotations

from pathlib import Path

import pytest

from faborite.api import import_dbt
from tests.dbt.harness import PROJECTS, compare, copy_project, dbt_build, faborite_apply, find_dbt

pytestmark = pytest.mark.slow

#: Relations a project's dbt build makes that faborite deliberately does not (none yet).
_NOT_BUILT: dict[str, tuple[str, ...]] = {}


@pytest.fixture(scope="session")
def dbt() -> Path:
    return find_dbt()


@pytest.mark.parametrize("name", sorted(p.name for p in PROJECTS.iterdir() if (p / "dbt_project.yml").is_file()))
def test_dbt_and_faborite_build_the_same_tables(name: str, dbt: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    source = PROJECTS / name
    dbt_db, faborite_db = tmp_path / "dbt.duckdb", tmp_path / "faborite.duckdb"
    dbt_build(dbt, copy_project(source, tmp_path / "for-dbt"), dbt_db)
    faborite_apply(copy_project(source, tmp_path / "for-faborite"), faborite_db, monkeypatch)
    assert compare(dbt_db, faborite_db, ignore=_NOT_BUILT.get(name, ()))
    # The same project converted by `faborite import dbt` builds the same tables too.
    imported, imported_db = tmp_path / "imported", tmp_path / "imported.duckdb"
    notes = import_dbt(source, imported)
    assert not [n for n in notes if "does not validate" in n], notes
    faborite_apply(imported, imported_db, monkeypatch)
    assert compare(dbt_db, imported_db, ignore=_NOT_BUILT.get(name, ()))
