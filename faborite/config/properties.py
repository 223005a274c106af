"""Properties files (``models/**/*.yml``, ``seeds/*.yml``, ``sources/*.yml``).

They describe nodes (descriptions, columns, tags) and declare checks and
sources. Checks may be written dbt's way (``tests:``/``data_tests:``) or
faborite's (``checks:``); both normalise to :class:`CheckSpec`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

Severity = Literal["error", "warn"]
CheckKind = Literal["not_null", "unique", "accepted_values", "relationships", "sql"]

_REF_CALL = re.compile(r"""^\s*ref\(\s*['"]([^'"]+)['"]\s*\)\s*$""")


class CheckSpec(BaseModel):
    """One data check, normalised. A check's SQL returns the failing rows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: CheckKind
    column: str | None = None
    name: str | None = None
    severity: Severity = "error"
    values: tuple[Any, ...] = ()
    to: str | None = None  # relationships: the referenced node's name
    field: str | None = None  # relationships: the referenced column
    sql: str | None = None  # custom: Jinja-SQL returning failing rows
    #: The line the check is written on in its properties file (not part of the check's identity).
    _line: int | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_line(cls, data: Any, handler: Any) -> "CheckSpec":
        line = None
        if isinstance(data, dict) and _LINE_KEY in data:
            data = dict(data)
            line = data.pop(_LINE_KEY)
        spec = handler(data)
        spec._line = line
        return spec

    @property
    def line(self) -> int | None:
        """Where the check is written (its list item, or its ``sql:`` key), when known."""
        return self._line

    @property
    def label(self) -> str:
        """A stable, readable name, e.g. ``not_null(id)``."""
        if self.name:
            return self.name
        if self.kind == "sql":
            return "sql"
        return f"{self.kind}({self.column})" if self.column else self.kind


def _normalise_check(raw: Any, column: str | None) -> dict[str, Any]:
    """Accept ``not_null``, ``{unique: {severity: warn}}``, ``{accepted_values: {values: [..]}}``,
    ``{relationships: {to: ref('x'), field: id}}`` and ``{sql: ..., name: ...}``."""
    if isinstance(raw, str):
        return {"kind": raw, "column": column}
    if not isinstance(raw, dict):
        raise ValueError("a check is a name (not_null) or a mapping ({accepted_values: {values: [...]}})")
    if "sql" in raw:
        return {"kind": "sql", "column": column, **raw}
    if len(raw) != 1:
        raise ValueError("a check mapping has exactly one key: the check's name")
    (kind, args), = raw.items()
    if args is not None and not isinstance(args, dict):
        raise ValueError(f"the options of check {kind!r} are a mapping, e.g. "
                         "{accepted_values: {values: [a, b]}}, {unique: {severity: warn}}")
    args = dict(args or {})
    if kind == "relationships" and isinstance(args.get("to"), str):
        match = _REF_CALL.match(args["to"])
        if match:
            args["to"] = match.group(1)
    if kind == "accepted_values" and "values" in args:
        args["values"] = tuple(args["values"])
    return {"kind": kind, "column": column, **args}


_LINE_KEY = "__faborite_line__"


def _normalise_checks(data: Any, *, column: str | None) -> Any:
    """Normalise every check under checks/tests/data_tests of a column or node entry (keeping lines)."""
    if isinstance(data, dict):
        for key in ("checks", "tests", "data_tests"):
            if key in data and isinstance(data[key], list):
                raw = data[key]
                lines = list(getattr(raw, "item_lines", [])) or [getattr(raw, "line", None)] * len(raw)
                data = dict(data)
                data[key] = [_with_line(_normalise_check(c, column), c, line) for c, line in zip(raw, lines)]
    return data


def _with_line(check: dict[str, Any], raw: Any, item_line: int | None) -> dict[str, Any]:
    key_lines = getattr(raw, "key_lines", {})
    line = key_lines.get("sql") or item_line
    return {**check, _LINE_KEY: line} if line else check


