"""Mistakes in faborite.yml and properties files: unknown keys, bad values, duplicates.

Each gives one ConfigError with the file, the line of the offending key, what
was expected, and a hint (close-match names for misspelled keys).
"""

from __future__ import annotations

import pytest

from faborite.errors import ConfigError, FaboriteError
from tests.config.projects import check_error, compile_, edit, error_of, line_with, load, write

PROJECT = """\
name: demo
targets:
  dev:
    type: duckdb
    path: .faborite/dev.duckdb
vars:
  start_date: "2024-01-01"
models:
  +materialized: view
  marts:
    +materialized: table
    +tags: [marts]
"""


def _project(proj, text: str) -> ConfigError:
    write(proj, "faborite.yml", text)
    with pytest.raises(ConfigError) as info:
        load(proj)
    return info.value


# -- faborite.yml -------------------------------------------------------------------


def test_node_config_key_at_top_level_points_to_folder_defaults(proj):
    error = _project(proj, PROJECT + "materialised: table\n")
    check_error(error, ConfigError, file="faborite.yml", line=13, message="unknown key 'materialised' in faborite.yml",
                hint="did you mean '+materialized' under 'models:'?")


def test_misspelled_top_level_key(proj):
    error = _project(proj, PROJECT.replace("vars:", "varz:"))
    check_error(error, ConfigError, file="faborite.yml", line=6, message="unknown key 'varz'",
                hint="did you mean 'vars'?")


def test_unknown_top_level_key_lists_allowed_keys(proj):
    error = _project(proj, PROJECT + "zzz: 1\n")
    check_error(error, ConfigError, file="faborite.yml", line=13, message="unknown key 'zzz'",
                hint="allowed keys here: dialect, environments, lint, models, moved, name")


def test_misspelled_folder_default_in_nested_folder(proj):
    error = _project(proj, PROJECT.replace("    +tags: [marts]", "    +materialised: table"))
    check_error(error, ConfigError, file="faborite.yml", line=12,
                message="unknown key '+materialised' in 'models' folder defaults",
                hint="did you mean '+materialized'?")
    assert error.hint == "did you mean '+materialized'?"


def test_misspelled_folder_default_at_top_of_section(proj):
    error = _project(proj, PROJECT.replace("  +materialized: view", "  +materialised: view"))
    check_error(error, ConfigError, file="faborite.yml", line=9, message="unknown key '+materialised'",
                hint="did you mean '+materialized'?")


def test_unknown_folder_default_lists_plus_keys(proj):
    error = _project(proj, PROJECT.replace("    +tags: [marts]", "    +zzz: 1"))
    check_error(error, ConfigError, file="faborite.yml", line=12, message="unknown key '+zzz'",
                hint="allowed keys here: +alias, +batch_size, +begin, +check_cols, +contract, +deprecated, "
                     "+deprecation_date, +enabled, +event_time, +incremental_strategy, +lookback, +materialized, "
                     "+meta, +on_schema_change, +owner, +protect, +schedule, +schema, +strategy, +tags, +unique_key, "
                     "+updated_at")


def test_invalid_folder_default_value_suggests_a_value_not_a_key(proj):
    error = _project(proj, PROJECT.replace("+materialized: table", "+materialized: tabel"))
    check_error(error, ConfigError, file="faborite.yml", line=11,
                message=("'+materialized'", "got 'tabel'", "expected 'view', 'table', 'incremental', 'ephemeral' or 'snapshot'"))
    assert error.hint == "did you mean 'table'?"


def test_seed_folder_defaults_are_checked_against_seed_config(proj):
    error = _project(proj, PROJECT + "seeds:\n  +delimter: ';'\n")
    check_error(error, ConfigError, file="faborite.yml", line=14, message="unknown key '+delimter' in 'seeds'",
                hint="did you mean '+delimiter'?")


def test_folder_that_is_not_a_mapping(proj):
    error = _project(proj, PROJECT + "seeds:\n  +tags: [raw]\n  raw: table\n")
    check_error(error, ConfigError, file="faborite.yml", line=15, message="'seeds.raw' must be a mapping",
                hint="config keys start with '+'")


