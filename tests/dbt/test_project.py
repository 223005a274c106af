"""A folder with dbt_project.yml and no faborite.yml loads as a faborite project (faborite/dbt/project.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from faborite.api import Workspace
from faborite.config import find_project_root, load_project
from faborite.errors import ConfigError
from tests.dbt.harness import PROJECTS


@pytest.fixture
def dbt_proj(tmp_path: Path) -> Path:
    return Path(shutil.copytree(PROJECTS / "project_config", tmp_path / "project_config"))


def test_paths_vars_and_folder_configs_are_read(dbt_proj: Path) -> None:
    project = load_project(dbt_proj)
    assert project.config.name == "project_config"
    assert project.config.vars["min_amount"] == 10 and project.config.vars["currency"] == "EUR"
    by_name = {m.name: m for m in project.models}
    # `materialized: table` without '+' and '+tags' under staging; Jinja rendered under marts.
    assert by_name["stg_orders"].defaults["materialized"] == "table"
    assert by_name["stg_orders"].defaults["tags"] == ["staging"]
    assert by_name["big_orders"].defaults["materialized"] == "table"
    assert by_name["extra_model"].defaults["enabled"] is False
    assert project.seeds[0].defaults["column_types"] == {"amount": "integer"}


def test_enabled_rendered_from_vars_override(dbt_proj: Path) -> None:
    project = load_project(dbt_proj, vars_override={"enable_extra": True})
    assert {m.name: m for m in project.models}["extra_model"].defaults["enabled"] is True


def test_hooks_and_unused_keys_are_one_line_each(dbt_proj: Path) -> None:
    warnings = load_project(dbt_proj).warnings
    assert any("on-run-start (1 statement(s)) is not run" in w for w in warnings)
    summary = [w for w in warnings if w.startswith("dbt keys faborite does not use were ignored")]
    assert len(summary) == 1 and "persist_docs (1)" in summary[0] and "quote_columns (1)" in summary[0]


def test_profile_outputs_are_targets_and_env_var_is_rendered_late(dbt_proj: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBT_DUCKDB_PATH", str(dbt_proj / "x.duckdb"))
    ws = Workspace.open(dbt_proj / "models")  # found from a sub-folder, as dbt does
    assert ws.root == dbt_proj and ws.target == "dev"
    assert "env_var" in ws.project.raw_config["targets"]["dev"]["path"]  # not rendered into the project
    _, config = ws.target_config()
    assert config.path == str(dbt_proj / "x.duckdb")
    assert find_project_root(dbt_proj / "models") == dbt_proj


def test_profiles_from_dbt_profiles_dir(dbt_proj: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "profiles"
    elsewhere.mkdir()
    (dbt_proj / "profiles.yml").rename(elsewhere / "profiles.yml")
    monkeypatch.setenv("DBT_PROFILES_DIR", str(elsewhere))
    assert load_project(dbt_proj).config.default_target == "dev"


def test_profile_flag_and_unknown_profile(dbt_proj: Path) -> None:
    (dbt_proj / "profiles.yml").write_text(
        "other:\n  target: ci\n  outputs:\n    ci: {type: duckdb, path: ci.duckdb}\n"
        "    prod: {type: duckdb, path: prod.duckdb}\n")
    project = load_project(dbt_proj, profile="other")
    assert set(project.config.targets) == {"ci", "prod"} and project.config.default_target == "ci"
    with pytest.raises(ConfigError, match="profile 'project_config' is not in profiles.yml") as info:
        load_project(dbt_proj)
    assert info.value.hint == "profiles there: other"


def test_an_adapter_no_provider_reads_is_one_error_naming_it(dbt_proj: Path) -> None:
    (dbt_proj / "profiles.yml").write_text(
        "project_config:\n  target: dev\n  outputs:\n    dev:\n      type: snowflake\n      account: x\n")
    with pytest.raises(ConfigError) as info:
        load_project(dbt_proj)
    assert "dbt adapter type 'snowflake' (profile output project_config.outputs.dev) is not supported" in str(
        info.value)
    assert info.value.file == "profiles.yml" and info.value.line == 5
    for adapter in ("duckdb", "postgres", "mysql", "spark"):
        assert adapter in info.value.hint


def test_server_profiles_map_to_their_providers(dbt_proj: Path) -> None:
    (dbt_proj / "profiles.yml").write_text(
        "project_config:\n  target: pg\n  outputs:\n"
        "    pg: {type: postgres, host: db, port: \"{{ env_var('PGPORT', '5432') | as_number }}\", user: u,\n"
        "         pass: \"{{ env_var('PGPASSWORD') }}\", dbname: d, schema: analytics, threads: 4, keepalives_idle: 0}\n"
        "    my: {type: mysql, server: db, port: 3306, username: u, password: p, schema: shop}\n"
        "    sp: {type: spark, method: session, schema: lake, host: NA}\n")
    project = load_project(dbt_proj)
    targets = project.raw_config["targets"]
    assert targets["pg"] == {"type": "postgres", "host": "db", "port": "{{ env_var('PGPORT', '5432') }}",
                             "user": "u", "password": "{{ env_var('PGPASSWORD') }}", "dbname": "d",
                             "schema": "analytics"}
    assert targets["my"] == {"type": "mysql", "host": "db", "port": 3306, "user": "u", "password": "p",
                             "database": "shop"}
    assert targets["sp"] == {"type": "spark", "schema": "lake", "master": "local[*]"}
    assert any("keepalives_idle" in w for w in project.warnings)


def test_var_without_value_in_dbt_project_file(dbt_proj: Path) -> None:
    text = (dbt_proj / "dbt_project.yml").read_text()
    (dbt_proj / "dbt_project.yml").write_text(text.replace("var('enable_extra', false)", "var('enable_extra')"))
    with pytest.raises(ConfigError, match=r"var\('enable_extra'\) in dbt_project.yml has no value"):
        load_project(dbt_proj)


def test_an_unchanged_dbt_project_skips_its_compile(dbt_proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The loaded dbt project goes into the compile-skip cache: its value renderer (which holds the
    # environment) is left out, and the dropped-keys Counter comes back as one.
    import faborite.compiler

    monkeypatch.setenv("SCALE12_UNRELATED", "a-value-that-must-not-be-stored")
    compiles: list[int] = []
    real = faborite.compiler.compile_project
    monkeypatch.setattr(faborite.compiler, "compile_project", lambda *a, **k: compiles.append(1) or real(*a, **k))
    first = Workspace(root=dbt_proj).compile(write_manifest=False)
    again = Workspace(root=dbt_proj)
    assert again.compile(write_manifest=False) == first and compiles == [1]
    dbt = again.project.dbt
    assert dbt.render is None and dbt.dropped_keys == load_project(dbt_proj).dbt.dropped_keys
    assert type(dbt.dropped_keys).__name__ == "Counter"
    cached = b"".join(p.read_bytes() for p in (dbt_proj / ".faborite" / "cache").glob("unchanged-*"))
    assert cached and b"a-value-that-must-not-be-stored" not in cached
