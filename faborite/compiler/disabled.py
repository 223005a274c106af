"""A disabled model is not checked: dbt leaves the refs of a disabled model unresolved.

A model is rendered to learn its config, so a disabled model whose Jinja fails
(it refs a model that no longer exists, a common reason to disable it) would
fail the compile. When the render fails, whether the model is disabled is read
without Jinja instead: its folder defaults, its properties' ``config:``, and an
``enabled=false`` in its ``config(...)`` call; if so, its error is dropped with
the model.
"""

from __future__ import annotations

import re
from typing import Any

_ENABLED_FALSE = re.compile(r"""config\s*\([^)]*?(?:\benabled\s*=|["']enabled["']\s*:)\s*(?:false|False)\b""", re.S)


def disabled_without_rendering(text: str, defaults: dict[str, Any], doc_config: dict[str, Any] | None) -> bool:
    """Whether a model whose render failed is disabled, as far as can be told without Jinja."""
    enabled = defaults.get("enabled", True)
    if doc_config and "enabled" in doc_config:
        enabled = doc_config["enabled"]
    if _ENABLED_FALSE.search(text):
        enabled = False
    return enabled is False
