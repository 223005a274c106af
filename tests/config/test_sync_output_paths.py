"""A sync's ``to.path`` stays inside the project, outside its own folders, unless allowed.

Apply creates, replaces and garbage-collects folders and symlinks under that
path; ``../../escape``, an absolute path, ``.faborite/state`` or ``models``
used to be accepted. Each is now refused at validate, at the ``path:`` line.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from faborite.errors import ConfigError
from faborite.sync.spec import OutputSpec
from tests.config.projects import check_error, error_of, load, write

SYNC = "syncs/copy.yml"


def _sync(root: Path, path: str) -> None:
    write(root, "sources/lake.yml", "sources:\n  - name: lake\n    type: delta\n    path: lake\n")
    write(root, SYNC, "syncs:\n  - name: copy\n    from: lake\n    to:\n      format: parquet\n"
                      f"      path: {path!r}\n")


@pytest.mark.parametrize("path, message", [
    ("../../escape", "is outside the project"),
    ("/tmp/faborite-escape", "is outside the project"),
    ("exports/../../x", "is outside the project"),
    (".", "is the project folder itself"),
    (".faborite/state", "is inside the project's .faborite"),
    (".faborite", "is inside the project's .faborite"),
    (".git/hooks", "is inside the project's .git"),
    ("models", "is inside the project's models folder 'models'"),
    ("models/marts/out", "is inside the project's models folder 'models'"),
    ("seeds", "is inside the project's seeds folder 'seeds'"),
    ("macros/x", "is inside the project's macros folder 'macros'"),
    ("sources", "is inside the project's sources folder 'sources'"),
    ("syncs/out", "is inside the project's syncs folder 'syncs'"),
    ("~/exports", "starts with '~'"),
])
def test_an_output_path_that_escapes_or_overlaps_the_project_is_refused(proj, path, message):
    _sync(proj, path)
    check_error(error_of(proj), ConfigError, file=SYNC, line=6, message=message,
                hint="paths: {outputs: [...]}")


def test_folders_renamed_under_paths_are_protected(proj):
    os.rename(proj / "models", proj / "sql")
    with (proj / "faborite.yml").open("a", encoding="utf-8") as handle:
        handle.write("paths:\n  models: sql\n")
    _sync(proj, "sql/out")
    check_error(error_of(proj), ConfigError, file=SYNC, line=6, message="models folder 'sql'")


def test_a_folder_holding_a_protected_one_is_refused(proj):
    (proj / "src").mkdir()
    os.rename(proj / "models", proj / "src/models")
    with (proj / "faborite.yml").open("a", encoding="utf-8") as handle:
        handle.write("paths:\n  models: src/models\n")
    _sync(proj, "src")
    check_error(error_of(proj), ConfigError, file=SYNC, line=6, message="holds the project's models folder")


def test_a_symlink_into_a_protected_folder_is_followed(proj):
    (proj / ".faborite").mkdir(exist_ok=True)
    (proj / "exports").symlink_to(proj / ".faborite", target_is_directory=True)
    _sync(proj, "exports/out")
    check_error(error_of(proj), ConfigError, file=SYNC, line=6, message="is inside the project's .faborite")


def test_a_folder_of_its_own_inside_the_project_is_fine(proj):
    _sync(proj, "exports/lake")
    assert load(proj).syncs["copy"].spec.to.path == "exports/lake"


def test_output_roots_allow_writing_elsewhere_and_only_there(proj, tmp_path):
    outside = tmp_path / "shared"
    with (proj / "faborite.yml").open("a", encoding="utf-8") as handle:
        handle.write(f"paths:\n  outputs: [{str(outside)!r}, exports]\n")
    _sync(proj, str(outside / "lake"))
    assert load(proj).syncs["copy"].spec.to.path == str(outside / "lake")
    _sync(proj, "exports/lake")
    assert load(proj).syncs["copy"].spec.to.path == "exports/lake"
    _sync(proj, "elsewhere")  # inside the project, but not under a listed root
    check_error(error_of(proj), ConfigError, file=SYNC, line=6,
                message="is outside the folders under 'paths.outputs'")
    _sync(proj, ".faborite/x")
    check_error(error_of(proj), ConfigError, file=SYNC, line=6, message=".faborite")


def test_flow_style_output_is_located_at_its_line(proj):
    write(proj, "sources/lake.yml", "sources:\n  - name: lake\n    type: delta\n    path: lake\n")
    write(proj, SYNC, "syncs:\n  - name: copy\n    from: lake\n    to: {format: csv, path: ../out}\n")
    check_error(error_of(proj), ConfigError, file=SYNC, line=4, message="outside the project")


def test_the_duckdb_output_needs_no_path(proj):
    write(proj, "sources/lake.yml", "sources:\n  - name: lake\n    type: delta\n    path: lake\n")
    write(proj, SYNC, "syncs:\n  - name: copy\n    from: lake\n")
    assert load(proj).syncs["copy"].spec.to == OutputSpec()
