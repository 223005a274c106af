"""YAML formatting: canonical indents and key order, comments kept, data unchanged, stable."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from faborite.fmt.yaml_format import format_yaml_text

MESSY = """\
# Extra docs
models:
    -   description: "Orders, one row each"   # why
        name: orders_doc_only
        columns:
            - checks: [not_null]
              name: id   # the key
        config: {tags: [x]}
"""


def test_a_messy_properties_file_gets_canonical_indents_and_key_order_with_its_comments():
    outcome = format_yaml_text(MESSY, "models/extra.yml", properties=True)
    assert outcome.status == "formatted"
    lines = outcome.text.splitlines()
    assert lines[0] == "# Extra docs"
    assert lines[2].startswith("  - name: orders_doc_only")
    assert lines[3].startswith('    description: "Orders, one row each"') and lines[3].endswith("# why")
    assert lines[4] == "    config: {tags: [x]}" and lines[5] == "    columns:"
    assert lines[6].startswith("      - name: id") and lines[6].endswith("# the key")
    assert yaml.safe_load(outcome.text) == yaml.safe_load(MESSY)
    assert format_yaml_text(outcome.text, "models/extra.yml", properties=True).status == "unchanged"


def test_project_files_keep_their_key_order():
    text = "targets:\n    dev: {type: duckdb}\nname: demo\n"
    outcome = format_yaml_text(text, "faborite.yml", properties=False)
    assert outcome.text == "targets:\n  dev: {type: duckdb}\nname: demo\n"


def test_a_file_whose_comment_would_be_lost_is_left_as_it_is():
    text = "models:\n  - name: a\n    config:\n      tags: [a,  # c\n             b]\n"
    outcome = format_yaml_text(text, "m.yml", properties=True)
    assert outcome.status == "skipped" and "comment" in outcome.reason and outcome.text == text


def test_a_file_that_does_not_parse_is_skipped_not_an_error():
    outcome = format_yaml_text("models: [\n", "m.yml", properties=True)
    assert outcome.status == "skipped" and outcome.text == "models: [\n"


_names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
_column = st.fixed_dictionaries({"name": _names}, optional={
    "description": st.text(alphabet="abc xyz,.'", max_size=20),
    "checks": st.just(["not_null"]),
})
_model = st.fixed_dictionaries({"name": _names}, optional={
    "description": st.text(alphabet="abc xyz#:", max_size=30),
    "config": st.fixed_dictionaries({}, optional={"materialized": st.sampled_from(["view", "table"]),
                                                  "tags": st.lists(_names, max_size=2)}),
    "columns": st.lists(_column, max_size=3),
    "meta": st.dictionaries(_names, st.integers(), max_size=2),
})


@settings(max_examples=60, deadline=None)
@given(models=st.lists(_model, min_size=1, max_size=3), indent=st.sampled_from([2, 4]),
       shuffle=st.randoms(use_true_random=False))
def test_any_properties_file_formats_to_the_same_data_stably(models, indent, shuffle):
    shuffled = []
    for model in models:
        items = list(model.items())
        shuffle.shuffle(items)
        shuffled.append(dict(items))
    text = "# docs\n" + yaml.safe_dump({"models": shuffled}, sort_keys=False, indent=indent)
    outcome = format_yaml_text(text, "models/p.yml", properties=True)
    assert outcome.status in ("formatted", "unchanged"), outcome.reason
    assert yaml.safe_load(outcome.text) == yaml.safe_load(text)
    assert outcome.text.startswith("# docs\n")
    assert format_yaml_text(outcome.text, "models/p.yml", properties=True).text == outcome.text
    for model in yaml.safe_load(outcome.text)["models"]:
        keys = list(model)
        assert keys[0] == "name" and keys.index("columns") == len(keys) - 1 if "columns" in keys else True


def test_a_one_key_mapping_in_a_flow_list_keeps_its_braces():
    text = "models:\n  - name: a\n    columns:\n      - name: plan\n        checks: [not_null, {accepted_values: {values: [free, pro]}}]\n"
    assert format_yaml_text(text, "m.yml", properties=True).status == "unchanged"
