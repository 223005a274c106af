"""``dbt_project.yml`` read as a faborite project config (a folder with no ``faborite.yml``).

The file becomes the mapping ``faborite.yml`` would hold, so the loader and
everything after it run unchanged:

- ``name``, ``vars`` (global, and those scoped to the project), every folder of
  ``model-paths``/``seed-paths``/``macro-paths`` (the first is ``paths:``'s, the
  loader reads the others too);
- ``models:``/``seeds:`` under the project's name become folder defaults:
  ``+key`` and plain ``key`` (dbt accepts both), Jinja in values rendered
  (``+enabled: "{{ var('x', false) }}"``; as in dbt, ``var()`` there sees ``--vars``
  only), keys faborite does not use
  dropped and named once in a note;
- the profile's outputs become targets (:mod:`faborite.dbt.profiles`);
- ``on-run-start``/``on-run-end`` are reported, not run;
  ``require-dbt-version`` and dbt's run settings are ignored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faborite.config.yaml_loader import LineDict, load_yaml_file
from faborite.errors import ConfigError

DBT_PROJECT_FILE = "dbt_project.yml"

#: Every model/seed/snapshot/test config key dbt documents: how a folder-defaults key without ``+``
#: is told from a sub-folder (dbt's own rule). Keys faborite uses are those of its config models.
DBT_CONFIG_KEYS = frozenset({
    "access", "alias", "batch_size", "begin", "bind", "catalog", "column_types", "concurrent_batches",
    "contract", "database", "delimiter", "deprecation_date", "docs", "enabled", "event_time",
    "file_format", "full_refresh", "grant_access_to", "grants", "group", "hours_to_expiration",
    "incremental_predicates", "incremental_strategy", "indexes", "labels", "location_root", "lookback",
    "materialized", "merge_exclude_columns", "merge_update_columns", "meta", "on_configuration_change",
    "on_schema_change", "options", "partition_by", "cluster_by", "persist_docs", "post-hook", "pre-hook",
    "post_hook", "pre_hook", "quote_columns", "quoting", "schema", "sql_header", "tags", "transient",
    "unique_key", "unlogged", "copy_grants", "snapshot_meta_column_names", "strategy", "updated_at",
    "check_cols", "invalidate_hard_deletes", "hard_deletes", "target_schema", "target_database",
    "dbt_valid_to_current", "severity", "where", "warn_if", "error_if", "store_failures", "limit",
    "fail_calc", "store_failures_as", "protect", "schedule", "owner", "deprecated",
})
#: Top-level keys read here; any other key of ``dbt_project.yml`` is dbt's run settings, ignored.
_RUN_HOOKS = ("on-run-start", "on-run-end")


@dataclass
class DbtProject:
    """A dbt project folder, read: the config faborite.yml would hold, and what else the loader needs."""

    name: str
    raw: LineDict
    #: Folder-defaults trees of the project's ``models:`` and ``seeds:`` by package name (the project's own too).
    model_trees: dict[str, Any] = field(default_factory=dict)
    seed_trees: dict[str, Any] = field(default_factory=dict)
    test_paths: tuple[str, ...] = ("tests",)
    analysis_paths: tuple[str, ...] = ("analyses",)
    snapshot_paths: tuple[str, ...] = ("snapshots",)
    macro_paths: tuple[str, ...] = ("macros",)
    #: Every ``model-paths``/``seed-paths`` folder: the first is ``paths.models``/``paths.seeds``, the
    #: loader reads the others too.
    model_paths: tuple[str, ...] = ("models",)
    seed_paths: tuple[str, ...] = ("seeds",)
    packages_path: str = "dbt_packages"
    #: ``snapshots:`` of dbt_project.yml for the project, as written (its keys are passed to each snapshot's
    #: ``config()``, so legacy ``target_schema`` keeps its meaning).
    snapshot_tree: dict[str, Any] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)
    #: ``vars:`` of dbt_project.yml as written (scopes included), and each vendored package's own.
    raw_vars: dict[str, Any] = field(default_factory=dict)
    packages: list[Any] = field(default_factory=list)
    #: One line each, for the user: what was read differently or not at all.
    notes: list[str] = field(default_factory=list)
    #: Config keys dropped because faborite does not use them, with how often.
    dropped_keys: Counter = field(default_factory=Counter)
    #: Renders Jinja in config values (packages' trees are rendered with it too). Used while loading.
    render: Any = None

    def __getstate__(self) -> dict[str, Any]:
        # The renderer holds the process environment (secrets: never written into a cache) and a Jinja
        # environment; it is only needed while loading, so a pickled project (the compile-skip cache)
        # comes back without it. The Counter travels as a plain dict: that cache builds only plain data.
        return {**self.__dict__, "render": None, "dropped_keys": dict(self.dropped_keys)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, dropped_keys=Counter(state.get("dropped_keys") or {}))


def is_dbt_project(root: Path) -> bool:
    """Whether ``root`` holds a ``dbt_project.yml``."""
    return (root / DBT_PROJECT_FILE).is_file()


def read_dbt_project(root: Path, *, profile: str | None = None, environ: Mapping[str, str],
                     vars_override: Mapping[str, Any] | None = None) -> DbtProject:
    """Translate ``root/dbt_project.yml`` (and its profile) into a :class:`DbtProject`."""
    from faborite.dbt.profiles import profile_targets

    data = load_yaml_file(root / DBT_PROJECT_FILE, DBT_PROJECT_FILE)
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise ConfigError("dbt_project.yml must be a mapping with a `name:`", file=DBT_PROJECT_FILE, line=1,
                          hint="e.g. `name: my_project` and `profile: my_project`")
    name = data["name"]
    notes: list[str] = []
    project_vars = _project_vars(data.get("vars"), name)
    targets, default = profile_targets(root, profile or data.get("profile"), environ=environ, notes=notes)
    # As in dbt, dbt_project.yml is rendered before its own `vars:` exist: var() there sees --vars only.
    render = _ValueRenderer(dict(vars_override or {}), environ, default, targets.get(default, {}))
    dbt = DbtProject(name=name, raw=LineDict(), notes=notes, vars=project_vars,
                     raw_vars=dict(data["vars"]) if isinstance(data.get("vars"), dict) else {},
                     test_paths=_paths(data, "test-paths", "tests") + _paths(data, "data-test-paths", "data-tests"),
                     analysis_paths=_paths(data, "analysis-paths", "analyses"),
                     snapshot_paths=_paths(data, "snapshot-paths", "snapshots"),
                     macro_paths=_paths(data, "macro-paths", "macros"),
                     packages_path=str(data.get("packages-install-path") or "dbt_packages"), render=render)
    for section, trees in (("models", dbt.model_trees), ("seeds", dbt.seed_trees)):
        tree = data.get(section) or {}
        if not isinstance(tree, dict):
            continue
        for package, subtree in tree.items():
            if isinstance(package, str) and package.startswith("+"):
                # Config for every project and package: applies to the project's root folder.
                trees.setdefault(name, {})[package] = subtree
            elif isinstance(subtree, dict):
                trees[str(package)] = {**trees.get(str(package), {}), **subtree}
        for package in list(trees):
            trees[package] = folder_tree(trees[package], render, dbt.dropped_keys, f"{section}.{package}")
    snapshots = data.get("snapshots")
    if isinstance(snapshots, dict):
        dbt.snapshot_tree = {**{k: v for k, v in snapshots.items() if str(k).startswith("+")},
                             **(snapshots.get(name) if isinstance(snapshots.get(name), dict) else {})}
    for hook in _RUN_HOOKS:
        if data.get(hook):
            count = len(data[hook]) if isinstance(data[hook], list) else 1
            notes.append(f"dbt_project.yml: {hook} ({count} statement(s)) is not run by faborite")
    dbt.model_paths = model_paths = _paths(data, "model-paths", "models")
    dbt.seed_paths = seed_paths = _paths(data, "seed-paths", "seeds")
    raw = dbt.raw
    raw.update({
        "name": _identifier(name), "vars": project_vars, "targets": targets, "target": default,
        "paths": {"models": model_paths[0], "seeds": seed_paths[0], "macros": dbt.macro_paths[0]},
        "models": dbt.model_trees.get(name, {}), "seeds": dbt.seed_trees.get(name, {}),
    })
    raw.line = 1
    raw.key_lines = {key: getattr(data, "key_lines", {}).get(key, 1) for key in raw}
    return dbt


def input_folders(root: Path) -> tuple[list[str], list[tuple[str, tuple[str, ...]]]]:
    """``(files, [(folder, suffixes)])`` a dbt project's load reads, for hashing (read leniently:
    a broken ``dbt_project.yml`` means default folders, and its own hash has changed then)."""
    import yaml

    try:
        data = yaml.safe_load((root / DBT_PROJECT_FILE).read_text(encoding="utf-8")) or {}
    except Exception:  # noqa: BLE001  (unreadable or invalid: default folders)
        data = {}
    data = data if isinstance(data, dict) else {}
    sql_yaml = (".sql", ".yml", ".yaml")
    folders = [(f, sql_yaml) for f in _paths(data, "model-paths", "models")]
    folders += [(f, (".csv", ".yml", ".yaml")) for f in _paths(data, "seed-paths", "seeds")]
    folders += [(f, (".sql",)) for key, default in (("macro-paths", "macros"), ("test-paths", "tests"),
                                                   ("analysis-paths", "analyses"), ("snapshot-paths", "snapshots"))
                for f in _paths(data, key, default)]
    folders.append((str(data.get("packages-install-path") or "dbt_packages"), (*sql_yaml, ".csv")))
    return [DBT_PROJECT_FILE, "profiles.yml"], folders


def _identifier(name: str) -> str:
    return name if name.replace("_", "").replace("-", "").isalnum() else "dbt_project"


def _paths(data: Mapping[str, Any], key: str, default: str) -> tuple[str, ...]:
    value = data.get(key)
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value:
        return tuple(str(v) for v in value)
    return (default,)


def _project_vars(raw: Any, name: str) -> dict[str, Any]:
    """Global vars, then those scoped to the project (dbt: ``vars: {my_project: {x: 1}}``)."""
    if not isinstance(raw, dict):
        return {}
    scoped = raw.get(name) if isinstance(raw.get(name), dict) else {}
    return {**{k: v for k, v in raw.items() if k != name}, **scoped}


def usable_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """A model's ``config(...)`` keys faborite reads; dbt's others (``post_hook``, ``grants`` ...) dropped."""
    from faborite.config.node_config import ModelConfig

    usable = {f.alias or n for n, f in ModelConfig.model_fields.items()}
    config = dict(config)
    if config.get("target_schema"):  # a snapshot's schema before dbt 1.9; dbt lets it win over `schema`
        config["schema"] = config.pop("target_schema")
    return {key: value for key, value in config.items() if key in usable}


def folder_tree(tree: Any, render: "_ValueRenderer", dropped: Counter, where: str) -> dict[str, Any]:
    """A dbt folder-config tree as faborite folder defaults: ``+`` on every config key, Jinja rendered,
    keys faborite's config models do not know dropped (counted in ``dropped``)."""
    from faborite.config.node_config import ModelConfig, SeedConfig

    usable = {f.alias or n for model in (ModelConfig, SeedConfig) for n, f in model.model_fields.items()}
    result: dict[str, Any] = {}
    if not isinstance(tree, dict):
        return result
    for key, value in tree.items():
        key = str(key)
        bare = key[1:] if key.startswith("+") else key
        if key.startswith("+") or bare in DBT_CONFIG_KEYS:
            if bare.replace("-", "_") not in usable:
                dropped[bare] += 1
                continue
            value = render(value, f"{where}.{key}")
            result["+" + bare] = [value] if bare == "tags" and isinstance(value, str) else value  # dbt: one tag
        else:
            result[key] = folder_tree(value, render, dropped, f"{where}.{key}")
    return result


