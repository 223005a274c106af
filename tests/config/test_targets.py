"""Target blocks: env_var() in values, credentials read only to connect, located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from faborite.config import load_project
from faborite.config.targets import UNREAD_SECRET, resolve_target
from faborite.errors import ConfigError
from tests.config.projects import compile_, edit, line_with, proj  # noqa: F401 - proj is a fixture


def _target_block(root: Path, block: str) -> None:
    edit(root, "faborite.yml", "    path: .faborite/dev.duckdb      # an embedded database file: no server needed\n",
         block)


def test_env_var_renders_in_a_target_value(proj):
    _target_block(proj, "    path: \"{{ env_var('DEMO_DB', '.faborite/fallback.duckdb') }}\"\n")
    project = load_project(proj)
    assert resolve_target(project, environ={"DEMO_DB": "x/db.duckdb"}).config.path == "x/db.duckdb"
    assert resolve_target(project, environ={}).config.path == ".faborite/fallback.duckdb"


def test_an_unset_env_var_is_one_located_error(proj):
    _target_block(proj, "    path: \"{{ env_var('DEMO_DB_UNSET') }}\"\n")
    with pytest.raises(ConfigError) as info:
        resolve_target(load_project(proj), environ={})
    error = info.value
    assert "DEMO_DB_UNSET is not set" in error.message
    assert error.file == "faborite.yml" and error.line == line_with(proj, "faborite.yml", "DEMO_DB_UNSET")
    assert "export DEMO_DB_UNSET" in error.hint


def test_other_jinja_in_a_target_block_is_refused(proj):
    _target_block(proj, "    path: \"{{ 7 * 7 }}.duckdb\"\n")
    with pytest.raises(ConfigError, match="holds Jinja other than env_var"):
        resolve_target(load_project(proj), environ={})


def test_credentials_are_read_only_to_connect(proj):
    # DuckDB's `settings` can hold a secret (e.g. an S3 key): compiling never reads it.
    _target_block(proj, "    settings:\n      s3_secret_access_key: \"{{ env_var('DEMO_SECRET') }}\"\n")
    project = load_project(proj)
    assert resolve_target(project, environ={}).config.settings == {"s3_secret_access_key": UNREAD_SECRET}
    compile_(proj)  # no DEMO_SECRET needed to compile
    resolved = resolve_target(project, environ={"DEMO_SECRET": "hunter2"}, with_secrets=True)
    assert resolved.config.settings == {"s3_secret_access_key": "hunter2"}
    with pytest.raises(ConfigError, match="DEMO_SECRET is not set"):
        resolve_target(project, environ={}, with_secrets=True)


def test_a_value_the_provider_refuses_points_at_its_line(proj):
    _target_block(proj, "    threads: \"{{ env_var('DEMO_THREADS') }}\"\n")
    with pytest.raises(ConfigError) as info:
        resolve_target(load_project(proj), environ={"DEMO_THREADS": "many"})
    assert info.value.line == line_with(proj, "faborite.yml", "DEMO_THREADS")
    assert "threads" in info.value.message


def test_the_schema_and_dialect_come_from_the_target(proj):
    resolved = resolve_target(load_project(proj), environ={})
    assert (resolved.dialect_name, resolved.schema) == ("duckdb", "main")
    manifest = compile_(proj)
    assert manifest.target_dialect == "duckdb" and manifest.dialect == "duckdb"
    assert all(n.relation.startswith("main.") for n in manifest.built_nodes())
