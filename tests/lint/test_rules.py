"""Each lint rule on a project that trips it, with file:line; disabling rules in faborite.yml."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from faborite.api import Workspace
from faborite.errors import ConfigError
from faborite.lint import RULES
from faborite.lint.finding import LintContext
from faborite.lint.rules_models import refs_to_deprecated

SOURCES = """sources:
  - name: raw
    schema: landing
    tables:
      - name: events
      - name: never_read
"""


def _findings(root: Path, code: str) -> list:
    return [f for f in Workspace.open(root).lint().findings if f.code == code]


def _model(root: Path, path: str, text: str) -> None:
    (root / "models" / path).write_text(text)


def test_the_template_only_lacks_checks_on_one_model(demo: Path) -> None:
    findings = Workspace.open(demo).lint().findings
    assert [(f.code, f.file, f.line) for f in findings] == [("FAB004", "models/marts/schema.yml", 18)]


def test_select_star_from_a_source_and_unused_source_tables(demo: Path) -> None:
    (demo / "sources").mkdir()
    (demo / "sources" / "raw.yml").write_text(SOURCES)
    _model(demo, "events.sql", "select\n  *\nfrom {{ source('raw', 'events') }}\n")
    _model(demo, "qualified.sql", "select e.* from {{ ref('events') }} x join {{ source('raw', 'events') }} e on true\n")
    star = _findings(demo, "FAB001")
    assert [(f.file, f.line) for f in star] == [("models/events.sql", 3), ("models/qualified.sql", 1)]
    assert "raw.events" in star[0].message and "list the columns" in star[0].hint
    unused = _findings(demo, "FAB002")
    assert [(f.file, f.line, f.message) for f in unused] == [
        ("sources/raw.yml", 6, "source table raw.never_read is read by no model")]


def test_star_from_a_model_or_qualified_to_another_table_is_fine(demo: Path) -> None:
    (demo / "sources").mkdir()
    (demo / "sources" / "raw.yml").write_text(SOURCES.replace("      - name: never_read\n", ""))
    _model(demo, "events.sql", "select e.id from {{ source('raw', 'events') }} e\n")
    _model(demo, "all_events.sql", "select x.* from {{ ref('events') }} x join {{ source('raw', 'events') }} e on true\n")
    assert _findings(demo, "FAB001") == []


def test_star_from_a_files_source(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "models").mkdir(parents=True)
    (root / "sources").mkdir()
    (root / "faborite.yml").write_text("name: p\n")
    (root / "sources" / "raw.yml").write_text(
        "sources:\n  - name: raw\n    type: files\n    tables:\n      - name: users\n        path: data/users.csv\n")
    (root / "data").mkdir()
    (root / "data" / "users.csv").write_text("id\n1\n")
    (root / "models" / "users.sql").write_text("select * from {{ source('raw', 'users') }}\n")
    assert [(f.file, f.line) for f in _findings(root, "FAB001")] == [("models/users.sql", 1)]


def test_unused_macros(demo: Path) -> None:
    (demo / "macros" / "more.sql").write_text(
        "{% macro helper(x) %}{{ x }}{% endmacro %}\n\n{% macro nobody() %}\n1\n{% endmacro %}\n"
        "{% macro via_helper() %}{{ helper(1) }}{% endmacro %}\n")
    _model(demo, "uses.sql", "select {{ via_helper() }} as one\n")
    found = _findings(demo, "FAB003")
    assert [(f.file, f.line, f.message) for f in found] == [("macros/more.sql", 3, "macro 'nobody' is called nowhere")]


def test_models_without_checks_point_at_their_entry_or_file(demo: Path) -> None:
    _model(demo, "bare.sql", "select 1 as one\n")
    found = {(f.file, f.line) for f in _findings(demo, "FAB004")}
    assert found == {("models/marts/schema.yml", 18), ("models/bare.sql", 1)}


def test_ambiguous_columns_in_joins(demo: Path) -> None:
    _model(demo, "joined.sql", "select\n  o.id,\n  status,\n  name,\n  id as again\n"
                               "from {{ ref('stg_orders') }} o\njoin {{ ref('stg_customers') }} c on c.id = o.customer_id\n")
    found = _findings(demo, "FAB005")
    assert [(f.file, f.line) for f in found] == [("models/joined.sql", 5)]
    assert found[0].message == "column 'id' in model 'joined' is in both o and c"
    assert found[0].hint == "qualify it: o.id"


def test_using_columns_aliases_and_single_tables_are_not_ambiguous(demo: Path) -> None:
    _model(demo, "fine.sql", "select id, status as s from {{ ref('stg_orders') }} o "
                             "join {{ ref('stg_customers') }} c using (id) order by s\n")
    assert _findings(demo, "FAB005") == []


def test_unknown_columns_may_be_ambiguous(demo: Path) -> None:
    (demo / "sources").mkdir()
    (demo / "sources" / "raw.yml").write_text(SOURCES)
    _model(demo, "x.sql", "select kind from {{ source('raw', 'events') }} e join {{ source('raw', 'never_read') }} n on true\n")
    found = _findings(demo, "FAB005")
    assert [f.message for f in found] == ["column 'kind' in model 'x' could come from any of e, n"]


def test_refs_to_deprecated_models(demo: Path) -> None:
    _model(demo, "old.sql", "{{ config(deprecation_date='2020-01-01') }}\nselect 1 as id\n")
    _model(demo, "later.sql", "{{ config(deprecation_date='2999-01-01') }}\nselect 1 as id\n")
    _model(demo, "flagged.sql", "{{ config(deprecated=true) }}\nselect 1 as id\n")
    _model(demo, "reader.sql", "select *\nfrom {{ ref('old') }}\nunion all select * from {{ ref('later') }}\n"
                               "union all select * from {{ ref('flagged') }}\n")
    found = sorted((f.line, f.message) for f in _findings(demo, "FAB006"))
    assert found == [(2, "model 'reader' reads 'old', which is deprecated since 2020-01-01"),
                     (3, "model 'reader' reads 'later', which will be deprecated on 2999-01-01"),
                     (4, "model 'reader' reads 'flagged', which is deprecated")]


def test_deprecation_is_in_no_fingerprint(demo: Path) -> None:
    before = Workspace.open(demo).compile(write_manifest=False).nodes["model.orders"]
    path = demo / "models" / "marts" / "orders.sql"
    path.write_text(path.read_text().replace('tags=["daily"]', 'tags=["daily"], deprecated=true'))
    after = Workspace.open(demo).compile(write_manifest=False).nodes["model.orders"]
    assert after.deprecated and (after.data_hash, after.metadata_hash) == (before.data_hash, before.metadata_hash)


def test_the_deprecation_date_compares_with_today(demo: Path) -> None:
    _model(demo, "old.sql", "{{ config(deprecation_date='2030-01-01') }}\nselect 1 as id\n")
    _model(demo, "reader.sql", "select id from {{ ref('old') }}\n")
    ws = Workspace.open(demo)
    ctx = LintContext(project=ws.project, manifest=ws.compile(write_manifest=False))
    [finding] = refs_to_deprecated(ctx, today=datetime.date(2031, 1, 1))
    assert "deprecated since 2030-01-01" in finding.message


def test_rules_are_disabled_in_faborite_yml(demo: Path) -> None:
    config = demo / "faborite.yml"
    config.write_text(config.read_text() + "\nlint:\n  disable: [FAB004]\n")
    report = Workspace.open(demo).lint()
    assert report.findings == () and report.disabled == ("FAB004",)


def test_an_unknown_rule_code_is_an_error(demo: Path) -> None:
    config = demo / "faborite.yml"
    config.write_text(config.read_text() + "\nlint:\n  disable: [FAB04]\n")
    with pytest.raises(ConfigError, match="no rule 'FAB04'") as info:
        Workspace.open(demo).lint()
    assert info.value.file == "faborite.yml" and info.value.line and "FAB004" in (info.value.hint or "")


def test_rule_codes_are_unique_and_in_order() -> None:
    codes = [rule.code for rule in RULES]
    assert codes == sorted(set(codes))


def test_yaml_keys_name_first_and_nested_lists_last(demo: Path) -> None:
    (demo / "models" / "more.yml").write_text(
        "models:\n"
        "  - description: no name first\n"
        "    name: orders\n"
        "  - name: customers\n"
        "    columns:\n"
        "      - name: id\n"
        "        checks: [not_null]\n"
        "        description: after its checks\n"
        "    description: after the columns\n"
        "  - name: daily_revenue\n"
        "    description: fine\n"
        "    config: {tags: [x]}\n"
        "    checks: []\n"
        "    columns: []\n")
    (demo / "models" / "marts" / "schema.yml").unlink()  # the same models are described there
    found = [(f.file, f.line, f.message) for f in _findings(demo, "FAB007")]
    assert found == [
        ("models/more.yml", 3, "model 'orders': key 'name' comes after 'description'"),
        ("models/more.yml", 8, "column 'id': key 'description' comes after 'checks'"),
        ("models/more.yml", 9, "model 'customers': key 'description' comes after 'columns'"),
    ]


def test_ctes_count_only_where_they_are_read(demo: Path) -> None:
    _model(demo, "ctes.sql", "with a as (select id, status from {{ ref('stg_orders') }}),\n"
                             "b as (select id from {{ ref('stg_customers') }} union all select 1)\n"
                             "select id from b")
    _model(demo, "both.sql", "with a as (select id, status from {{ ref('stg_orders') }}),\n"
                             "b as (select id from {{ ref('stg_customers') }} union all select 1)\n"
                             "select status,\n id from a join b on a.id = b.id")
    found = _findings(demo, "FAB005")
    assert [(f.file, f.line, f.message) for f in found] == [
        ("models/both.sql", 4, "column 'id' in model 'both' is in both a and b")]
