"""Which names hold credentials: one rule for every place that masks or refuses them.

A config key, a DuckDB setting or a URL query parameter whose name contains
``pass``, ``pwd``, ``secret``, ``token``, ``key`` or ``credential`` is treated
as a secret: its value is masked in output (``faborite debug``, error
messages) or refused where it would be stored (see docs/secrets.md).
"""

from __future__ import annotations

import re

_CREDENTIAL_NAME = re.compile(r"(?i)pass|pwd|secret|token|key|credential")


def names_a_credential(name: str) -> bool:
    """Whether ``name`` (a key, setting or parameter) holds a credential by its name."""
    return bool(_CREDENTIAL_NAME.search(name))
