"""JSON Schemas of the project files, for editors (``faborite schema``).

Generated from the pydantic models the loader validates with, then adjusted
where users write something other than the validated form (checks).
"""

from __future__ import annotations

from typing import Any


def project_files_schema(kind: str = "project") -> dict[str, Any]:
    """JSON Schema for editors: of ``faborite.yml`` (``kind="project"``) or of
    properties files (``kind="properties"``: ``models/**/*.yml``, ``seeds/*.yml``,
    ``sources/*.yml``).

    Generated from the pydantic models the loader validates with. Checks are
    described as users write them (``not_null``, ``{accepted_values: {values:
    [...]}}``, ``{sql: ..., name: ...}``) under ``checks``, ``tests`` or
    ``data_tests``, not in the normalised form the loader turns them into.
    """
    from faborite.config.project import ProjectConfig
    from faborite.config.properties import PropertiesFile

    if kind == "project":
        schema = ProjectConfig.model_json_schema()
        title = "faborite.yml"
    elif kind == "properties":
        schema = PropertiesFile.model_json_schema()
        title = "faborite properties file"
        defs = schema["$defs"]
        del defs["CheckSpec"]
        severity = {"enum": ["error", "warn"], "default": "error",
                    "description": "error stops the apply; warn prints a warning and goes on"}
        common = {
            "name": {"type": "string", "description": "the check's label (default e.g. not_null(id))"},
            "severity": severity,
            "column": {"type": "string", "description": "the column checked (default: the column it is listed under)"},
        }

        def named(check: str, description: str, args: dict[str, Any] | None = None,
                  required: list[str] | None = None) -> dict[str, Any]:
            options: dict[str, Any] = {"type": "object", "additionalProperties": False,
                                       "properties": {**(args or {}), **common}}
            if required:
                options["required"] = required
            else:  # `- not_null:` (no options) is null in YAML
                options = {"anyOf": [options, {"type": "null"}]}
            return {"type": "object", "description": description, "additionalProperties": False,
                    "required": [check], "properties": {check: options}}

        defs["Check"] = {
            "description": "A data check: a query returning failing rows. Written as a name "
                           "(not_null), a one-key mapping ({accepted_values: {values: [...]}}) "
                           "or a custom {sql, name, severity}.",
            "anyOf": [
                {"enum": ["not_null", "unique"], "description": "a built-in check without options"},
                named("not_null", "fails on rows where the column is null"),
                named("unique", "fails on non-null values that appear more than once"),
                named("accepted_values", "fails on non-null values not in the list",
                      {"values": {"type": "array", "description": "the accepted values"}}, ["values"]),
                named("relationships", "fails on non-null values with no match in the other node's field",
                      {"to": {"type": "string", "description": "the other node: ref('x') or x"},
                       "field": {"type": "string", "description": "the other node's column"}}, ["to", "field"]),
                {"type": "object", "description": "a custom check: SQL (Jinja allowed) returning the failing rows",
                 "additionalProperties": False, "required": ["sql"],
                 "properties": {"sql": {"type": "string", "description": "returns the failing rows"}, **common}},
            ],
        }
        checks = {"type": "array", "items": {"$ref": "#/$defs/Check"}, "default": []}
        for owner in ("ColumnDoc", "NodeDoc"):
            properties = defs[owner]["properties"]
            properties["checks"] = {**checks, "title": "Checks", "description": "data checks run on apply"}
            properties["tests"] = {**checks, "title": "Tests", "description": "dbt's name for checks"}
            properties["data_tests"] = {**checks, "title": "Data Tests", "description": "dbt's name for checks"}
        for key in ("models", "seeds", "sources"):  # an empty `models:` is null in YAML
            entry = schema["properties"][key]
            listed = {k: v for k, v in entry.items() if k not in ("title", "default")}
            schema["properties"][key] = {"title": entry["title"], "default": entry["default"],
                                         "anyOf": [listed, {"type": "null"}]}
    else:
        raise ValueError(f"unknown schema kind {kind!r}: expected 'project', 'properties' or 'plan'")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema, "title": title}