def test_wrong_type_value(proj):
    error = _project(proj, PROJECT + "threads: 0\n")
    check_error(error, ConfigError, file="faborite.yml", line=13,
                message=("invalid value for 'threads'", "greater than or equal to 1", "(got 0)"))


def test_missing_required_name(proj):
    error = _project(proj, PROJECT.replace("name: demo\n", "# no name\n"))
    # Reported where the mapping that lacks it starts (after the comment).
    check_error(error, ConfigError, file="faborite.yml", line=2, message="missing required key 'name'",
                hint="add 'name:'")


def test_bad_project_name_has_no_pydantic_prefix(proj):
    error = _project(proj, PROJECT.replace("name: demo", "name: my demo!"))
    check_error(error, ConfigError, file="faborite.yml", line=1, message="invalid value for 'name'")
    assert "Value error" not in error.message and "use letters, digits" in error.message


def test_default_target_that_is_not_defined(proj):
    error = _project(proj, "target: prd\n" + PROJECT.replace("  dev:", "  prod:"))
    check_error(error, ConfigError, file="faborite.yml", line=1,
                message="default target 'prd' is not defined under 'targets:'", hint="did you mean 'prod'?")


def test_unknown_key_in_paths(proj):
    error = _project(proj, PROJECT + "paths:\n  model: src\n")
    check_error(error, ConfigError, file="faborite.yml", line=14, message=("unknown key 'model'", "(at paths)"),
                hint="did you mean 'models'?")


# -- properties files -------------------------------------------------------------------


def test_misspelled_column_key(proj):
    rel = "models/staging/schema.yml"
    edit(proj, rel, "      - name: status\n", "      - name: status\n        descripton: The status.\n")
    error = error_of(proj)
    check_error(error, ConfigError, file=rel, line=line_with(proj, rel, "descripton"),
                message=("unknown key 'descripton' in properties file", "models[1].columns[1]"),
                hint="did you mean 'description'?")


def test_misspelled_list_valued_key_is_reported_on_its_own_line(proj):
    rel = "seeds/seeds.yml"
    write(proj, rel, "seeds:\n  - name: raw_orders\n    colums:\n      - name: id\n")
    check_error(error_of(proj), ConfigError, file=rel, line=3, message="unknown key 'colums'",
                hint="did you mean 'columns'?")


def test_misspelled_section(proj):
    write(proj, "models/extra.yml", "model:\n  - name: orders\n")
    check_error(error_of(proj), ConfigError, file="models/extra.yml", line=1, message="unknown key 'model'",
                hint="did you mean 'models'?")


def test_misspelled_check_name(proj):
    rel = "models/staging/schema.yml"
    edit(proj, rel, "      - name: id\n        checks: [not_null, unique]\n  - name: stg_orders",
         "      - name: id\n        checks: [not_nul, unique]\n  - name: stg_orders")
    check_error(error_of(proj), ConfigError, file=rel, line=line_with(proj, rel, "not_nul,"),
                message=("got 'not_nul'", "expected 'not_null'"), hint="did you mean 'not_null'?")


def test_model_entry_without_name(proj):
    write(proj, "models/extra.yml", "models:\n  - description: no name\n")
    check_error(error_of(proj), ConfigError, file="models/extra.yml", line=2, message="missing required key",
                hint="add 'name:'")


def test_model_described_twice(proj):
    write(proj, "models/extra.yml", "models:\n  - name: stg_orders\n")
    error = error_of(proj)
    check_error(error, ConfigError, file="models/staging/schema.yml", line=7,
                message=("model 'stg_orders' is described twice", "models/extra.yml:2"), hint="keep one entry")


def test_files_source_without_path(proj):
    write(proj, "sources/landing.yml", "sources:\n  - name: landing\n    type: files\n    tables:\n      - name: a\n")
    error = error_of(proj)
    check_error(error, ConfigError, file="sources/landing.yml", line=2,
                message="table 'a' of a files source needs 'path:'")
    assert "Value error" not in error.message


