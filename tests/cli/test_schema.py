"""``faborite schema [project|properties]`` prints a JSON Schema an editor can use as is.

The schemas are checked against real files (the template's) and against the
loader: whatever the schema accepts, faborite accepts too; the mistakes below
are rejected by both. Validation uses a small validator written here (it
refuses keywords it does not know, so it cannot pass a schema it did not
understand) and, when installed, the ``jsonschema`` package as well.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from faborite.api import project_json_schema
from faborite.config.project import ProjectConfig
from faborite.config.properties import PropertiesFile
from tests.cli.conftest import run_in_process

TEMPLATE = Path(str(resources.files("faborite.project_template")))

# -- a small JSON Schema validator (the keywords these schemas use) ---------------------------------

_ANNOTATIONS = {"title", "description", "default", "examples", "$schema", "$defs", "$id", "markdownDescription"}
_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def _is_type(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _TYPES[name])


def errors(schema: dict, value: Any, root: dict | None = None, path: str = "$") -> list[str]:
    """Every way ``value`` breaks ``schema`` (empty when valid)."""
    root = schema if root is None else root
    found: list[str] = []
    for key, rule in schema.items():
        if key in _ANNOTATIONS or key in ("additionalProperties", "patternProperties"):
            continue
        if key == "$ref":
            assert rule.startswith("#/$defs/"), rule
            found += errors(root["$defs"][rule.removeprefix("#/$defs/")], value, root, path)
        elif key == "type":
            names = rule if isinstance(rule, list) else [rule]
            if not any(_is_type(value, n) for n in names):
                found.append(f"{path}: expected {rule}, got {type(value).__name__}")
        elif key == "enum":
            if value not in rule:
                found.append(f"{path}: {value!r} not one of {rule}")
        elif key == "const":
            if value != rule:
                found.append(f"{path}: {value!r} is not {rule!r}")
        elif key == "required":
            if isinstance(value, dict):
                found += [f"{path}: missing {k!r}" for k in rule if k not in value]
        elif key == "properties":
            if isinstance(value, dict):
                for name, sub in rule.items():
                    if name in value:
                        found += errors(sub, value[name], root, f"{path}.{name}")
        elif key == "items":
            if isinstance(value, list):
                for i, item in enumerate(value):
                    found += errors(rule, item, root, f"{path}[{i}]")
        elif key in ("minProperties", "maxProperties"):
            if isinstance(value, dict) and (len(value) < rule if key == "minProperties" else len(value) > rule):
                found.append(f"{path}: {len(value)} keys breaks {key} {rule}")
        elif key in ("minimum", "maximum"):
            if _is_type(value, "number") and (value < rule if key == "minimum" else value > rule):
                found.append(f"{path}: {value} breaks {key} {rule}")
        elif key in ("anyOf", "oneOf"):
            passing = sum(not errors(sub, value, root, path) for sub in rule)
            if passing == 0 or (key == "oneOf" and passing > 1):
                found.append(f"{path}: {key} matched {passing} alternatives")
        elif key == "allOf":
            for sub in rule:
                found += errors(sub, value, root, path)
        else:
            raise AssertionError(f"the test validator does not know the keyword {key!r}")
    if isinstance(value, dict):
        known = set(schema.get("properties", {}))
        patterns = schema.get("patternProperties", {})
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if name in known:
                continue
            matched = [sub for pattern, sub in patterns.items() if re.search(pattern, name)]
            for sub in matched:
                found += errors(sub, item, root, f"{path}.{name}")
            if matched:
                continue
            if extra is False:
                found.append(f"{path}: unknown key {name!r}")
            elif isinstance(extra, dict):
                found += errors(extra, item, root, f"{path}.{name}")
    return found


def assert_verdict(schema: dict, document: Any, valid: bool) -> None:
    problems = errors(schema, document)
    assert (not problems) == valid, problems or f"schema accepted {document!r}"
    try:
        import jsonschema
    except ImportError:
        return
    assert jsonschema.Draft202012Validator(schema).is_valid(document) == valid, document


# -- the command ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schemas() -> dict[str, dict]:
    return {kind: project_json_schema(kind) for kind in ("project", "properties")}


@pytest.mark.parametrize("args, kind", [([], "project"), (["project"], "project"), (["properties"], "properties")])
def test_schema_command_prints_one_schema(capsys, tmp_path, monkeypatch, args, kind, schemas) -> None:
    monkeypatch.chdir(tmp_path)  # needs no project
    result = run_in_process(capsys, "schema", *args)
    assert result.code == 0, result.output
    printed = json.loads(result.out)
    assert printed == schemas[kind]
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert printed["type"] == "object" and printed["additionalProperties"] is False


def test_project_schema_lists_the_keys_of_faborite_yml(schemas) -> None:
    keys = set(schemas["project"]["properties"])
    assert keys == {"name", "version", "dialect", "target", "targets", "threads", "vars", "paths", "models", "seeds",
                    "notify", "lint", "moved", "environments"}
    assert schemas["project"]["required"] == ["name"]


def test_properties_schema_lists_the_keys_of_properties_files(schemas) -> None:
    assert set(schemas["properties"]["properties"]) == {"version", "models", "seeds", "sources"}


def test_schemas_are_valid_json_schema(schemas) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    for schema in schemas.values():
        jsonschema.Draft202012Validator.check_schema(schema)


# -- real files ------------------------------------------------------------------------------------


def test_template_faborite_yml_matches_the_project_schema(schemas) -> None:
    document = yaml.safe_load((TEMPLATE / "faborite.yml").read_text(encoding="utf-8"))
    assert_verdict(schemas["project"], document, True)


@pytest.mark.parametrize("path", sorted(p.relative_to(TEMPLATE).as_posix() for p in TEMPLATE.glob("models/**/*.yml")))
def test_template_properties_files_match_the_properties_schema(schemas, path: str) -> None:
    document = yaml.safe_load((TEMPLATE / path).read_text(encoding="utf-8"))
    assert_verdict(schemas["properties"], document, True)


def test_the_template_has_properties_files_with_checks() -> None:
    # Guards the test above against a template that lost its checks.
    text = "".join(p.read_text(encoding="utf-8") for p in TEMPLATE.glob("models/**/*.yml"))
    assert "accepted_values" in text and "relationships" in text and "sql:" in text


# -- checks as users write them ----------------------------------------------------------------------


def _model(**column_or_node: Any) -> dict:
    return {"models": [{"name": "m", **column_or_node}]}


def _column_checks(checks: list, key: str = "checks") -> dict:
    return _model(columns=[{"name": "id", key: checks}])


VALID = {
    "names": _column_checks(["not_null", "unique"]),
    "tests spelling": _column_checks(["not_null"], key="tests"),
    "data_tests spelling": _column_checks(["unique"], key="data_tests"),
    "name with options": _column_checks([{"not_null": {"severity": "warn"}}]),
    "name with nothing": _column_checks([{"unique": None}]),
    "accepted_values": _column_checks([{"accepted_values": {"values": ["a", 1, True]}}]),
    "accepted_values warn": _column_checks([{"accepted_values": {"values": ["a"], "severity": "warn", "name": "ok"}}]),
    "relationships ref": _column_checks([{"relationships": {"to": "ref('stg_customers')", "field": "id"}}]),
    "relationships name": _column_checks([{"relationships": {"to": "stg_customers", "field": "id"}}]),
    "custom on a column": _column_checks([{"sql": "select 1 where false", "name": "c"}]),
    "custom on a node": _model(checks=[{"name": "c", "sql": "select 1 where false", "severity": "warn"}]),
    "node-level with column": _model(tests=[{"unique": {"column": "id"}}]),
    "empty models key": {"models": None, "version": 2},
    "docs example": yaml.safe_load("""
        models:
          - name: payments_by_country
            description: Payment totals per country.
            config: {tags: [finance]}
            columns:
              - name: country
                data_tests:
                  - not_null
                  - accepted_values: {values: [GB, US, NL], severity: warn}
                  - relationships: {to: ref("payments"), field: country}
              - name: total
                checks:
                  - sql: select * from {{ this }} where total < 0
                    name: total_not_negative
            checks:
              - name: one_row_per_country
                sql: select country from {{ this }} group by country having count(*) > 1
    """),
    "sources": {"sources": [
        {"name": "raw", "schema": "main", "tables": [{"name": "orders", "identifier": "orders_v2"}]},
        {"name": "ext", "type": "files", "tables": [{"name": "events", "path": "data/*.parquet", "format": "parquet",
                                                     "options": {"hive_partitioning": True}}]},
    ]},
    "seeds": {"seeds": [{"name": "s", "config": {"delimiter": ";"}, "columns": [{"name": "id", "data_type": "int"}]}]},
}

INVALID = {
    "the normalised form": _column_checks([{"kind": "not_null"}]),
    "unknown check name": _column_checks(["not_nul"]),
    "two check names in one mapping": _column_checks([{"not_null": None, "unique": None}]),
    "unknown option": _column_checks([{"accepted_values": {"vals": ["a"]}}]),
    "bad severity": _column_checks([{"not_null": {"severity": "fatal"}}]),
    "custom without sql": _model(checks=[{"name": "c", "severity": "warn"}]),
    "custom with an unknown key": _model(checks=[{"sql": "select 1", "descripton": "x"}]),
    "typo in a column key": _model(columns=[{"name": "id", "descripton": "x"}]),
    "typo in a node key": _model(descripton="x"),
    "unknown top-level key": {"model": []},
    "column without a name": _model(columns=[{"description": "x"}]),
}

#: Accepted by the loader, refused when the project compiles: the schema refuses them at once.
INVALID_AT_COMPILE = {
    "accepted_values without values": _column_checks([{"accepted_values": {"severity": "warn"}}]),
    "relationships without field": _column_checks([{"relationships": {"to": "x"}}]),
}


@pytest.mark.parametrize("case", list(VALID))
def test_schema_accepts_what_faborite_accepts(schemas, case: str) -> None:
    PropertiesFile.model_validate(VALID[case])  # the loader agrees
    assert_verdict(schemas["properties"], VALID[case], True)


@pytest.mark.parametrize("case", list(INVALID))
def test_schema_rejects_what_faborite_rejects(schemas, case: str) -> None:
    with pytest.raises(ValueError):
        PropertiesFile.model_validate(INVALID[case])
    assert_verdict(schemas["properties"], INVALID[case], False)


@pytest.mark.parametrize("case", list(INVALID_AT_COMPILE))
def test_schema_rejects_checks_that_cannot_compile(schemas, case: str) -> None:
    assert_verdict(schemas["properties"], INVALID_AT_COMPILE[case], False)


@pytest.mark.parametrize("document, valid", [
    ({"name": "p", "materialised": "table"}, False),
    ({"name": "p", "threads": 0}, False),
    ({"name": "p", "targets": {"ci": {"type": "duckdb", "path": ":memory:"}}, "target": "ci"}, True),
    ({"targets": {}}, False),
])
def test_project_schema_agrees_with_the_loader(schemas, document: dict, valid: bool) -> None:
    if valid:
        ProjectConfig.model_validate(document)
    else:
        with pytest.raises(ValueError):
            ProjectConfig.model_validate(document)
    assert_verdict(schemas["project"], document, valid)
