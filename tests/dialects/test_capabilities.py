"""Capability flags that depend on each other hold for every registered dialect."""

from __future__ import annotations

import pytest

from faborite.dialects import Dialect, available_dialects, get_dialect


def _registered() -> list[type[Dialect]]:
    return [get_dialect(name) for name in available_dialects()]


@pytest.mark.parametrize("dialect", _registered(), ids=lambda d: d.name)
def test_row_versioned_incremental_needs_transactional_ddl(dialect: type[Dialect]) -> None:
    # An incremental run's INSERT/UPDATE and its version's CREATE VIEW must commit together, or a
    # failure could leave a half-built generation in the store that later versions share.
    assert not dialect.row_versioned_incremental or dialect.transactional_ddl


def test_the_row_versioned_dialects() -> None:
    assert {d.name for d in _registered() if d.row_versioned_incremental} == {"duckdb", "postgres"}