class _ValueRenderer:
    """Renders Jinja in a config value the way dbt does at parse time: ``var``, ``env_var``, ``target``."""

    def __init__(self, project_vars: Mapping[str, Any], environ: Mapping[str, str], target_name: str | None,
                 target_block: Mapping[str, Any]) -> None:
        self.vars, self.environ = project_vars, environ
        self.target = {"name": target_name, "type": target_block.get("type"),
                       "schema": target_block.get("schema") or target_block.get("database")}
        self._env = None

    def __call__(self, value: Any, where: str) -> Any:
        if isinstance(value, list):
            return [self(v, where) for v in value]
        if isinstance(value, dict):
            return {k: self(v, where) for k, v in value.items()}
        if not isinstance(value, str) or ("{{" not in value and "{%" not in value):
            return value
        import yaml

        try:
            text = self.env().from_string(value).render()
        except ConfigError:
            raise
        except Exception as exc:  # noqa: BLE001  (any Jinja error: one located message)
            raise ConfigError(f"{where}: cannot render {value!r}: {exc}", file=DBT_PROJECT_FILE,
                              hint="config values may use var(), env_var() and target") from None
        try:
            return yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError:
            return text

    def env(self):
        if self._env is None:
            from jinja2.sandbox import ImmutableSandboxedEnvironment

            env = ImmutableSandboxedEnvironment()
            env.globals.update(var=self._var, env_var=self._env_var, target=self.target)
            self._env = env
        return self._env

    def _var(self, name: str, default: Any = ...) -> Any:
        if name in self.vars:
            return self.vars[name]
        if default is ...:
            raise ConfigError(f"var({name!r}) in dbt_project.yml has no value", file=DBT_PROJECT_FILE,
                              hint=f"pass --vars '{{{name}: ...}}' or give a default: var({name!r}, ...) "
                                   "(dbt_project.yml's own vars are not yet defined where it is rendered)")
        return default

    def _env_var(self, name: str, default: Any = ...) -> Any:
        if name in self.environ:
            return self.environ[name]
        if default is ...:
            raise ConfigError(f"environment variable {name} is not set (read by dbt_project.yml)",
                              file=DBT_PROJECT_FILE, hint=f"export {name}=..., or give a default")
        return default
