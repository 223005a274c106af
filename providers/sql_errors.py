"""How SQL target providers word an engine's error: one rule for every engine.

A :class:`~faborite.errors.ProviderError` from a SQL engine carries the
engine's own message and, as its hint, the first line of the statement that
failed. Both may quote a credential (``CREATE SECRET ... SECRET 'x'``, ``ALTER
ROLE ... PASSWORD 'x'``), so both pass through :func:`redact_sql` first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from faborite.errors import FaboriteError, ProviderError
from faborite.relation import Relation
from faborite.target import iter_batches

if TYPE_CHECKING:
    import pyarrow as pa

# A quoted value after a word that names a credential (``PASSWORD 'x'``, ``PASSWORD('x')``) or after
# MySQL's ``IDENTIFIED BY``: redacted from every message.
_SECRET_VALUE = re.compile(
    r"(?i)\b(\w*(?:secret|password|passwd|token|key)\w*|identified\s+by)(\s*[=:(]?\s*)'(?:[^']|'')*'")
_HINT_CHARS = 120


def sql_hint(sql: str) -> str:
    """``while running: <first non-blank line of sql>``, shortened and redacted."""
    first = next((line.strip() for line in sql.splitlines() if line.strip()), "")
    if len(first) > _HINT_CHARS:
        first = first[:_HINT_CHARS - 3] + "..."
    return f"while running: {redact_sql(first)}"


def redact_sql(text: str, *secrets: str | None) -> str:
    """``text`` with quoted values after credential-like words, and each of ``secrets``, as ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _SECRET_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}'***'", text)


class WatchedSource:
    """Arrow data handed to an engine's loader, remembering why reading it failed.

    An engine reports a failing source only as text inside its own error; the
    loader calls :meth:`raise_source_error` when the load fails, so the user sees
    the source's error (``source went away``), not the engine's echo of it.
    """

    def __init__(self, data: pa.Table | pa.RecordBatchReader) -> None:
        self.data = data
        self.errors: list[BaseException] = []

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The data's record batches; an exception while reading is recorded and re-raised."""
        try:
            yield from iter_batches(self.data)
        except Exception as exc:
            self.errors.append(exc)
            raise

    def raise_source_error(self, relation: Relation) -> None:
        """Raise the source's error, if reading it failed; otherwise return."""
        if not self.errors:
            return
        cause = self.errors[0]
        if isinstance(cause, FaboriteError):
            raise cause from None
        raise ProviderError(f"reading the data for {relation} failed: {type(cause).__name__}: {cause}") from None
