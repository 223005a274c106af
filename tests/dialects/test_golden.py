"""Golden files: the SQL faborite would send to engines that have no server on this machine.

The template project (``project_template/``) is compiled once; for each dialect the
statements apply and incremental models run are generated and compared with
``golden/<dialect>/*.sql``:

- ``create_schema.sql``: the virtual schema and its physical twin;
- ``create_table_as__<model>.sql``: each table model, its SQL rewritten to physical
  names and translated from DuckDB by ``to_target_sql`` (what ``apply``'s build runs);
- ``create_view__<model>.sql``: each view model, built the same way;
- ``swap.sql``: publishing every model (``swap_view``: the virtual view pointed at its
  physical relation), then ``pointer_reads`` of each statement as a comment;
- ``drop.sql``: dropping a physical table and a virtual view;
- ``merge.sql`` / ``insert.sql``: an incremental upsert and append of a table model;
- ``refused__<construct>.sql``: DuckDB SQL the engine cannot express, and the
  :class:`~faborite.errors.ProviderError` ``Dialect.transpile`` raises for it.

Physical names use a fixed version (``PHYSICAL_VERSION``), not the nodes' fingerprints,
so the files change when the SQL changes and not when hashing does.

After an intended change, rewrite the files and review the diff::

    FABORITE_UPDATE_GOLDEN=1 /tmp/venv-golden/bin/python -m pytest -q tests/dialects/test_golden.py

(stale files of a dialect are deleted then too).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from faborite.compiler.manifest import Manifest
from faborite.compiler.sql import to_target_sql
from faborite.dialects import Dialect, get_dialect
from faborite.errors import ProviderError
from faborite.relation import Relation

GOLDEN = Path(__file__).parent / "golden"
TEMPLATE = Path(__file__).resolve().parents[2] / "project_template"
UPDATE = os.environ.get("FABORITE_UPDATE_GOLDEN") == "1"
PHYSICAL_VERSION = "0123456789ab"

DIALECTS = ("tsql", "fabric", "snowflake", "bigquery")

# DuckDB SQL each engine cannot express, all verified to be refused by sqlglot with
# unsupported_level=RAISE (the name becomes the golden file's name).
_LATERAL = ("lateral", "SELECT t.a, l.b FROM t, LATERAL (SELECT t.a + 1 AS b) AS l")
_INTERSECT_ALL = ("intersect_all", "SELECT a FROM t INTERSECT ALL SELECT a FROM u")
_EXCEPT_ALL = ("except_all", "SELECT a FROM t EXCEPT ALL SELECT a FROM u")
_ARRAY_SORT_DESC = ("array_sort_desc", "SELECT array_sort([3, 1, 2], 'DESC') AS s")
REFUSED = {
    "tsql": (_LATERAL, _INTERSECT_ALL, _ARRAY_SORT_DESC),
    "fabric": (_LATERAL, _INTERSECT_ALL, ("epoch_ms", "SELECT epoch_ms(1700000000000) AS ts")),
    "snowflake": (_INTERSECT_ALL, _EXCEPT_ALL),
    "bigquery": (_INTERSECT_ALL, _ARRAY_SORT_DESC, ("array_agg_order_by", "SELECT array_agg(a ORDER BY b) FROM t")),
}


@functools.cache
def template_manifest() -> Manifest:
    """The template project compiled for its default (DuckDB) target; no cache, nothing written."""
    from faborite.compiler.project_compiler import compile_project
    from faborite.config.loader import load_project

    return compile_project(load_project(TEMPLATE))


def physical(node) -> Relation:
    return Relation.parse(node.relation).physical(PHYSICAL_VERSION)


def script(header: str, statements: list[str]) -> str:
    """A golden file: a header comment, then each statement terminated once."""
    body = "\n\n".join(s if s.endswith(";") else s + ";" for s in statements)
    return f"-- {header}\n{body}\n"


def comment(text: str) -> str:
    return "\n".join(f"-- {line}" for line in text.splitlines())


@functools.cache
def render(dialect_name: str) -> dict[str, str]:
    """Every golden file of one dialect: file name -> content."""
    dialect: Dialect = get_dialect(dialect_name)()
    manifest = template_manifest()
    models = [n for n in manifest.nodes.values() if n.kind == "model"]
    relation_map = {n.relation: physical(n) for n in manifest.nodes.values() if n.is_built}

    def target_sql(node) -> str:
        return to_target_sql(node.sql, read=manifest.dialect, write=dialect.sqlglot_dialect, relation_map=relation_map)

    label = f"{dialect_name}, from the template project ({manifest.dialect} models)"
    files: dict[str, str] = {}
    schemas = sorted({Relation.parse(n.relation).schema_name for n in models})
    schemas += sorted({physical(n).schema_name for n in models})
    files["create_schema.sql"] = script(f"create_schema: {label}", [dialect.create_schema(s) for s in schemas])
    for node in models:
        if node.materialized == "table":
            statement = dialect.create_table_as(physical(node), target_sql(node))
            files[f"create_table_as__{node.name}.sql"] = script(f"create_table_as {node.id}: {label}", [statement])
        else:
            statement = dialect.create_view(physical(node), target_sql(node))
            files[f"create_view__{node.name}.sql"] = script(f"create_view {node.id}: {label}", [statement])

    swaps = []
    for node in models:
        statements = dialect.swap_view(Relation.parse(node.relation), physical(node))
        reads = dialect.pointer_reads(statements[-1])
        swaps += statements[:-1] + [f"{comment(f'pointer_reads: {reads}')}\n{statements[-1]}"]
    files["swap.sql"] = script(f"swap_view (publish) of every model: {label}", swaps)

    table = next(n for n in models if n.materialized == "table")
    view = next(n for n in models if n.materialized == "view")
    drops = [dialect.drop_table(physical(table)), dialect.drop_view(Relation.parse(view.relation))]
    files["drop.sql"] = script(f"drop_table, drop_view: {label}", drops)

    customers = manifest.nodes["model.customers"]
    merge = dialect.merge(physical(customers), target_sql(customers), ["id"], customers.output_columns)
    files["merge.sql"] = script(f"merge {customers.id} on id: {label}", [merge])
    revenue = manifest.nodes["model.daily_revenue"]
    insert = dialect.insert_into(physical(revenue), target_sql(revenue), revenue.output_columns)
    files["insert.sql"] = script(f"insert_into {revenue.id}: {label}", [insert])

    for slug, sql in REFUSED[dialect_name]:
        with pytest.raises(ProviderError) as info:
            dialect.transpile(sql, read="duckdb")
        error = f"ProviderError: {info.value.message}\nhint: {info.value.hint}"
        files[f"refused__{slug}.sql"] = f"-- refused: duckdb -> {dialect_name}\n{sql};\n{comment(error)}\n"
    return files


CASES = [(name, file) for name in DIALECTS for file in render(name)]


@pytest.mark.parametrize(("dialect_name", "file_name"), CASES, ids=[f"{d}/{f}" for d, f in CASES])
def test_golden(dialect_name: str, file_name: str) -> None:
    path = GOLDEN / dialect_name / file_name
    expected = render(dialect_name)[file_name]
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(expected)
    assert path.exists(), f"{path} is missing: run with FABORITE_UPDATE_GOLDEN=1 to write it"
    assert path.read_text() == expected


@pytest.mark.parametrize("dialect_name", DIALECTS)
def test_no_stale_golden_files(dialect_name: str) -> None:
    stale = sorted({p.name for p in (GOLDEN / dialect_name).glob("*.sql")} - set(render(dialect_name)))
    if UPDATE:
        for name in stale:
            (GOLDEN / dialect_name / name).unlink()
        stale = []
    assert not stale, f"golden files nothing generates: {stale}"


@pytest.mark.parametrize(("dialect_name", "sql"), [(d, sql) for d in DIALECTS for _, sql in REFUSED[d]])
def test_build_refuses_the_same_constructs(dialect_name: str, sql: str) -> None:
    """apply's build path (``to_target_sql``) refuses what ``Dialect.transpile`` refuses."""
    with pytest.raises(ProviderError, match=f"to {get_dialect(dialect_name).sqlglot_dialect}: "):
        to_target_sql(sql, read="duckdb", write=get_dialect(dialect_name).sqlglot_dialect, relation_map={})


def test_the_template_covers_every_statement_kind() -> None:
    """Guard against the template changing under the golden files: both kinds of model stay."""
    kinds = {n.materialized for n in template_manifest().nodes.values() if n.kind == "model"}
    assert kinds == {"table", "view"}
    assert template_manifest().nodes["model.customers"].output_columns
