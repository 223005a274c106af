"""Snowflake: the generic SQL, with upper-case folding, backslash-aware strings and no transactional DDL.

Every DDL statement commits the open transaction and then itself, so ``transactional_ddl``
is False: publish cannot swap several views atomically and must say so. Undelimited
names fold to upper case (``t`` is ``T``), so a view written ``SELECT * FROM s.t`` reads
``S.T``; faborite itself always quotes, keeping the case it was given.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from faborite.dialects.base import Dialect

#: An undelimited name Snowflake would accept and fold to upper case.
_FOLDS = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*\Z")


class SnowflakeDialect(Dialect):
    """Snowflake SQL."""

    name = "snowflake"
    sqlglot_dialect = "snowflake"
    transactional_ddl = False  # each DDL statement commits
    supports_create_or_replace_view = True
    supports_merge = True
    default_schema = "PUBLIC"

    def _fold_unquoted(self, name: str) -> str:
        return name.upper()

    def quote_column(self, name: str) -> str:
        """A model's ``select id`` makes a column ``ID``, so a name Snowflake would fold is quoted
        folded (``"ID"``). Output columns arrive without their quoting, so a column the model
        wrote quoted in lower or mixed case (``"id"``) is not reachable this way: quote such columns in
        upper case or not at all."""
        return self.quote_identifier(self._fold_unquoted(name) if _FOLDS.match(name) else name)

    def literal(self, value: Any) -> str:
        """A backslash starts an escape in a Snowflake string, so it is doubled; timestamps are cast
        to the explicit NTZ/TZ types because bare ``TIMESTAMP`` follows a session setting."""
        if isinstance(value, str):
            return super().literal(value.replace("\\", "\\\\"))
        if isinstance(value, dt.datetime):
            kind = "TIMESTAMP_TZ" if value.utcoffset() is not None else "TIMESTAMP_NTZ"
            return f"CAST('{value.isoformat(sep=' ')}' AS {kind})"
        return super().literal(value)