class ColumnConstraint(BaseModel):
    """A column constraint of a model contract, dbt's shape (``{type: not_null}``); ``not_null`` is enforced."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["not_null"] = Field(description="not_null: apply checks the built rows before publishing")


class ColumnDoc(BaseModel):
    """A documented column, optionally with checks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    data_type: str | None = None
    tags: tuple[str, ...] = ()
    meta: dict[str, Any] = Field(default_factory=dict)
    checks: tuple[CheckSpec, ...] = Field(default=(), validation_alias=AliasChoices("checks", "tests", "data_tests"))
    #: Enforced with ``contract: {enforced: true}``: ``[{type: not_null}]`` or ``[not_null]``.
    constraints: tuple[ColumnConstraint, ...] = ()

    @field_validator("constraints", mode="before")
    @classmethod
    def _constraint_shorthand(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return [{"type": item} if isinstance(item, str) else item for item in value]
        return value

    @model_validator(mode="before")
    @classmethod
    def _checks(cls, data: Any) -> Any:
        return _normalise_checks(data, column=data.get("name") if isinstance(data, dict) else None)


class NodeDoc(BaseModel):
    """Properties of a model or seed: description, columns, checks, config."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    tags: tuple[str, ...] = ()
    meta: dict[str, Any] = Field(default_factory=dict)
    config: dict[str, Any] = Field(default_factory=dict)
    columns: tuple[ColumnDoc, ...] = ()
    checks: tuple[CheckSpec, ...] = Field(default=(), validation_alias=AliasChoices("checks", "tests", "data_tests"))
    #: dbt's model versions (``[{v: 1}, {v: 2, defined_in: x}]``): ``ref('m', v=2)`` reads ``m_v2``.
    versions: tuple[dict[str, Any], ...] = ()
    latest_version: int | str | None = None

    @model_validator(mode="before")
    @classmethod
    def _checks(cls, data: Any) -> Any:
        return _normalise_checks(data, column=None)


class SourceTable(BaseModel):
    """A table of a source: a relation in the target database, or files."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    identifier: str | None = Field(default=None, description="relation name when it differs from name")
    path: str | None = Field(default=None, description="files source: a path or glob, relative to the project")
    format: Literal["parquet", "csv", "json"] | None = None
    options: dict[str, Any] = Field(default_factory=dict, description="reader options (e.g. hive_partitioning)")
    description: str = ""
    columns: tuple[ColumnDoc, ...] = ()
    #: dbt's ``quoting: {schema: false, identifier: false}``: parts written unquoted (default: quoted).
    quoting: dict[str, bool] = Field(default_factory=dict)


class SourceDoc(BaseModel):
    """A source: external data faborite reads but never writes.

    ``type: database`` tables live in the target database (``schema``);
    ``type: files`` tables are Parquet/CSV/JSON files or globs.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str
    type: Literal["database", "files"] = "database"
    schema_name: str | None = Field(default=None, alias="schema")
    description: str = ""
    tables: tuple[SourceTable, ...] = ()
    #: dbt's ``quoting:`` for every table of the source (a table's own ``quoting:`` wins).
    quoting: dict[str, bool] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _files_have_paths(self) -> "SourceDoc":
        for table in self.tables:
            if self.type == "files" and not table.path:
                raise ValueError(f"table {table.name!r} of a files source needs 'path:'")
            if self.type == "database" and table.path:
                raise ValueError(f"table {table.name!r} has 'path:' but the source is type 'database'; set 'type: files'")
        return self


class PropertiesFile(BaseModel):
    """One properties YAML file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int | None = None  # accepted for dbt compatibility; unused
    models: tuple[NodeDoc, ...] = ()
    seeds: tuple[NodeDoc, ...] = ()
    sources: tuple[SourceDoc, ...] = ()

    @field_validator("models", "seeds", "sources", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return () if value is None else value
