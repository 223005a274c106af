"""A node's config from its layers: folder defaults, then properties ``config:``, then ``config()``
calls (most specific wins), and the part of it that is the node's data (its fingerprint)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from faborite.config.loader import NodeDocEntry
from faborite.config.node_config import DATA_KEYS, INCREMENTAL_KEYS, SNAPSHOT_KEYS, ModelConfig, SeedConfig
from faborite.config.validation import config_error_from
from faborite.errors import ConfigError


def data_config(config: ModelConfig | SeedConfig) -> dict[str, Any]:
    """The config keys that change what a node holds: they join its fingerprint."""
    dumped = config.model_dump(by_alias=True, mode="json")
    keys = DATA_KEYS
    if getattr(config, "materialized", None) == "incremental":
        keys = DATA_KEYS | INCREMENTAL_KEYS
        dumped["incremental_strategy"] = config.strategy
        if isinstance(dumped["unique_key"], str):
            dumped["unique_key"] = [dumped["unique_key"]]
    elif getattr(config, "materialized", None) == "snapshot":
        keys = DATA_KEYS | SNAPSHOT_KEYS
        for key in ("unique_key", "check_cols"):
            if isinstance(dumped[key], str) and dumped[key] != "all":
                dumped[key] = [dumped[key]]
    return {k: v for k, v in dumped.items() if k in keys and k != "enabled"}


def resolve_config(base, defaults: dict[str, Any], entry: NodeDocEntry | None, calls: dict[str, Any],
                    file: str, text: str | None = None, calls_at: dict[str, list] | None = None, *,
                    dbt: bool = False):
    """Folder defaults, then properties ``config:``, then ``config(...)`` calls; most specific wins.
    The resolved model config's keys must then agree (``dbt``: dbt's leniency, see
    :meth:`ModelConfig.incremental_problem`)."""
    layers = [(defaults, "faborite.yml", None, "folder defaults")]
    if entry is not None:
        layers.append((entry.doc.config, entry.file, entry.line, f"'config:' of {entry.doc.name!r}"))
    layers.append((calls, file, line_of_call(text, "config(") if text else None, "config()"))
    config = base
    for overrides, where, line, what in layers:
        if not overrides:
            continue
        try:
            config = config.merged(overrides)
        except ValidationError as exc:
            error = config_error_from(exc, type(base), overrides, file=where, what=what)
            error.line = line
            key = next(iter(exc.errors()[0]["loc"]), None)
            if what == "config()" and calls_at and key in calls_at:
                # Point at the config() call that set it; a macro's call also names the model.
                error.file, error.line = calls_at[key]
                if error.file != file:
                    error.message += f" (while rendering {file})"
            raise error from None
    problem = config.incremental_problem(dbt=dbt) if hasattr(config, "incremental_problem") else None
    if problem:
        raise ConfigError(problem, file=file, line=line_of_call(text, "config(") if text and calls else None,
                          hint="set materialized: incremental, or remove the key")
    return config


def line_of_ref(text: str, name: str) -> int | None:
    """The line of the first ``ref('name')`` in a model's source (None if it is built some other way)."""
    match = re.search(r"""\bref\(\s*(?:['"][^'"]*['"]\s*,\s*)?['"]""" + re.escape(name) + r"""['"]\s*\)""", text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def line_of_call(text: str, needle: str) -> int | None:
    """The first line calling ``needle`` (``config(``; spaces before the parenthesis allowed)."""
    match = re.search(r"\b" + re.escape(needle[:-1]) + r"\s*\(", text)
    return text.count("\n", 0, match.start()) + 1 if match else None


