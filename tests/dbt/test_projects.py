"""Each small dbt project under tests/dbt/projects/ builds the same tables with dbt and with faborite."""

from __future__ import annotations

from pathlib import Path

import pytest

from faborite.api import import_dbt
from tests.dbt.harness import PROJECTS, compare, copy_project, dbt_build, faborite_apply, find_dbt, next_run

pytestmark = pytest.mark.slow

#: Relations a project's dbt build makes that faborite deliberately does not (none yet).
_NOT_BUILT: dict[str, tuple[str, ...]] = {}


@pytest.fixture(scope="session")
def dbt() -> Path:
    return find_dbt()


#: Projects dbt cannot build here: it installs their packages (dbt_utils) from its hub, out of reach;
#: tests/dbt/test_jinja_projects.py checks faborite's rows for them.
_NEEDS_HUB = {"dbt_utils_fallbacks"}


@pytest.mark.parametrize("name", sorted(p.name for p in PROJECTS.iterdir()
                                        if (p / "dbt_project.yml").is_file() and p.name not in _NEEDS_HUB))
def test_dbt_and_faborite_build_the_same_tables(name: str, dbt: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    source = PROJECTS / name
    ignore = _NOT_BUILT.get(name, ())
    dbt_db, faborite_db, imported_db = (tmp_path / f"{who}.duckdb" for who in ("dbt", "faborite", "imported"))
    for_dbt, for_faborite, imported = tmp_path / "for-dbt", tmp_path / "for-faborite", tmp_path / "imported"
    dbt_build(dbt, copy_project(source, for_dbt), dbt_db)
    faborite_apply(copy_project(source, for_faborite), faborite_db, monkeypatch)
    assert compare(dbt_db, faborite_db, ignore=ignore)
    # The same project converted by `faborite import dbt` builds the same tables too.
    notes = import_dbt(source, imported)
    assert not [n for n in notes if "does not validate" in n], notes
    faborite_apply(imported, imported_db, monkeypatch)
    assert compare(dbt_db, imported_db, ignore=ignore)
    if next_run(source, for_dbt, for_faborite, imported):
        dbt_build(dbt, for_dbt, dbt_db)
        faborite_apply(for_faborite, faborite_db, monkeypatch)
        faborite_apply(imported, imported_db, monkeypatch)
        assert compare(dbt_db, faborite_db, ignore=ignore)
        assert compare(dbt_db, imported_db, ignore=ignore)
