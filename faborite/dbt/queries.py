"""``run_query``, ``statement`` and ``load_result`` at plan time: read-only, and empty.

faborite compiles without a warehouse connection (a plan is a pure function of
the project and the state), so a query a template runs cannot be answered at
compile time. These functions never execute anything: ``run_query(sql)``
returns an empty Agate-like table, ``{% call statement('x', fetch_result=True)
%}...{% endcall %}`` renders nothing and stores an empty result that
``load_result('x')`` returns. Macros written for dbt already guard such code
with ``{% if execute %}``; they see an empty result, as dbt's parse phase does
(``get_column_values`` then returns its ``default``).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any


class EmptyColumn:
    """A column of an empty result (``.values()`` is empty)."""

    def __init__(self, name: str = "") -> None:
        self.name = name

    def values(self) -> tuple:
        """No values."""
        return ()

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0


class EmptyColumns(tuple):
    """The columns of an empty result: none to iterate, yet any one asked for is an empty column."""

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            return EmptyColumns()
        return EmptyColumn(str(key))


class EmptyTable:
    """An Agate-like table with no rows and no columns."""

    rows: tuple = ()
    column_names: tuple = ()
    column_types: tuple = ()

    @property
    def columns(self) -> "EmptyColumns":
        """No columns; ``columns[0]`` / ``columns['name']`` is an empty column, so dbt's documented
        ``run_query(q).columns[0].values()`` reads as no values."""
        return EmptyColumns()

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0

    def print_table(self, *_: Any, **__: Any) -> str:
        """Nothing to print."""
        return ""


_results: ContextVar[dict[str, dict[str, Any]] | None] = ContextVar("faborite_statement_results", default=None)


def _store() -> dict[str, dict[str, Any]]:
    store = _results.get()
    if store is None:
        store = {}
        _results.set(store)
    return store


def run_query(sql: Any = None) -> EmptyTable:
    """``run_query(sql)``: not executed at plan time; an empty table."""
    return EmptyTable()


def statement(name: str | None = None, fetch_result: bool = False, auto_begin: bool = True,
              language: str = "sql", caller: Any = None, **_: Any) -> str:
    """``{% call statement(name, fetch_result=True) %}``: renders the body (not executed) and stores
    an empty result under ``name``."""
    if caller is not None:
        caller()  # render the body so its errors show; the SQL itself is never run
    if name is not None:
        _store()[name] = {"data": [], "table": EmptyTable(), "response": None}
    return ""


def load_result(name: str) -> dict[str, Any] | None:
    """The (empty) result a ``statement`` stored under ``name`` in this render, else None."""
    return _store().get(name)


def fresh_results() -> Any:
    """Start an empty store for one render; returns the token to reset it with."""
    return _results.set({})


def reset_results(token: Any) -> None:
    """End the render's store."""
    _results.reset(token)
