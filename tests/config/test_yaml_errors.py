"""Bad YAML: one ConfigError at the right file and line, never a yaml traceback."""

from __future__ import annotations

import pytest

from faborite.config.yaml_loader import LineDict, LineList, line_of, load_yaml_text
from faborite.errors import ConfigError
from tests.config.projects import check_error, compile_, edit, error_of, line_with, write

PROJECT = """\
name: demo
targets:
  dev:
    type: duckdb
    path: .faborite/dev.duckdb
models:
  +materialized: view
"""


def _yaml_error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_yaml_text(text, "faborite.yml")
    return info.value


def test_tab_indentation_is_located():
    error = _yaml_error(PROJECT.replace("    type: duckdb", "\ttype: duckdb"))
    check_error(error, ConfigError, file="faborite.yml", line=4, message=("invalid YAML", "'\\t'"),
                hint="indentation")


def test_bad_indentation_is_located():
    error = _yaml_error(PROJECT.replace("    path:", "      path:"))
    check_error(error, ConfigError, file="faborite.yml", line=5, message="mapping values are not allowed here",
                hint="indentation")


def test_unclosed_flow_sequence_is_located():
    text = "models:\n  - name: a\n    tags: [x, y\n  - name: b\n"
    error = _yaml_error(text)
    check_error(error, ConfigError, file="faborite.yml", line=4, message=("invalid YAML", "expected ',' or ']'"))


def test_unclosed_bracket_at_end_of_file_points_at_the_end():
    error = _yaml_error("name: demo\nvars: {a: 1\n")
    assert isinstance(error, ConfigError) and error.file == "faborite.yml"
    assert error.line == 3 and "invalid YAML" in error.message


def test_duplicate_key_is_an_error_at_the_second_key():
    error = _yaml_error(PROJECT + "name: again\n")
    check_error(error, ConfigError, file="faborite.yml", line=8, message="duplicate key 'name'",
                hint="each key may appear once")


def test_duplicate_nested_key():
    error = _yaml_error("models:\n  - name: a\n    description: x\n    description: y\n")
    check_error(error, ConfigError, file="faborite.yml", line=4, message="duplicate key 'description'")


def test_non_scalar_mapping_key_is_refused():
    error = _yaml_error("? [a, b]\n: 1\n")
    assert error.line == 1 and "mapping keys must be plain values" in error.message


# -- through the project loader: the file is named project-relative --------------


def test_bad_yaml_in_project_file(proj):
    edit(proj, "faborite.yml", "    type: duckdb", "\ttype: duckdb")
    check_error(error_of(proj), ConfigError, file="faborite.yml", line=line_with(proj, "faborite.yml", "\ttype"),
                message="invalid YAML")


def test_unclosed_bracket_in_properties_file(proj):
    rel = "models/marts/schema.yml"
    edit(proj, rel, "checks: [not_null, unique]", "checks: [not_null, unique")
    # The parser notices on the next line, where a ':' appears inside the still-open list.
    expected = line_with(proj, rel, "checks: [not_null, unique") + 1
    check_error(error_of(proj), ConfigError, file=rel, line=expected, message="expected ',' or ']'")


def test_duplicate_key_in_properties_file(proj):
    rel = "models/staging/schema.yml"
    edit(proj, rel, "  - name: stg_customers\n", "  - name: stg_customers\n    name: again\n")
    check_error(error_of(proj), ConfigError, file=rel, line=3, message="duplicate key 'name'")


def test_empty_properties_file_is_fine(proj):
    write(proj, "models/empty.yml", "# nothing yet\n")
    assert compile_(proj).find("orders") is not None


def test_properties_file_that_is_a_list(proj):
    write(proj, "models/list.yml", "# a list by mistake\n- name: orders\n")
    check_error(error_of(proj), ConfigError, file="models/list.yml", line=2,
                message="a properties file must be a mapping", hint="models:")


def test_project_file_that_is_a_list(proj):
    write(proj, "faborite.yml", "- name: demo\n")
    check_error(error_of(proj), ConfigError, file="faborite.yml", line=1, message="must be a mapping")


def test_non_utf8_yaml(proj):
    (proj / "models" / "bad.yml").write_bytes(b"models:\n  - name: \xff\n")
    check_error(error_of(proj), ConfigError, file="models/bad.yml", line=2, message="not UTF-8 text: byte 0xff at column 11")


# -- line_of ----------------------------------------------------------------------


def test_loader_records_lines_of_keys_and_items():
    data = load_yaml_text("a: 1\nb:\n  - x\n  - y: 2\n    z: 3\n", "f.yml")
    assert isinstance(data, LineDict) and isinstance(data["b"], LineList)
    assert data.key_lines == {"a": 1, "b": 2}
    assert data["b"].item_lines == [3, 4]
    assert data["b"][1].key_lines == {"y": 4, "z": 5}


def test_line_of_follows_a_path():
    data = load_yaml_text("a: 1\nb:\n  - x\n  - y: 2\n    z: 3\n", "f.yml")
    assert line_of(data, ("a",)) == 1
    assert line_of(data, ("b", 1, "z")) == 5
    assert line_of(data, ("b", 0)) == 3
    # An unknown part stops at the deepest known line.
    assert line_of(data, ("b", 1, "nope")) == 4
    assert line_of(data, ("missing",)) == 1


def test_line_of_a_list_valued_key_is_the_key_line():
    # 'columns:' on line 2, its first item on line 3: an error about the key is reported on line 2.
    data = load_yaml_text("name: x\ncolums:\n  - name: a\n", "f.yml")
    assert line_of(data, ("colums",)) == 2
