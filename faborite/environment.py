"""Environments: isolated virtual layers over one shared physical layer.

An environment (``--env dev``) publishes every node under its own virtual
schema (``<schema>__dev``, the ``environments: {schema_suffix: ...}`` pattern
of faborite.yml) and keeps its own state lineage, stored beside the target's
under the key ``<target>@<env>`` in whatever backend the target uses. Physical
relations are named by version only (:meth:`Relation.physical`), so two
environments holding the same version share one physical relation: a dev
environment made from prod builds only what differs.

The promises kept here:

- the default environment (no ``--env``) is exactly faborite without
  environments: same state key, same relation names, same bytes;
- an environment's manifest has the same versions as the default one (the
  rename happens after fingerprinting), and SQL still reads the names it was
  written with (:attr:`Node.sql_relation`), which apply maps to physical
  relations as before;
- a new (or deleted) environment is planned against the default
  environment's latest state, renamed into the environment (:func:`rename_state`).
"""

from __future__ import annotations

import re

from faborite.config.project import EnvironmentsConfig
from faborite.errors import ConfigError
from faborite.relation import Relation

#: Separates a target from its environment in a state key (``dev@pr_42``); not allowed in an env name.
KEY_SEPARATOR = "@"
#: What an environment name may be: it becomes part of schema names and state keys.
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: What the default environment is called where one needs a name (``env list``, ``env diff prod dev``).
DEFAULT_NAME = "prod"
#: The event operation that marks an environment deleted (``env delete``).
DELETE_OPERATION = "env-delete"


def check_env_name(name: str, *, default_name: str = DEFAULT_NAME) -> str:
    """``name`` if it can name an environment; else a :class:`ConfigError` saying what can."""
    if NAME_PATTERN.match(name) and name != default_name:
        return name
    if name == default_name:
        raise ConfigError(f"{name!r} is the default environment's name",
                          hint=f"omit --env to act on {name}; pick another name for a new environment")
    raise ConfigError(f"invalid environment name {name!r}",
                      hint="use 1-40 lowercase letters, digits and '_', starting with a letter (e.g. dev, pr_42)")


def state_key(target: str, env: str | None) -> str:
    """Where an environment's state lives in its target's backend: the target name, or ``<target>@<env>``."""
    return target if env is None else f"{target}{KEY_SEPARATOR}{env}"


def env_of_key(target: str, key: str) -> str | None | bool:
    """The environment a state key belongs to (None: the default), or False when it is another target's."""
    if key == target:
        return None
    prefix = target + KEY_SEPARATOR
    return key[len(prefix):] if key.startswith(prefix) else False


def env_relation(relation: str, env: str | None, config: EnvironmentsConfig) -> str:
    """The virtual relation ``relation`` (``schema.name`` or ``catalog.schema.name``) has in ``env``."""
    if env is None:
        return relation
    suffix = config.schema_suffix.format(env=env)
    if _is_path(relation):
        return relation.rstrip("/") + suffix  # a file output's published path: out/orders -> out/orders__dev
    parsed = Relation.parse(relation)  # as publish reads it: the schema is what comes before the first dot
    return parsed.model_copy(update={"schema_name": parsed.schema_name + suffix}).key


def _is_path(relation: str) -> bool:
    # A sync writing files publishes a path (a symlink), not a relation: it has a slash and no schema.
    return "/" in relation or "." not in relation


def logical_relation(relation: str, env: str | None, config: EnvironmentsConfig) -> str:
    """The inverse of :func:`env_relation`: the name ``relation``, published in ``env``, has in the default
    environment (``env promote`` renames one environment's nodes into another through it)."""
    if env is None:
        return relation
    suffix = config.schema_suffix.format(env=env)
    if _is_path(relation):
        return relation[: -len(suffix)] if relation.endswith(suffix) else relation
    parsed = Relation.parse(relation)
    if not parsed.schema_name.endswith(suffix):
        return relation  # published before the suffix pattern changed: nothing to strip
    return parsed.model_copy(update={"schema_name": parsed.schema_name[: -len(suffix)]}).key


def move_nodes(nodes, source: str | None, dest: str | None, config: EnvironmentsConfig) -> dict:
    """State ``nodes`` published in environment ``source``, renamed to be published in ``dest``."""
    return {i: n.model_copy(update={"relation": env_relation(logical_relation(n.relation, source, config), dest,
                                                             config)})
            for i, n in nodes.items()}


def in_environment(manifest, env: str | None, config: EnvironmentsConfig):
    """``manifest`` as published in ``env``: every built node's ``relation`` renamed, its
    ``sql_relation`` keeping the name SQL reads it by; versions untouched. Default env: unchanged."""
    if env is None:
        return manifest
    nodes = {}
    for node_id, node in manifest.nodes.items():
        if node.is_built:
            node = node.model_copy(update={"relation": env_relation(node.relation, env, config),
                                           "sql_relation": node.relation})
        nodes[node_id] = node
    return manifest.model_copy(update={"nodes": nodes})


def rename_state(state, env: str | None, config: EnvironmentsConfig):
    """The default environment's ``state`` with its nodes' relations renamed into ``env``
    (what a new environment is planned against); physical relations unchanged."""
    if state is None or env is None:
        return state
    return state.model_copy(update={"nodes": move_nodes(state.nodes, None, env, config)})


def is_fresh(state) -> bool:
    """Whether an environment's state publishes nothing: never applied, deleted (or rolled back to
    before its first apply). Its next plan starts from the default environment again."""
    return state is None or not state.nodes


def query_in_environment(sql: str, schemas: dict[str, str], *, dialect: str, default_schema: str) -> str:
    """``sql`` (a user's query) reading an environment's views by the names the default environment
    uses: ``schemas`` maps each virtual schema to the environment's (``main`` -> ``main__dev``), so
    ``query --env dev "select * from main.orders"`` reads ``main__dev.orders``, and a relation dev has
    not published is reported missing rather than read from prod. An unqualified name is taken to be
    in ``default_schema``; CTEs and other schemas stay as written. Unchanged when nothing matches."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read=dialect)
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    changed = False
    for table in tree.find_all(exp.Table):
        if table.catalog or not table.name or (not table.db and table.name in ctes):
            continue
        renamed = schemas.get(table.db or default_schema)
        if renamed is not None:
            table.set("db", exp.to_identifier(renamed, quoted=True))
            changed = True
    return tree.sql(dialect=dialect) if changed else sql
