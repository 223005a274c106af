"""Issue 8: a third-party provider, installed from a temporary package by entry point, plans and
applies through the same suite as the built-in targets.

The package (tests/providers/third_party_pkg/faborite_sqlite_target) is a SQLite target: another
engine than the built-in ones, written against faborite's public protocol only. Each test module
run copies it into a fresh folder with a hand-written ``*.dist-info`` (METADATA and
entry_points.txt, which is all importlib.metadata reads), so faborite finds it exactly as it
finds an installed distribution: in-process through ``sys.path``, and for the CLI through
``PYTHONPATH``.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import json
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from faborite import plugins
from faborite.api import init_project
from faborite.dialects import get_dialect
from faborite.dialects.base import Dialect
from faborite.errors import ProviderError, TargetMissingError
from faborite.relation import Relation
from tests.conftest import run_cli

from .conformance import TargetConnectionConformance

PACKAGE = Path(__file__).parent / "third_party_pkg" / "faborite_sqlite_target"
ENTRY_POINTS = """\
[faborite.providers]
sqlite = faborite_sqlite_target:SQLiteProvider

[faborite.dialects]
sqlite = faborite_sqlite_target.dialect:SQLiteDialect
"""
#: A second distribution whose plugins cannot load: a missing module, and a dialect that is no Dialect.
BROKEN_ENTRY_POINTS = """\
[faborite.providers]
ghostdb = faborite_ghost_target_not_installed:Provider

[faborite.dialects]
ghostsql = json:JSONDecoder
"""


def write_distribution(site: Path, name: str, entry_points: str) -> None:
    """A ``*.dist-info`` as pip leaves it, reduced to what importlib.metadata reads."""
    info = site / f"{name.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\nRequires-Dist: faborite\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text(entry_points, encoding="utf-8")


def build_site(root: Path, *, broken: bool = False) -> Path:
    """A folder holding the installed package (or the broken one), as a site-packages would."""
    site = root / ("broken-site" if broken else "site")
    if broken:
        write_distribution(site, "faborite-ghost-target", BROKEN_ENTRY_POINTS)
    else:
        shutil.copytree(PACKAGE, site / PACKAGE.name, ignore=shutil.ignore_patterns("__pycache__"))
        write_distribution(site, "faborite-sqlite-target", ENTRY_POINTS)
    return site


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The package installed on sys.path for this module's tests; uninstalled after."""
    folder = build_site(tmp_path_factory.mktemp("third_party"))
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    plugins.clear_cache()
    yield folder
    sys.path.remove(str(folder))
    for module in [m for m in sys.modules if m.split(".")[0] == PACKAGE.name]:
        del sys.modules[module]
    if getattr(Dialect.registry.get("sqlite"), "__module__", "").startswith(PACKAGE.name):
        del Dialect.registry["sqlite"]
    plugins.clear_cache()


def _provider(site):
    provider = plugins.load_provider("sqlite")
    assert type(provider).__module__ == PACKAGE.name
    return provider


# -- discovery ----------------------------------------------------------------------------


def test_installed_package_is_found_by_entry_point(site):
    distribution = importlib.metadata.distribution("faborite-sqlite-target")
    assert Path(str(distribution.locate_file(""))).resolve() == site.resolve()
    assert "sqlite" in plugins.provider_names() and "sqlite" in plugins.dialect_names()
    provider = _provider(site)
    assert Path(sys.modules[PACKAGE.name].__file__).resolve().is_relative_to(site.resolve())
    assert provider.name == "sqlite" and plugins.load_provider("sqlite") is provider
    dialect = get_dialect("sqlite")
    assert issubclass(dialect, Dialect) and dialect.__module__ == f"{PACKAGE.name}.dialect"
    # Not a built-in in disguise: it imports no other provider (only the shared transaction helper) and no duckdb.
    imported = set()
    for file in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                imported.add(node.module or "")
    assert {m for m in imported if m.startswith(("faborite.providers", "duckdb"))} == {
        "faborite.providers.transactions"}
    assert {"sqlite3", "faborite.target"} <= imported


# -- the conformance suite ----------------------------------------------------------------------


class TestSQLiteConformance(TargetConnectionConformance):
    @pytest.fixture
    def connection(self, site, tmp_path):
        provider = _provider(site)
        config = provider.config_model.model_validate({"type": "sqlite"})
        con = provider.connect(config, tmp_path)
        yield con
        con.close()


# -- what only this provider has -----------------------------------------------------------------


