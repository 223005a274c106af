"""``faborite import dbt PATH OUT``: a dbt project converted into a native faborite project.

For teams leaving dbt. The dbt project is loaded exactly as ``faborite plan``
reads it in place (so what converts is what already works), then written out:

- ``faborite.yml`` from ``dbt_project.yml`` and the profile: name, vars,
  targets (``env_var()`` calls kept, never their values), folder defaults of
  the project and of its packages (under ``models/<package>/``);
- models, seeds and macros copied; ``{% test %}`` blocks as the macros they
  are; packages' models and macros under ``dbt_packages/<package>/`` of
  ``models/`` and ``macros/``, where they keep their namespace (a package's
  macros are ``<package>.x``, and its models call them unqualified);
- properties files rewritten with only what faborite reads, dbt tests as
  checks, singular tests as ``sql`` checks of the model they test.

Snapshots become models with ``materialized='snapshot'`` under ``models/snapshots/``.
Analyses, hooks and everything else faborite does not read are
listed in the returned notes, not converted.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from faborite.errors import ConfigError


def import_dbt_project(source: Path, destination: Path, *, profile: str | None = None) -> list[str]:
    """Write the native faborite project for the dbt project in ``source`` into ``destination``.

    Returns the notes: what was not converted, one line each.
    """
    from faborite.config.loader import load_project

    source, destination = Path(source).resolve(), Path(destination)
    if not (source / "dbt_project.yml").is_file():
        raise ConfigError(f"no dbt_project.yml in {source}", hint="pass the folder holding dbt_project.yml")
    if (source / "faborite.yml").is_file():
        raise ConfigError(f"{source} already has a faborite.yml", hint="it is a faborite project already")
    if destination.exists() and any(destination.iterdir()):
        raise ConfigError(f"{destination} already exists and is not empty", hint="choose a new directory")
    project = load_project(source, profile=profile)
    notes = list(project.warnings)
    destination.mkdir(parents=True, exist_ok=True)
    for model in project.models:
        if model.defaults.get("materialized") == "snapshot" and (not model.path.endswith(".sql") or not any(
                model.path.startswith(f"{folder}/") for folder in project.dbt.model_paths)):
            # A `{% snapshot %}` block, or a YAML snapshot, becomes a model of its own, materialized as a snapshot.
            target = destination / "models" / "snapshots" / f"{model.name}.sql"
            target.parent.mkdir(parents=True, exist_ok=True)
            # dbt < 1.9's target_schema is the schema as written: faborite's `schema`, which the naming
            # macro below keeps as written for snapshots.
            text = _TARGET_SCHEMA.sub("schema=", model.text.lstrip("\n"))
            target.write_text("{{ config(materialized='snapshot') }}\n" + text, encoding="utf-8")
            continue
        _copy(source / model.path, destination / "models" / _model_rel(model.path, source, project))
    for seed in project.seeds:
        _copy(source / seed.path, destination / "seeds" / Path(*seed.folder, f"{seed.name}.csv"))
    for macro in project.macros:
        target = destination / "macros" / _macro_rel(macro.path, project.dbt.packages_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(macro.text, encoding="utf-8")
    _write_properties(project, destination)
    _write_config(project, destination)
    _keep_dbt_schema_naming(project, destination)
    if project.analyses:
        notes.append(f"{len(project.analyses)} analysis file(s) not converted (faborite has no analyses)")
    notes += _validate(destination)
    return notes


#: dbt's default ``generate_schema_name``, which a dbt project read in place gets without defining it
#: (a native faborite project writes schemas as written unless it defines the macro); a snapshot's
#: schema (dbt < 1.9's ``target_schema``) is used as written.
_DBT_SCHEMA_NAMING = """{% macro generate_schema_name(custom_schema_name, node) -%}
  {#- dbt's default naming, kept by `faborite import dbt`: <target schema>_<custom schema> -#}
  {%- if custom_schema_name is none or custom_schema_name | trim == '' -%}
    {{ target.schema }}
  {%- elif node.resource_type == 'snapshot' -%}
    {{ custom_schema_name | trim }}
  {%- else -%}
    {{ target.schema }}_{{ custom_schema_name | trim }}
  {%- endif -%}
{%- endmacro %}
"""


_TARGET_SCHEMA = re.compile(r"\btarget_schema\s*=")


def _keep_dbt_schema_naming(project: Any, destination: Path) -> None:
    """The converted project names schemas as dbt did: dbt's default macro, unless the project had its own."""
    from faborite.dbt.schema_names import defined_hooks

    if "generate_schema_name" in defined_hooks([(m.path, m.text) for m in project.macros]):
        return
    target = destination / "macros" / "dbt_schema_naming.sql"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(_DBT_SCHEMA_NAMING, encoding="utf-8")


def _validate(destination: Path) -> list[str]:
    """The converted project compiled once: what still stops it, as a note (never raised)."""
    from faborite.compiler import compile_project
    from faborite.config.loader import load_project
    from faborite.errors import FaboriteError

    try:
        compile_project(load_project(destination))
    except FaboriteError as error:
        return [f"the converted project does not validate yet: {error}"]
    return []


def _model_rel(path: str, source: Path, project: Any) -> Path:
    """Where a model goes under ``models/``: below the project's model folder, or ``<package>/...``."""
    parts = Path(path).parts
    for folder in project.dbt.model_paths:  # every model path is a root of the same tree (dbt's rule)
        models = Path(folder).parts
        if parts[:len(models)] == models:
            return Path(*parts[len(models):])
    if parts[0] != project.dbt.packages_path or len(parts) <= 2:
        return Path("external", parts[-1])
    return Path("dbt_packages", parts[1], *(parts[3:] if len(parts) > 3 else parts[-1:]))


def _macro_rel(path: str, packages_path: str) -> Path:
    """Where a macro goes under ``macros/``: a package's under ``dbt_packages/<package>/`` (its namespace
    stays: see :data:`faborite.dbt.project_facts.PACKAGE_FOLDERS`), the project's below its macro folder."""
    parts = Path(path).parts
    packages = Path(packages_path).parts
    if parts[:len(packages)] == packages and len(parts) > len(packages) + 1:
        return Path("dbt_packages", *parts[len(packages):])
    return Path(*parts[1:]) if len(parts) > 1 else Path(parts[0])


def _copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)


