"""dbt properties files load with every key dbt accepts; tests become checks (faborite/dbt/properties.py, tests.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from faborite.compiler import compile_project
from faborite.config import load_project
from tests.dbt.harness import PROJECTS


def _copy(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(PROJECTS / name, tmp_path / name))


def test_unused_keys_are_ignored_with_one_summary_line(tmp_path: Path) -> None:
    project = load_project(_copy("properties_tolerance", tmp_path))
    summary = [w for w in project.warnings if w.startswith("dbt keys faborite does not use")]
    assert len(summary) == 1
    for key in ("groups (1)", "exposures (1)", "unit_tests (1)", "access (1)", "columns.config (1)",
                "constraints (1)", "config.grants (1)"):
        assert key in summary[0], key
    doc = project.model_docs["people_upper"].doc
    assert [c.label for c in doc.columns[0].checks] == ["unique(id)", "not_null(id)"]
    assert doc.columns[0].checks[1].severity == "warn"
    assert "where id > 0" in doc.columns[0].checks[1].sql  # `where:` filters the rows, as in dbt
    assert doc.columns[1].checks[0].values == ("A", "B")  # from `arguments:`


def test_generic_and_singular_tests_become_checks(tmp_path: Path) -> None:
    root = _copy("generic_and_singular_tests", tmp_path)
    manifest = compile_project(load_project(root))
    checks = {c.name: c for c in manifest.nodes["model.orders"].checks}
    assert set(checks) == {"unique(id)", "not_null(id)", "is_positive(amount)", "at_most", "at_most(amount)",
                           "accepted_values(status)", "no_negative_amounts"}
    assert '"amount" > 100' in checks["at_most"].sql.replace("amount > 100", '"amount" > 100')
    assert "<= 0" in checks["is_positive(amount)"].sql


def test_a_generic_test_nowhere_to_be_found_skips_that_test_only(tmp_path: Path) -> None:
    root = _copy("generic_and_singular_tests", tmp_path)
    schema = root / "models" / "schema.yml"
    schema.write_text(schema.read_text().replace("- is_positive", "- dbt_expectations.expect_column_to_exist:\n"
                                                                   "              column_name: amount"))
    project = load_project(root)
    assert any("test 'dbt_expectations.expect_column_to_exist' on orders.amount is skipped" in w
               for w in project.warnings)
    assert "model.orders" in compile_project(project).nodes


def test_a_vendored_package_generic_test_is_called_in_its_namespace(tmp_path: Path) -> None:
    # A package's macros are reachable only as pkg.macro: its test, qualified or not, calls pkg.test_x.
    root = _copy("generic_and_singular_tests", tmp_path)
    package = root / "dbt_packages" / "checks_pkg"
    (package / "macros" / "generic").mkdir(parents=True)
    (package / "dbt_project.yml").write_text("name: checks_pkg\nversion: '1.0'\nconfig-version: 2\n")
    (package / "macros" / "generic" / "true.sql").write_text(
        "{% test expression_is_true(model, expression, column_name=none) %}\n"
        "select * from {{ model }} where not ({{ column_name }} {{ expression }})\n{% endtest %}\n")
    schema = root / "models" / "schema.yml"
    schema.write_text(schema.read_text().replace("- is_positive", "- checks_pkg.expression_is_true:\n"
                                                                   "              expression: '> 0'\n"
                                                                   "          - expression_is_true:\n"
                                                                   "              expression: '< 10000'"))
    checks = compile_project(load_project(root)).nodes["model.orders"].checks
    sqls = sorted(c.sql.replace('"', "") for c in checks if c.name == "expression_is_true(amount)")
    assert sqls == ["select * from main.orders where not (amount < 10000)",
                    "select * from main.orders where not (amount > 0)"]
