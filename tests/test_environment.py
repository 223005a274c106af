"""faborite/environment.py: names of environments, their relations and state keys."""

from __future__ import annotations

import pytest

from faborite.config.project import EnvironmentsConfig
from faborite.environment import (
    check_env_name, env_of_key, env_relation, in_environment, is_fresh, logical_relation, move_nodes, state_key,
)
from faborite.errors import ConfigError
from faborite.relation import Relation
from tests.state.conformance import first_state, make_event, make_node

CONFIG = EnvironmentsConfig()


@pytest.mark.parametrize("name", ["dev", "pr_42", "a", "x" * 40])
def test_good_names(name):
    assert check_env_name(name) == name


@pytest.mark.parametrize("name, why", [("Dev", "invalid"), ("pr-42", "invalid"), ("1dev", "invalid"),
                                       ("x" * 41, "invalid"), ("a@b", "invalid"), ("", "invalid"),
                                       ("prod", "default environment")])
def test_bad_names_say_what_a_name_may_be(name, why):
    with pytest.raises(ConfigError, match=why) as raised:
        check_env_name(name)
    assert raised.value.hint


def test_the_default_environment_keeps_the_target_key_and_names():
    assert state_key("dev", None) == "dev"
    assert env_relation("main.orders", None, CONFIG) == "main.orders"
    assert state_key("dev", "pr_1") == "dev@pr_1"
    assert env_of_key("dev", "dev") is None and env_of_key("dev", "dev@pr_1") == "pr_1"
    assert env_of_key("dev", "prod") is False and env_of_key("dev", "devx@a") is False


@pytest.mark.parametrize("pattern, expected", [("__{env}", "main__ci.orders"), ("_{env}_env", "main_ci_env.orders")])
def test_the_suffix_pattern_renames_the_schema_and_back(pattern, expected):
    config = EnvironmentsConfig(schema_suffix=pattern)
    assert env_relation("main.orders", "ci", config) == expected
    assert logical_relation(expected, "ci", config) == "main.orders"
    assert env_relation("main.a.b", "ci", config).endswith(".a.b")  # a dotted name keeps its dots


def test_a_file_output_path_gets_the_suffix_on_its_last_part():
    assert env_relation("out/orders", "dev", CONFIG) == "out/orders__dev"
    assert logical_relation("out/orders__dev", "dev", CONFIG) == "out/orders"


def test_a_suffix_must_name_the_environment():
    with pytest.raises(ValueError, match="must contain"):
        EnvironmentsConfig(schema_suffix="__dev")


def test_moving_nodes_between_environments_keeps_their_physical_versions():
    node = make_node(relation="main__dev.orders", physical="faborite__main.orders__aaaaaaaaaaaa")
    moved = move_nodes({node.id: node}, "dev", None, CONFIG)[node.id]
    assert moved.relation == "main.orders" and moved.physical == node.physical
    assert move_nodes({node.id: moved}, None, "qa", CONFIG)[node.id].relation == "main__qa.orders"


def test_a_manifest_in_an_environment_has_the_same_versions_and_physical_names(demo):
    from faborite.api import Workspace

    manifest = Workspace.open(demo).compile(write_manifest=False)
    dev = in_environment(manifest, "dev", CONFIG)
    for node_id, node in manifest.nodes.items():
        renamed = dev.nodes[node_id]
        assert renamed.version == node.version
        if node.is_built:
            assert renamed.relation == env_relation(node.relation, "dev", CONFIG)
            assert renamed.logical_relation == node.relation
            assert Relation.parse(renamed.logical_relation).physical(node.version) == \
                Relation.parse(node.relation).physical(node.version)
        else:
            assert renamed == node  # sources are read where they are
    assert in_environment(manifest, None, CONFIG) is manifest


def test_a_deleted_environment_is_fresh_again():
    state = first_state(make_node())
    assert is_fresh(None) and not is_fresh(state)
    emptied = state.next(nodes={}, event=make_event("env-delete"), faborite_version="x")
    assert is_fresh(emptied)
    assert is_fresh(state.next(nodes={}, event=make_event("rollback"), faborite_version="x"))


@pytest.mark.parametrize("sql, expected", [
    ("select * from main.orders", 'SELECT * FROM "main__dev".orders'),
    ("select * from orders o join main.customers c on o.id = c.id",
     'SELECT * FROM "main__dev".orders AS o JOIN "main__dev".customers AS c ON o.id = c.id'),
    # not published in dev yet: still dev's name, so the engine says it is missing (never prod's rows)
    ("select * from main.unknown", 'SELECT * FROM "main__dev".unknown'),
    # a CTE of the same name and another schema are left as written
    ("with orders as (select 1 as id) select * from orders", "with orders as (select 1 as id) select * from orders"),
    ("select * from other.orders", "select * from other.orders"),
])
def test_query_in_an_environment_reads_its_views_by_their_default_names(sql, expected):
    from faborite.environment import query_in_environment

    assert query_in_environment(sql, {"main": "main__dev"}, dialect="duckdb", default_schema="main") == expected