def test_misspelled_source_type(proj):
    write(proj, "sources/landing.yml", "sources:\n  - name: landing\n    type: file\n")
    check_error(error_of(proj), ConfigError, file="sources/landing.yml", line=3, message="unknown source type 'file'",
                hint="did you mean 'files'?")


# -- properties config: and config() reach the same validation --------------------------


def test_misspelled_key_in_properties_config(proj):
    rel = "models/marts/schema.yml"
    edit(proj, rel, "  - name: daily_revenue\n", "  - name: daily_revenue\n    config:\n      materialised: view\n")
    check_error(error_of(proj), ConfigError, file=rel, line=line_with(proj, rel, "- name: daily_revenue"),
                message="unknown key 'materialised' in 'config:' of 'daily_revenue'",
                hint="did you mean 'materialized'?")


def test_wrong_type_for_tags_is_an_error_not_a_crash(proj):
    write(proj, "models/x.sql", "{{ config(tags=5) }}\nselect 1 as x\n")
    check_error(error_of(proj), ConfigError, file="models/x.sql", line=1,
                message=("invalid value for 'tags' in config()", "(got 5)"))


def test_wrong_type_for_meta_is_an_error_not_a_crash(proj):
    write(proj, "models/x.sql", "select 1 as x\n{{ config(meta='owner') }}\n")
    check_error(error_of(proj), ConfigError, file="models/x.sql", line=2, message="invalid value for 'meta'")


# -- model and seed files ---------------------------------------------------------------------


def test_two_models_with_the_same_name(proj):
    write(proj, "models/marts/stg_orders.sql", "select 1 as x\n")
    error = error_of(proj)
    check_error(error, ConfigError, file="models/staging/stg_orders.sql", line=1,
                message=("two models are named 'stg_orders'", "models/marts/stg_orders.sql"),
                hint="unique across folders")


def test_two_seeds_with_the_same_name(proj):
    write(proj, "seeds/more/raw_orders.csv", "id\n1\n")
    check_error(error_of(proj), ConfigError, file="seeds/raw_orders.csv", line=1,
                message="two seeds are named 'raw_orders'")


def test_non_utf8_model(proj):
    (proj / "models" / "bad.sql").write_bytes(b"select '\xff' as x\n")
    check_error(error_of(proj), ConfigError, file="models/bad.sql", line=1, message="not UTF-8 text: byte 0xff at column 9")


def test_no_project_file(tmp_path):
    from faborite.config import find_project_root

    with pytest.raises(ConfigError) as info:
        find_project_root(tmp_path)
    assert "no faborite.yml" in info.value.message and "faborite init" in info.value.hint


def test_warnings_for_properties_without_a_model(proj):
    write(proj, "models/extra.yml", "models:\n  - name: ghost\n")
    project = load(proj)
    assert "models/extra.yml:2: properties for model 'ghost', which has no .sql file" in project.warnings


def test_config_line_points_into_faborite_yml(proj):
    project = load(proj)
    assert project.config_line("targets") == line_with(proj, "faborite.yml", "targets:")
    assert project.config_line("targets", "dev", "type") == line_with(proj, "faborite.yml", "type: duckdb")


def test_error_api_shape():
    error = ConfigError("unknown key 'x'", file="faborite.yml", line=3, hint="did you mean 'y'?")
    assert isinstance(error, FaboriteError)
    assert error.location == "faborite.yml:3"
    assert str(error) == "faborite.yml:3: unknown key 'x'\n  hint: did you mean 'y'?"
    assert error.to_dict() == {"kind": "config", "message": "unknown key 'x'", "file": "faborite.yml", "line": 3,
                               "hint": "did you mean 'y'?"}


def test_valid_template_loads(proj):
    manifest = compile_(proj)
    assert {n.name for n in manifest.built_nodes()} >= {"stg_orders", "orders", "raw_orders"}
