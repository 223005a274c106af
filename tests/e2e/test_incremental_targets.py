"""Issue 11 on the copy-on-write targets: incremental models equal their full rebuild after
appends and an update on MariaDB and on a Delta lakehouse folder, rollback is exact, and new
rows on top of a rolled-back version are exact too.

The same project and steps as tests/properties/test_incremental_properties.py (DuckDB and
PostgreSQL, random steps, row-versioned stores), here as one fixed sequence per target: these
targets build every version with ``CREATE TABLE ... AS`` (no transactional DDL).
"""

from __future__ import annotations

import pytest

from tests.properties import harness
from tests.properties.test_incremental_properties import run_steps

#: Two appends (the second with a late event) around an update; after the last, a rollback
#: and one more append applied to the rolled-back version.
STEPS = [(("append", 2, 0), 0), (("update", 2), 0), (("append", 3, 5), 1)]


def test_incremental_equals_full_rebuild_and_rolls_back_on_a_delta_folder() -> None:
    run_steps(harness.DeltaFolderTarget(), STEPS)


@pytest.mark.slow
@pytest.mark.service
def test_incremental_equals_full_rebuild_and_rolls_back_on_mariadb(mysql) -> None:  # noqa: F811
    target = harness.MySQLTarget(mysql)  # databases main and faborite__main, dropped by reset()
    try:
        run_steps(target, STEPS)
    finally:
        target.reset()
