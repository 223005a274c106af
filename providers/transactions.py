"""Transactions a SQL connection runs itself: BEGIN, COMMIT, ROLLBACK; no nesting.

Shared by every SQL target connection, so all of them keep the same promise:
a transaction commits on normal exit, rolls back on any exception (which is
re-raised unchanged), refuses to nest, and leaves the connection usable.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

from faborite.errors import ProviderError


class ExplicitTransactions:
    """``transaction()`` and ``atomically()`` for a connection with ``execute()`` and ``_rollback()``."""

    #: The statement that opens a transaction in this engine.
    begin_sql: ClassVar[str] = "BEGIN"
    _in_transaction: bool = False

    def execute(self, sql: str) -> None:  # pragma: no cover - provided by the connection
        raise NotImplementedError

    def _rollback(self) -> None:  # pragma: no cover - provided by the connection
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN; COMMIT on normal exit, ROLLBACK on any exception (re-raised)."""
        if self._in_transaction:
            raise ProviderError(
                "a transaction is already open on this connection",
                hint="transactions do not nest; use cursor() for independent work",
            )
        self.execute(self.begin_sql)
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self._rollback_quietly()
            raise
        else:
            try:
                self.execute("COMMIT")
            except ProviderError:
                self._rollback_quietly()
                raise
        finally:
            self._in_transaction = False

    @contextmanager
    def atomically(self) -> Iterator[None]:
        """In the caller's open transaction, or else in one of its own."""
        if self._in_transaction:
            yield
        else:
            with self.transaction():
                yield

    def _rollback_quietly(self) -> None:
        # The original error is what the user needs; a failing ROLLBACK (e.g. the
        # engine already aborted the transaction) must not replace it.
        try:
            self._rollback()
        except Exception:  # noqa: BLE001
            pass
