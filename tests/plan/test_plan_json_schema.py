"""The JSON plan has a published JSON Schema (docs/plan-schema.json, ``faborite schema plan``),
generated from the code that writes it, and every kind of plan validates against it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import jsonschema
import pyarrow as pa
import pytest
from deltalake import write_deltalake

from faborite.plan.json_view import JSON_PLAN_FORMAT_VERSION, plan_json_schema
from tests.apply.helpers import apply, edit, workspace
from tests.cli.conftest import run_in_process

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "plan-schema.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def test_the_committed_schema_is_the_generated_one() -> None:
    committed = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert committed == plan_json_schema(), "regenerate it: faborite schema plan > docs/plan-schema.json"


def test_schema_plan_prints_it(capsys) -> None:
    run = run_in_process(capsys, "schema", "plan")
    assert run.code == 0, run.output
    assert json.loads(run.out) == plan_json_schema()
    assert json.loads(run.out)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _plan_and_show(capsys, root: Path, *flags: str) -> list[dict]:
    """``plan --json`` and ``show --json`` of the same plan saved with -out."""
    saved = root.parent / f"{root.name}-plan.json"
    planned = run_in_process(capsys, "plan", "--project-dir", str(root), "--json", "-out", str(saved), *flags)
    assert planned.code == 0, planned.output
    shown = run_in_process(capsys, "show", "--project-dir", str(root), "--json", str(saved))
    assert shown.code == 0, shown.output
    return [json.loads(planned.out), json.loads(shown.out)]


def _valid(validator, documents: list[dict]) -> list[dict]:
    for document in documents:
        errors = sorted(validator.iter_errors(document), key=str)
        assert not errors, errors[0]
        assert document["format_version"] == JSON_PLAN_FORMAT_VERSION
    plan_json, show_json = documents
    assert {k: v for k, v in plan_json.items() if k != "created_at"} == \
        {k: v for k, v in show_json.items() if k != "created_at"}
    return documents


def _actions(document: dict) -> set[str]:
    return {c["action"] for c in document["resource_changes"]}


def test_creates_no_changes_updates_replaces_deletes_and_drift_validate(capsys, validator, demo: Path) -> None:
    first, _ = _valid(validator, _plan_and_show(capsys, demo))
    assert _actions(first) == {"create"} and first["lineage"] is None and first["files_hash"]
    apply(demo)
    same, _ = _valid(validator, _plan_and_show(capsys, demo))
    assert not same["applyable"] and _actions(same) == {"no-op"}

    edit(demo / "models/marts/customers.sql", "as order_count", "as orders_placed")
    edit(demo / "models/marts/schema.yml", "Orders with the customer's name.", "Orders, with names.")
    (demo / "models/marts/daily_revenue.sql").unlink()
    changed, _ = _valid(validator, _plan_and_show(capsys, demo))
    assert {"replace", "update", "delete"} <= _actions(changed)
    deleted = next(c for c in changed["resource_changes"] if c["action"] == "delete")
    assert deleted["destructive"] and deleted["actions"] == ["delete"]

    apply(demo)
    physical = workspace(demo).state().nodes["model.customers"].physical
    with duckdb.connect(str(demo / ".faborite/dev.duckdb")) as con:
        con.execute("DROP VIEW main.orders")
        con.execute(f"DROP TABLE {physical}")
    drifted, _ = _valid(validator, _plan_and_show(capsys, demo))
    assert {d["kind"] for d in drifted["resource_drift"]} == {"version_missing", "unpublished"}
    assert drifted["refreshed"]
    offline, _ = _valid(validator, _plan_and_show(capsys, demo, "--refresh=false"))
    assert not offline["refreshed"] and offline["resource_drift"] == []


def test_a_plan_with_syncs_validates(capsys, validator, tmp_path: Path) -> None:
    root = tmp_path / "lake"
    write_deltalake(str(root / "lake/orders"), pa.table({"id": list(range(50)), "region": ["n", "s"] * 25}))
    (root / "faborite.yml").write_text("name: lake\n")
    (root / "sources").mkdir()
    (root / "sources/lake.yml").write_text("sources:\n  - name: lake\n    type: delta\n    path: lake\n")
    (root / "syncs").mkdir()
    (root / "syncs/copy.yml").write_text("syncs:\n  - name: copy\n    from: lake\n    tables: [orders]\n"
                                         "    sample: {strategy: random, rows: 10, seed: 1}\n")
    (root / "models").mkdir()
    (root / "models/by_region.sql").write_text("select region, count(*) as n from {{ ref('orders') }} group by 1\n")
    document, _ = _valid(validator, _plan_and_show(capsys, root))
    assert {c["kind"] for c in document["resource_changes"]} == {"sync", "model"}


def test_the_schema_refuses_what_the_format_does_not_allow(capsys, validator, demo: Path) -> None:
    document, _ = _valid(validator, _plan_and_show(capsys, demo))
    wrong = json.loads(json.dumps(document))
    wrong["resource_changes"][0]["action"] = "destroy"
    assert not validator.is_valid(wrong)
    del wrong["resource_changes"][0]["action"]
    assert not validator.is_valid(wrong)
    newer = {**document, "format_version": "1.9", "a_field_from_a_later_minor": [1]}
    assert validator.is_valid(newer), "consumers ignore unknown fields: a later minor version still validates"


def test_a_copy_of_the_project_reports_the_same_files_hash(capsys, validator, demo: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(demo, copy, ignore=shutil.ignore_patterns(".faborite"))
    assert _plan_and_show(capsys, demo)[0]["files_hash"] == _plan_and_show(capsys, copy)[0]["files_hash"]
