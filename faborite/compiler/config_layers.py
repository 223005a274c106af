"""A node's config from its layers: folder defaults, then properties ``config:``, then ``config()``
calls (most specific wins), and the part of it that is the node's data (its fingerprint)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from faborite.config.loader import NodeDocEntry
from faborite.config.node_config import DATA_KEYS, INCREMENTAL_KEYS, SNAPSHOT_KEYS, ModelConfig, SeedConfig
from faborite.config.validation import config_error_from


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
                    file: str, text: str | None = None, calls_at: dict[str, list] | None = None,
                    *, dbt_rules: bool = False):
    """Folder defaults, then properties ``config:``, then ``config(...)`` calls; most specific wins.

    Incremental-only keys are checked against the final materialization, not each layer's; with
    ``dbt_rules`` (a dbt project) they are ignored on another materialization, as dbt does.
    """
    layers = [(defaults, "faborite.yml", None, "folder defaults")]
    if entry is not None:
        layers.append((entry.doc.config, entry.file, entry.line, f"'config:' of {entry.doc.name!r}"))
    layers.append((calls, file, line_of_call(text, "config(") if text else None, "config()"))
    layers = [layer for layer in layers if layer[0]]
    config = base
    for index, (overrides, where, line, what) in enumerate(layers):
        last = index == len(layers) - 1
        try:
            config = config.merged(overrides, lenient=("drop" if dbt_rules else None) if last else "keep")
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
    return config


def line_of_ref(text: str, name: str) -> int | None:
    """The line of the first ``ref('name')`` in a model's source (None if it is built some other way)."""
    match = re.search(r"""\bref\(\s*(?:['"][^'"]*['"]\s*,\s*)?['"]""" + re.escape(name) + r"""['"]\s*\)""", text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def line_of_call(text: str, needle: str) -> int | None:
    """The first line calling ``needle`` (``config(``; spaces before the parenthesis allowed)."""
    match = re.search(r"\b" + re.escape(needle[:-1]) + r"\s*\(", text)
    return text.count("\n", 0, match.start()) + 1 if match else None