def _plain(value: Any) -> Any:
    """YAML-dumpable copies of the loader's LineDict/LineList and tuples."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _write_config(project: Any, destination: Path) -> None:
    import yaml

    from faborite.dbt.packages import package_model_tree, vendored_packages

    raw, dbt = project.raw_config, project.dbt
    models = _plain(raw.get("models") or {})
    for package in vendored_packages(project.root, dbt.packages_path):
        tree = package_model_tree(package, dbt.model_trees, dbt.render, dbt.dropped_keys)
        if tree:
            models.setdefault("dbt_packages", {})[package.root.name] = _plain(tree)
    config = {"name": raw["name"], "dialect": project.config.dialect, "target": raw["target"],
              "targets": _plain(raw["targets"]), "vars": _plain(raw.get("vars") or {}),
              "models": models, "seeds": _plain(raw.get("seeds") or {})}
    text = "# Converted from dbt_project.yml and profiles.yml by `faborite import dbt`.\n"
    text += yaml.safe_dump({k: v for k, v in config.items() if v not in ({}, None)}, sort_keys=False)
    (destination / "faborite.yml").write_text(text, encoding="utf-8")


def _write_properties(project: Any, destination: Path) -> None:
    """One properties file per kind: every model's and seed's docs, columns and checks, and sources."""
    import yaml

    def node(entry: Any) -> dict[str, Any]:
        doc = entry.doc.model_dump(by_alias=True, exclude_defaults=True)
        checks = [_check(c) for c in entry.doc.checks]
        doc.pop("checks", None)
        for column, spec in zip(doc.get("columns", []), entry.doc.columns):
            column.pop("checks", None)
            if spec.checks:
                column["checks"] = [_check(c) for c in spec.checks]
        if checks:
            doc["checks"] = checks
        return doc

    models = [node(e) for e in project.model_docs.values()]
    seeds = [node(e) for e in project.seed_docs.values()]
    sources = [e.doc.model_dump(by_alias=True, exclude_defaults=True) for e in project.sources.values()]
    for folder, key, entries in (("models", "models", models), ("seeds", "seeds", seeds),
                                 ("sources", "sources", sources)):
        if entries:
            path = destination / folder / f"_{key}.yml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(yaml.safe_dump({key: _plain(entries)}, sort_keys=False), encoding="utf-8")


def _check(spec: Any) -> Any:
    """A check as faborite's properties spell it."""
    if spec.kind == "sql":
        check: dict[str, Any] = {"sql": spec.sql, "name": spec.name}
        if spec.severity != "error":
            check["severity"] = spec.severity
        return check
    options = {key: value for key, value in (("values", list(spec.values)), ("to", spec.to),
                                             ("field", spec.field), ("name", spec.name)) if value}
    if spec.severity != "error":
        options["severity"] = spec.severity
    return {spec.kind: options} if options else spec.kind
