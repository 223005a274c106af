"""The dbt feature projects under tests/dbt/projects/ (dbt_project.yml, profiles.yml, models/), applied
by faborite on DuckDB and compared with the rows dbt builds (written out by hand here; for
jinja_context, cross_db and custom_schemas they were checked against ``dbt build`` with dbt-core 1.11
and dbt-duckdb; dbt_utils_fallbacks needs the dbt_utils package, which dbt installs from its hub).

tests/dbt/test_projects.py also builds each with dbt and compares every table (all but
dbt_utils_fallbacks); this file is the fast check, with the rows written out.
"""

from __future__ import annotations

import datetime
import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

from faborite.api import Workspace

PROJECTS = Path(__file__).parent / "projects"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - the value dbt's hash() gives


def _ts(day: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day)


def _date(day: str) -> datetime.date:
    return datetime.date.fromisoformat(day)


EXPECTED: dict[str, dict[str, list[tuple]]] = {
    "jinja_context": {
        "main.per_status": [("open", 50, "per_status", "duckdb", True, "20240102"),
                            ("paid", 210, "per_status", "duckdb", True, "20240102")],
        "main.dim_v1": [("alice",), ("bob",)],
        "main.dim_v2": [("alice", 2), ("bob", 2)],
        "main.uses_versions": [("alice", 2), ("bob", 2)],
        "main.columns_listed": [(1, "id,customer,amount,status,updated_at")],
    },
    "cross_db": {
        "main.dates": [(1, _ts("2024-02-01"), 30, _ts("2024-01-01"), _date("2024-01-31"), "1"),
                       (2, _ts("2024-02-16"), 1, _ts("2024-02-01"), _date("2024-02-29"), "2")],
        # split_part past the last part and safe_cast of a bad value differ between dbt adapters
        # (dbt-duckdb: NULL and a failing cast): the project keeps to what every adapter agrees on.
        "main.strings": [(1, "a", "a|b|c-1", _md5("a|b|c"), 0, "|c", "a/b/c", 5, 42, "true", "hello"),
                         (2, "xyz", "xyz-2", _md5("xyz"), 2, "yz", "xyz", 3, 42, "false", "hello")],
        "main.aggregates": [("a|b|c,xyz", True, 2)],
    },
    "dbt_utils_fallbacks": {
        "main.surrogate": [(_md5("1-alice"), 1, "alice"), (_md5("2-alice"), 2, "alice"), (_md5("3-bob"), 3, "bob")],
        "main.starred": [(1, "alice", 10), (2, "alice", 5), (3, "bob", 4), (3, "bob", 7)],
        "main.starred_model": [(1, "alice"), (2, "alice"), (3, "bob")],
        "main.unioned": [(1, "a", None), (2, None, "b")],
        "main.pivoted": [("alice", 1, 1), ("bob", 2, 0)],
        "main.unpivoted": [(1, "y", "a")],
        "main.spine": [(_ts(f"2024-01-0{d}"),) for d in range(1, 5)],
        "main.deduplicated": [(1, "alice", 10, "paid", _date("2024-01-01")), (2, "alice", 5, "open", _date("2024-01-02")),
                              (3, "bob", 7, "paid", _date("2024-01-04"))],
        "main.safe_math": [(1, 10, 9, None), (2, 5, 4, 5.0)],
        "main.grouped": [("alice", 2), ("bob", 2)],
    },
    "custom_schemas": {
        "main.raw_orders": [(1, "alice", 10, "paid", _date("2024-01-01")), (2, "alice", 5, "open", _date("2024-01-02")),
                            (3, "bob", 4, "paid", _date("2024-01-03")), (3, "bob", 7, "paid", _date("2024-01-04"))],
        "marts.revenue_by_customer": [("alice", 15), ("bob", 11)],
        "main.staged": [(1, "alice", 10, "paid", _date("2024-01-01")), (3, "bob", 4, "paid", _date("2024-01-03")),
                        (3, "bob", 7, "paid", _date("2024-01-04"))],
    },
}


def test_every_jinja_project_has_expectations():
    assert set(EXPECTED) <= {p.name for p in PROJECTS.iterdir() if (p / "dbt_project.yml").is_file()}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_project_applies_with_dbts_rows(tmp_path, monkeypatch, name):
    root = tmp_path / name
    shutil.copytree(PROJECTS / name, root)  # read in place: dbt_project.yml + profiles.yml
    monkeypatch.setenv("DBT_DUCKDB_PATH", str(root / "db.duckdb"))
    workspace = Workspace.open(root)
    workspace.apply(workspace.plan())
    with duckdb.connect(str(root / "db.duckdb"), read_only=True) as con:
        for relation, rows in EXPECTED[name].items():
            assert sorted(con.execute(f"select * from {relation}").fetchall(), key=repr) == sorted(rows, key=repr), \
                relation
