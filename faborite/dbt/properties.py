"""dbt properties YAML, tolerated: every key dbt accepts loads; keys faborite does not use go.

faborite's own properties models forbid unknown keys (a typo there is an
error). A dbt project's files were written for dbt, so before validation
:func:`tolerate` drops what faborite does not read (``groups``, ``exposures``,
``semantic_models``, ``unit_tests``, ``freshness``, column ``config``,
constraints other than ``not_null``, ``access``, ``versions`` ...), counting
each key so the load reports them in one summary line, and rewrites dbt's
test spellings (``arguments:``, ``config:``, generic tests) into checks
(:mod:`faborite.dbt.tests`).
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

from faborite.config.node_config import ModelConfig, SeedConfig
from faborite.config.properties import ColumnDoc, NodeDoc, PropertiesFile, SourceDoc, SourceTable
from faborite.config.yaml_loader import LineDict, LineList


def _fields(model) -> frozenset[str]:
    return frozenset(f.alias or n for n, f in model.model_fields.items()) | {"tests", "data_tests"}


_TOP = _fields(PropertiesFile)
_NODE = _fields(NodeDoc)
_COLUMN = _fields(ColumnDoc)
_SOURCE = _fields(SourceDoc)
_TABLE = _fields(SourceTable)
_NODE_CONFIG = frozenset(f.alias or n for m in (ModelConfig, SeedConfig) for n, f in m.model_fields.items())


def tolerate(data: LineDict, *, dropped: Counter, tests) -> LineDict:
    """``data`` (one properties file) with only what faborite reads; ``tests`` rewrites test lists."""
    data = _keep(data, _TOP, dropped, "")
    for section in ("models", "seeds"):
        entries = data.get(section)
        if isinstance(entries, list):
            data[section] = _each(entries, lambda e: _node(e, dropped, tests))
    if isinstance(data.get("sources"), list):
        data["sources"] = _each(data["sources"], lambda e: _source(e, dropped))
    return data


def _each(entries: list, fix) -> list:
    out = copy.copy(entries)  # a LineList copy keeps item_lines
    for index, entry in enumerate(entries):
        out[index] = fix(entry) if isinstance(entry, dict) else entry
    return out


def _keep(entry: Any, allowed: frozenset[str], dropped: Counter, prefix: str) -> Any:
    if not isinstance(entry, dict):
        return entry
    kept = copy.copy(entry)
    for key in list(entry):
        if key not in allowed:
            del kept[key]
            dropped[prefix + str(key)] += 1
    return kept


def _node(entry: dict, dropped: Counter, tests) -> dict:
    entry = _keep(entry, _NODE, dropped, "")
    if isinstance(entry.get("config"), dict):
        entry["config"] = _keep(entry["config"], _NODE_CONFIG, dropped, "config.")
    if isinstance(entry.get("columns"), list):
        entry["columns"] = _each(entry["columns"], lambda c: _column(c, entry.get("name"), dropped, tests))
    for key in ("tests", "data_tests"):
        if isinstance(entry.get(key), list):
            entry[key] = tests(entry[key], entry.get("name"), None)
    return entry


def _column(column: dict, node: Any, dropped: Counter, tests) -> dict:
    column = _keep(column, _COLUMN, dropped, "columns.")
    constraints = column.get("constraints")
    if isinstance(constraints, list):
        # faborite enforces not_null; dbt's other constraints (unique, primary_key, check ...) are
        # declarations to the warehouse, not data checks.
        kept = [c for c in constraints if (c if isinstance(c, str) else (c or {}).get("type")) == "not_null"]
        kept = [{"type": "not_null"} for _ in kept]
        if len(kept) != len(constraints):
            dropped["constraints"] += len(constraints) - len(kept)
        column["constraints"] = kept
    for key in ("tests", "data_tests"):
        if isinstance(column.get(key), list):
            column[key] = tests(column[key], node, column.get("name"))
    return column


def _source(entry: dict, dropped: Counter) -> dict:
    entry = _keep(entry, _SOURCE, dropped, "sources.")
    if isinstance(entry.get("tables"), list):
        entry["tables"] = _each(entry["tables"], lambda t: _table(t, dropped))
    return entry


def _table(table: dict, dropped: Counter) -> dict:
    table = _keep(table, _TABLE, dropped, "sources.tables.")
    if isinstance(table.get("columns"), list):
        table["columns"] = _each(table["columns"], lambda c: _keep(c, _COLUMN - {"tests", "data_tests", "checks"},
                                                                   dropped, "sources.columns."))
    return table


def summary(dropped: Counter) -> str | None:
    """One line naming the dbt keys faborite did not use, most frequent first; None if none."""
    if not dropped:
        return None
    shown = ", ".join(f"{key} ({count})" for key, count in dropped.most_common())
    return f"dbt keys faborite does not use were ignored: {shown}"


__all__ = ["tolerate", "summary", "LineList"]
