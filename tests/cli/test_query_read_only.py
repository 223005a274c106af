"""``faborite query`` is read-only for real: no writes, no files beyond the project's sources.

It used to run anything on a read-only DuckDB connection: ``COPY ... TO`` wrote
files, and ``read_text('/etc/passwd')`` read any file on the machine. Each
case runs the real command (in this process, but for the COPY cases' child process: start-up is
not what is tested); each refusal is one error, exit 1, no traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from faborite.api import Workspace, init_project
from tests.conftest import run_cli, run_cli_in_process


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> tuple[Path, Path]:
    """The template project plus a files source and a view over it, applied; and a secret outside it."""
    base = tmp_path_factory.mktemp("query")
    root = init_project(base / "proj")
    (root / "data").mkdir()
    (root / "data/people.csv").write_text("id,name\n1,ada\n2,grace\n", encoding="utf-8")
    (root / "sources").mkdir(exist_ok=True)
    (root / "sources/files.yml").write_text(
        "sources:\n  - name: ext\n    type: files\n    tables:\n      - name: people\n"
        "        path: data/*.csv\n", encoding="utf-8")
    (root / "models/people_view.sql").write_text("select id, name from {{ source('ext', 'people') }}\n",
                                                 encoding="utf-8")
    ws = Workspace(root=root)
    ws.apply(ws.plan())
    secret = base / "secret.csv"
    secret.write_text("password\nhunter2\n", encoding="utf-8")
    return root, secret


def _refused(result, *words: str) -> None:
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.count("error:") == 1, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    assert "hunter2" not in result.output


def test_a_copy_to_a_file_is_refused_and_writes_nothing(published):
    root, _ = published
    for target in ("x.csv", "data/x.csv", str(root.parent / "y.csv")):
        result = run_cli("query", f"copy (select 42) to '{target}'", cwd=root)
        _refused(result, "refused", "COPY")
        assert not (root / "x.csv").exists() and not (root / "data/x.csv").exists()
        assert not (root.parent / "y.csv").exists()


@pytest.mark.parametrize("reader", ["read_text", "read_csv", "read_parquet", "read_json", "read_blob", "glob"])
def test_files_outside_the_project_cannot_be_read(published, reader):
    root, secret = published
    result = run_cli_in_process("query", f"select * from {reader}('{secret}')", cwd=root)
    _refused(result, "refused")


def test_a_relative_path_out_of_a_source_folder_is_refused(published):
    root, secret = published
    result = run_cli_in_process("query", f"select * from read_csv('data/../../{secret.name}')", cwd=root)
    _refused(result, "refused")


@pytest.mark.parametrize("sql, word", [
    ("attach 'other.duckdb' as o", "ATTACH"),
    ("install httpfs", "INSTALL"),
    ("set enable_external_access = true", "SET"),
    ("pragma version", "PRAGMA"),
    ("export database 'dump'", "refused"),
    ("create table t as select 1", "CREATE"),
    ("select 1; copy (select 42) to 'x.csv'", "2 statements"),
    ("select 42 into t", "INTO"),
])
def test_statements_other_than_one_select_are_refused(published, sql, word):
    root, _ = published
    _refused(run_cli_in_process("query", sql, cwd=root), word)
    assert not (root / "other.duckdb").exists() and not (root / "dump").exists()


def _rows(root: Path, sql: str, cwd: Path | None = None) -> list[dict]:
    result = run_cli_in_process("query", sql, "--json", cwd=cwd or root)
    assert result.code == 0, result.output
    return json.loads(result.stdout)


def test_selects_over_models_and_files_sources_still_work(published):
    root, _ = published
    assert _rows(root, "select count(*) as n from orders") == [{"n": 8}]
    assert _rows(root, "select name from people_view order by id") == [{"name": "ada"}, {"name": "grace"}]
    assert _rows(root, "with p as (select * from people_view) select count(*) as n from p") == [{"n": 2}]
    # From a sub-folder (the project is found upward), the files source still resolves.
    assert _rows(root, "select count(*) as n from people_view", cwd=root / "models") == [{"n": 2}]
    # The project's own source files may be read directly.
    assert _rows(root, "select count(*) as n from read_csv('data/people.csv')") == [{"n": 2}]
