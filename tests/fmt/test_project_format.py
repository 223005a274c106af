"""Formatting a whole project: --check, writing, and the compiled-meaning guard."""

from __future__ import annotations

from pathlib import Path

from faborite.api import Workspace
from faborite.fmt.jinja_segments import jinja_segments
from faborite.fmt.project_format import format_project, same_query


def _compiled(root: Path) -> dict:
    ws = Workspace.open(root)
    manifest = ws.compile(write_manifest=False)
    return {n.id: n for n in manifest.nodes.values() if n.kind == "model"}, manifest.sql_dialect


def test_check_then_write_then_check_again(demo: Path) -> None:
    before, dialect = _compiled(demo)
    texts = {p: p.read_text() for p in (demo / "models").rglob("*.sql")}
    check = Workspace.open(demo).format(write=False)
    assert check.needs_formatting and not check.written
    assert {p: p.read_text() for p in texts} == texts  # --check writes nothing

    Workspace.open(demo).format(write=True)
    after, _ = _compiled(demo)
    assert before.keys() == after.keys()
    for node_id, node in before.items():
        assert same_query(node.sql, after[node_id].sql, dialect), node_id
    for path, old in texts.items():
        assert [s.text for s in jinja_segments(path.read_text())] == [s.text for s in jinja_segments(old)]
    again = Workspace.open(demo).format(write=False)
    assert not again.needs_formatting
    assert {f.status for f in again.files} == {"unchanged"}


def test_a_model_whose_compiled_sql_would_change_is_not_written(demo: Path) -> None:
    ws = Workspace.open(demo)
    target = "models/marts/customers.sql"
    original = (demo / target).read_text()

    def compile_lying_about_one_model(project):
        manifest = ws.compile(write_manifest=False, project=project)
        node = manifest.nodes["model.customers"]
        if next(m.text for m in project.models if m.path == target) == original:
            return manifest
        changed = node.model_copy(update={"sql": node.sql.replace("count(", "sum(").replace("COUNT(", "SUM(")})
        return manifest.model_copy(update={"nodes": {**manifest.nodes, "model.customers": changed}})

    report = format_project(ws.project, compile_lying_about_one_model, write=True)
    outcome = next(f for f in report.files if f.path == target)
    assert outcome.status == "skipped" and "compiled SQL" in (outcome.reason or "")
    assert (demo / target).read_text() == original
    assert any(f.status == "formatted" for f in report.files)  # the others were still written


def test_a_formatted_model_that_only_sqlglot_would_accept_is_not_written(demo: Path) -> None:
    # `{{ '' }}` after the table reads as an alias placeholder: `AS {{ '' }}` renders to a dangling
    # `AS`, which sqlglot parses as no alias at all (so the trees match) but engines refuse.
    path = demo / "models" / "marts" / "daily_revenue.sql"
    path.write_text("select 1 as one from {{ ref('stg_orders') }} {{ '' }}\n")
    report = Workspace.open(demo).format(write=True)
    outcome = next(f for f in report.files if f.path == "models/marts/daily_revenue.sql")
    assert outcome.status == "skipped" and "compiled SQL" in (outcome.reason or ""), outcome
    assert path.read_text() == "select 1 as one from {{ ref('stg_orders') }} {{ '' }}\n"


def test_a_formatted_model_that_no_longer_compiles_is_not_written(demo: Path) -> None:
    path = demo / "models" / "marts" / "daily_revenue.sql"
    text = "select 1 as one from {{ ref('stg_orders') }} {{ 'where true' }}\n"
    path.write_text(text)
    report = Workspace.open(demo).format(write=True)
    outcome = next(f for f in report.files if f.path == "models/marts/daily_revenue.sql")
    assert outcome.status == "skipped" and "does not compile" in (outcome.reason or ""), outcome
    assert path.read_text() == text