def test_read_only_on_a_missing_database_and_read_only_refuses_writes(site, tmp_path):
    provider = _provider(site)
    config = provider.config_model.model_validate({"type": "sqlite", "path": "w.sqlite"})
    with pytest.raises(TargetMissingError, match="no database at"):
        provider.connect(config, tmp_path, read_only=True)
    con = provider.connect(config, tmp_path)
    con.create_table_from_arrow(Relation(schema_name="s", name="t"), __import__("pyarrow").table({"a": [1]}))
    con.close()
    reader = provider.connect(config, tmp_path, read_only=True)
    try:
        assert reader.fetch_scalar('SELECT a FROM "s.t"') == 1
        with pytest.raises(ProviderError, match="readonly"):
            reader.execute('CREATE TABLE "s.u" (a INTEGER)')
    finally:
        reader.close()


def test_schemas_are_escaped_name_prefixes_that_round_trip(site):
    from faborite_sqlite_target.dialect import relation_of, table_name

    for schema, name in [("main", "orders"), ("a.b", "c"), ("a", "b.c"), ("x\\", ".y"), ("s", "t\\.u")]:
        rel = Relation(schema_name=schema, name=name)
        assert relation_of(table_name(rel)) == rel
    assert table_name(Relation(schema_name="a.b", name="c")) != table_name(Relation(schema_name="a", name="b.c"))
    assert relation_of("plain_table") is None and relation_of("a.b.c") is None


# -- the real CLI, in a subprocess that finds the package only through PYTHONPATH --------------------


def _sqlite_project(tmp_path: Path) -> Path:
    """``faborite init``'s project (the same code, in-process: each CLI run costs a second), on SQLite."""
    project = init_project(tmp_path / "demo")
    config = project / "faborite.yml"
    text = config.read_text(encoding="utf-8")
    duckdb_block = "    type: duckdb\n    path: .faborite/dev.duckdb"
    assert duckdb_block in text
    config.write_text(text.replace(duckdb_block, "    type: sqlite\n    path: .faborite/dev.sqlite"), encoding="utf-8")
    return project


def test_cli_validates_plans_applies_queries_rolls_back_and_debugs(site, tmp_path):
    project = _sqlite_project(tmp_path)

    def cli(*args: str, code: int = 0):
        result = run_cli(*args, cwd=project, env={"PYTHONPATH": str(site)})
        assert result.code == code, f"faborite {' '.join(args)}:\n{result.output}"
        assert "Traceback" not in result.output
        return result

    cli("validate")
    first = cli("plan").output
    assert "customer_segments" in first and "No changes." not in first
    cli("apply", "--auto-approve")
    assert (project / ".faborite" / "dev.sqlite").is_file()
    assert not (project / ".faborite" / "dev.duckdb").exists()
    assert "No changes." in cli("plan").output
    rows = json.loads(cli("query", "--json", 'SELECT s.segment, c.lifetime_value FROM "main.customer_segments" s '
                                            'JOIN "main.customers" c ON c.id = s.id ORDER BY s.id').stdout)
    assert rows and {row["segment"] for row in rows} <= {"gold", "silver", "bronze"}

    # A second version of one model is applied, then rolled back: the first is published again.
    model = project / "models" / "marts" / "customers.sql"
    model.write_text(model.read_text(encoding="utf-8").replace("    c.country,", "    c.country,\n    2 as edition,"),
                     encoding="utf-8")
    cli("apply", "--auto-approve")
    rolled = cli("rollback", "--auto-approve").output
    assert "model.customers: version" in rolled and "Rollback complete" in rolled
    failed = cli("query", 'SELECT edition FROM "main.customers"', code=1)
    assert "no such column: edition" in failed.output

    report = json.loads(cli("debug", "--json").stdout)
    text = json.dumps(report)
    assert PACKAGE.name in text and f"SQLite {sqlite3.sqlite_version}" in text


def test_uninstalled_provider_is_one_clear_error(site, tmp_path):
    project = _sqlite_project(tmp_path)
    result = run_cli("validate", cwd=project, env={"PYTHONPATH": ""})  # the package is not on the path
    assert result.code != 0
    assert "unknown target type 'sqlite'" in result.output
    assert "installed target types:" in result.output and "duckdb" in result.output
    assert "Traceback" not in result.output


def test_broken_plugins_are_one_clear_error_each(site, tmp_path):
    broken = build_site(tmp_path, broken=True)
    project = _sqlite_project(tmp_path)
    config = project / "faborite.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("type: sqlite", "type: ghostdb"), encoding="utf-8")
    result = run_cli("validate", cwd=project, env={"PYTHONPATH": str(broken)})
    assert result.code != 0 and "Traceback" not in result.output
    assert "plugin 'ghostdb'" in result.output and "faborite_ghost_target_not_installed" in result.output
    assert "ModuleNotFoundError" in result.output

    sys.path.insert(0, str(broken))
    importlib.invalidate_caches()
    plugins.clear_cache()
    try:
        with pytest.raises(ProviderError, match="'ghostsql'.*not a subclass of faborite's Dialect"):
            get_dialect("ghostsql")
        # The working plugin still loads beside the broken ones.
        assert _provider(site).name == "sqlite"
    finally:
        sys.path.remove(str(broken))
        plugins.clear_cache()
