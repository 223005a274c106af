"""The core names no engine: engines and drivers come in as plugins (providers/, dialects/).

Read with :mod:`ast`, so comments and docstrings may mention engines freely;
what fails is code in ``faborite/`` that imports an engine or driver library,
or a string literal naming an engine, outside the allow-lists below.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "faborite"

#: Engine and driver libraries (top-level module names).
ENGINE_LIBRARIES = frozenset({"duckdb", "deltalake", "sqlalchemy", "psycopg", "psycopg2", "pymysql", "pyspark"})

#: Engine names a string literal must not contain (as a word, any case).
ENGINE_NAME = re.compile(
    r"\b(duckdb|deltalake|sqlalchemy|psycopg2?|pymysql|pyspark|spark|postgres(ql)?|mysql|sqlite|snowflake|bigquery)\b",
    re.IGNORECASE,
)

#: (module, library) pairs allowed to import an engine library.
ALLOWED_IMPORTS = {
    # The sync's scratch engine: an embedded library like pyarrow, known to this one module only.
    ("sync/scratch.py", "duckdb"),
}

#: (module, literal) pairs allowed to name an engine in a string.
ALLOWED_LITERALS = {
    # The scratch engine's SQL dialect (SCRATCH_DIALECT): sync where:/sample.query are written in it.
    ("sync/scratch.py", "duckdb"),
    # The project's default registration: `dialect: duckdb` and a default `dev` target of type duckdb ...
    ("config/project.py", "duckdb"),
    # ... whose database file is .faborite/dev.duckdb.
    ("config/project.py", ".faborite/dev.duckdb"),
    # Legacy alias: output `format: duckdb` (before `target`), LEGACY_FORMATS in the sync spec.
    ("sync/spec.py", "duckdb"),
}


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are bare expression statements (docstrings and the like)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    }


def engine_imports(source: str) -> list[tuple[int, str]]:
    """(line, library) for each import of an engine library in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        else:
            continue
        found += [(node.lineno, m.split(".")[0]) for m in modules if m.split(".")[0] in ENGINE_LIBRARIES]
    return found


def engine_literals(source: str) -> list[tuple[int, str]]:
    """(line, literal) for each string literal in ``source`` (docstrings excepted) that names an engine."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and id(node) not in skip and ENGINE_NAME.search(node.value)
    ]


def _modules() -> list[tuple[str, str]]:
    return [(path.relative_to(PACKAGE).as_posix(), path.read_text(encoding="utf-8"))
            for path in sorted(PACKAGE.rglob("*.py"))]


def _offenders(check, allowed: set[tuple[str, str]]) -> list[str]:
    return [
        f"faborite/{name}:{line}: {found!r}"
        for name, source in _modules()
        for line, found in check(source)
        if (name, found) not in allowed
    ]


def test_no_module_imports_an_engine_library():
    offenders = _offenders(engine_imports, ALLOWED_IMPORTS)
    assert not offenders, "engine libraries belong in providers/ or dialects/:\n" + "\n".join(offenders)


def test_no_module_names_an_engine_in_a_string():
    offenders = _offenders(engine_literals, ALLOWED_LITERALS)
    assert not offenders, "engine names belong in providers/, dialects/ or the allow-list:\n" + "\n".join(offenders)


def test_allow_lists_hold_no_stale_entries():
    """Every allowed import and literal is still there, so the lists shrink as the code does."""
    modules = dict(_modules())
    used_imports = {(name, lib) for name, source in modules.items() for _, lib in engine_imports(source)}
    used_literals = {(name, lit) for name, source in modules.items() for _, lit in engine_literals(source)}
    assert ALLOWED_IMPORTS <= used_imports, ALLOWED_IMPORTS - used_imports
    assert ALLOWED_LITERALS <= used_literals, ALLOWED_LITERALS - used_literals


@pytest.mark.parametrize(
    ("source", "imports", "literals"),
    [
        ('"""Runs on DuckDB."""\n# import duckdb\nx = 1\n', [], []),
        ("def f():\n    '''Uses psycopg.'''\n    import duckdb.typing\n", [(3, "duckdb")], []),
        ("from deltalake.exceptions import TableNotFoundError\n", [(1, "deltalake")], []),
        ("from .duckdb import x\nimport faborite.sqlalchemy_like\n", [], []),
        ("name = 'DuckDB'\nmsg = f'see {name} on Postgres'\n", [], [(1, "DuckDB"), (2, " on Postgres")]),
        ("fmt = 'delta'\nparquet = 'parquet'\n", [], []),
    ],
)
def test_the_checks_read_code_not_comments(source, imports, literals):
    assert engine_imports(source) == imports
    assert sorted(engine_literals(source)) == literals
