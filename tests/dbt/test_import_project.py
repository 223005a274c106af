"""`faborite import dbt PATH OUT` writes a native project that compiles (faborite/dbt/import_project.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from faborite.api import import_dbt
from faborite.compiler import compile_project
from faborite.config import load_project
from faborite.errors import ConfigError
from tests.dbt.harness import PROJECTS


def test_imported_project_compiles_with_the_same_nodes_and_checks(tmp_path: Path) -> None:
    source = PROJECTS / "generic_and_singular_tests"
    notes = import_dbt(source, tmp_path / "out")
    assert not [n for n in notes if "does not validate" in n]
    native = compile_project(load_project(tmp_path / "out"))
    in_place = compile_project(load_project(source))
    assert set(native.nodes) == set(in_place.nodes)
    assert {c.name for c in native.nodes["model.orders"].checks} == {
        c.name for c in in_place.nodes["model.orders"].checks}


def test_packages_land_under_their_name_with_their_config(tmp_path: Path) -> None:
    import_dbt(PROJECTS / "packages", tmp_path / "out")
    assert (tmp_path / "out/models/dbt_packages/tiny_pkg/pkg_calendar.sql").is_file()
    manifest = compile_project(load_project(tmp_path / "out"))
    assert manifest.nodes["model.pkg_calendar"].materialized == "table"
    assert "model.pkg_unused" not in manifest.nodes


def test_refuses_a_non_empty_destination(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("")
    with pytest.raises(ConfigError, match="already exists and is not empty"):
        import_dbt(PROJECTS / "packages", tmp_path / "out")


def test_packages_keep_their_macro_namespaces(tmp_path: Path) -> None:
    from tests.dbt.test_real_layouts import relations, write_project

    package = "name: {0}\nversion: '1.0'\nconfig-version: 2\n"
    root = write_project(tmp_path / "dbt", {
        "dbt_project.yml": "name: shop\nprofile: shop\nmodels:\n  shop:\n    marts:\n      +materialized: table\n",
        # Two packages with a macro of the same name (as dbt_utils and dbt_date both have date_spine).
        "dbt_packages/one/dbt_project.yml": package.format("one"),
        "dbt_packages/one/macros/m.sql": "{% macro pick() %}1{% endmacro %}",
        "dbt_packages/two/dbt_project.yml": package.format("two"),
        "dbt_packages/two/macros/m.sql": "{% macro pick() %}2{% endmacro %}",
        "models/m.sql": "select {{ one.pick() }} as a, {{ two.pick() }} as b",
    })
    notes = import_dbt(root, tmp_path / "native")
    assert not [n for n in notes if "does not validate" in n], notes
    assert (tmp_path / "native" / "macros" / "dbt_packages" / "two" / "macros" / "m.sql").is_file()
    assert relations(tmp_path / "native")["model.m"] == "analytics.m"
    # The unused folder config is named in the file it is written in.
    assert any(n.startswith("dbt_project.yml: 'models.marts'") for n in notes)
