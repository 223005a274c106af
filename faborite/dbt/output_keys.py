"""Translating a dbt profile output's keys into a faborite target block (used by providers).

A leaf module: providers import it to declare their dbt mapping, and it
imports nothing of theirs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: dbt keys that say how dbt runs, not where data goes: dropped without a note.
_DBT_ONLY = frozenset({"type", "threads"})
#: ``{{ env_var('X') | int }}``: the filter is dropped, the target's config model converts the string.
_FILTER = re.compile(r"\s*\|\s*(?:int|float|as_number|as_text|as_bool|string|trim)(?=\s*\}\})")


def translate_output(output: Mapping[str, Any], type_name: str,
                     keys: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """``(block, ignored)``: ``output``'s keys renamed by ``keys`` (dbt name -> faborite name) into a
    block of ``type: type_name``; keys ``keys`` does not list are ignored and named."""
    block: dict[str, Any] = {"type": type_name}
    ignored: list[str] = []
    for key, value in output.items():
        if key in _DBT_ONLY:
            continue
        if key not in keys:
            ignored.append(str(key))
            continue
        block[keys[key]] = _FILTER.sub("", value) if isinstance(value, str) else value
    return block, ignored
