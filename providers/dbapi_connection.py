"""A session on a database server through a DB-API driver (psycopg, PyMySQL): the plumbing
every such target connection shares.

:class:`DbApiConnection` opens the driver connection, runs the session's setup
statements, turns the driver's errors into :class:`ProviderError` (the server's
message and the failing SQL's first line, the password scrubbed from both),
runs statements on a cursor, and closes. What differs per engine stays in the
provider's own module: how a connection is opened (the ``opener``), how the
driver's errors read (:meth:`~DbApiConnection._server_message`), how a result
becomes Arrow (:meth:`~DbApiConnection._result_table`), loading and catalog
queries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from faborite.dialects.base import Dialect
from faborite.errors import ProviderError
from faborite.providers.sql_errors import redact_sql, sql_hint
from faborite.providers.transactions import ExplicitTransactions

if TYPE_CHECKING:
    import pyarrow as pa


class DbApiConnection(ExplicitTransactions):
    """A server session implementing the shared part of :class:`faborite.target.TargetConnection`.

    Not thread-safe: give each thread its own ``cursor()`` (a new server connection).
    Subclasses provide :meth:`_driver_error`, :meth:`_server_message` and :meth:`_result_table`.
    """

    def __init__(self, opener: Callable[[], Any], dialect: Dialect, *, setup: Sequence[str] = (),
                 where: str = "", secret: str = "") -> None:
        self._opener = opener
        self.dialect = dialect
        self.where = where
        self._setup = tuple(setup)
        self._secret = secret
        self._in_transaction = False
        self._closed = False
        self._con = opener()
        try:
            for sql in self._setup:
                self.execute(sql)
            self._after_setup()
        except ProviderError:
            self.close()
            raise

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.where!r})"

    def __enter__(self) -> DbApiConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what each engine provides ---------------------------------------------

    def _after_setup(self) -> None:
        """More session setup, after the setup statements (none by default)."""

    def _driver_error(self) -> type[BaseException]:  # pragma: no cover - provided by the engine
        """The driver's base exception class (the driver is imported here, not at module import)."""
        raise NotImplementedError

    def _server_message(self, exc: BaseException) -> str:  # pragma: no cover - provided by the engine
        """The server's own words for a driver error."""
        raise NotImplementedError

    def _result_table(self, cur: Any, rows: list[Any]) -> pa.Table:  # pragma: no cover - provided by the engine
        """The rows a cursor fetched as an Arrow table, typed by the cursor's column metadata."""
        raise NotImplementedError

    def _rows_written(self, cur: Any) -> int | None:
        """The rows the statement just run on ``cur`` wrote, when the server says (never, by default)."""
        return None

    # -- SqlRunner ----------------------------------------------------------

    def execute(self, sql: str) -> int | None:
        """Run one statement (no parameters: a ``%`` in the SQL is just a ``%``); the rows it wrote
        when the engine reports them, else None."""
        with self._cursor(sql) as cur:
            return self._rows_written(cur)

    def fetch_arrow(self, sql: str) -> pa.Table:
        """Run a query and return all rows, typed by the result's column types."""
        with self._cursor(sql) as cur:
            if cur.description is None:
                import pyarrow as pa

                return pa.table({})
            return self._result_table(cur, list(cur.fetchall()))

    def fetch_scalar(self, sql: str) -> Any:
        """First column of the first row, or None when there are no rows."""
        with self._cursor(sql) as cur:
            # The whole result is read client-side: the connection is free for the next statement.
            row = cur.fetchone() if cur.description is not None else None
        return row[0] if row else None

    def _query(self, sql: str, args: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Rows of a catalog query with ``%s`` parameters."""
        with self._cursor(sql, args) as cur:
            return list(cur.fetchall())

    @contextmanager
    def _cursor(self, sql: str, args: Sequence[Any] | None = None) -> Iterator[Any]:
        """A cursor that has run ``sql`` (with ``args`` when given), driver errors as ProviderError."""
        with self._errors(sql), self._con.cursor() as cur:
            if args is None:
                cur.execute(sql)
            else:
                cur.execute(sql, list(args))
            yield cur

    # -- TargetConnection -------------------------------------------------------

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if not self._closed:
            self._closed = True
            self._close_driver_connection()

    def _close_driver_connection(self) -> None:
        self._con.close()

    @contextmanager
    def _errors(self, sql: str) -> Iterator[None]:
        """Driver errors as :class:`ProviderError`: the server's message, the SQL's first line as hint."""
        driver_error = self._driver_error()
        try:
            yield
        except driver_error as exc:
            raise ProviderError(redact_sql(self._server_message(exc), self._secret),
                                hint=redact_sql(sql_hint(sql), self._secret)) from None
