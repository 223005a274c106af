"""dbt ``{% materialization name, adapter %}`` blocks in macro files: not faborite's to run.

A custom materialization tells dbt how to build a model; faborite builds with its
own handlers (view, table, incremental, ephemeral, snapshot). The block is blanked
out of the macro file (its lines kept, so the file's other macros keep their line
numbers and still load); a model that asks for it fails alone, with the error
naming the value (``materialized='my_custom'``).
"""

from __future__ import annotations

import re

_BLOCK = re.compile(r"\{%-?\s*materialization\b.*?\{%-?\s*endmaterialization\s*-?%\}", re.S)


def without_materializations(text: str) -> str:
    """``text`` with each materialization block replaced by as many blank lines."""
    if "materialization" not in text:
        return text
    return _BLOCK.sub(lambda m: "\n" * m.group(0).count("\n"), text)
