"""Packages vendored under ``dbt_packages/`` (or ``packages-install-path``), read like the project.

Each package folder has its own ``dbt_project.yml``: its name (the package's
namespace), its model and macro paths and its ``models:`` config. Its models
are built, as dbt builds them, with the root project's ``models: {package:
...}`` config winning over the package's own; its macros join the project's.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faborite.config.yaml_loader import load_yaml_file


@dataclass(frozen=True)
class Package:
    """A vendored dbt package."""

    name: str
    root: Path
    model_paths: tuple[str, ...]
    macro_paths: tuple[str, ...]
    #: The package's own ``models:`` tree for its name (folder config, dbt spelling).
    models: dict[str, Any]
    #: The package's own ``vars:`` (global, and scoped under its name), as written.
    vars: dict[str, Any]


def vendored_packages(root: Path, install_path: str) -> list[Package]:
    """Every package folder with a ``dbt_project.yml`` under ``root/install_path``, by name."""
    folder = root / install_path
    if not folder.is_dir():
        return []
    found = []
    for package_dir in sorted(p for p in folder.iterdir() if (p / "dbt_project.yml").is_file()):
        rel = package_dir.relative_to(root).as_posix()
        data = load_yaml_file(package_dir / "dbt_project.yml", f"{rel}/dbt_project.yml") or {}
        if not isinstance(data, dict):
            continue
        name = str(data.get("name") or package_dir.name)
        models = data.get("models") if isinstance(data.get("models"), dict) else {}
        found.append(Package(
            name=name, root=package_dir,
            model_paths=_paths(data.get("model-paths"), "models"),
            macro_paths=_paths(data.get("macro-paths"), "macros"),
            models=models.get(name) if isinstance(models.get(name), dict) else {},
            vars=dict(data["vars"]) if isinstance(data.get("vars"), dict) else {},
        ))
    return found


def package_vars(packages: list[Package], root_vars: dict[str, Any], root_name: str,
                 project_vars: dict[str, Any], declared: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What ``var()`` sees in each package's nodes, by package folder name (dbt's precedence, lowest
    first): the package's own vars (global, then scoped to it), the root project's global vars, the
    root project's vars scoped to the package, then ``--vars``.

    ``project_vars`` are the root's vars with ``--vars`` applied and ``declared`` the root's own, so
    ``--vars`` is what differs between them.
    """
    override = {k: v for k, v in project_vars.items() if k not in declared or declared[k] != v}
    scopes = {root_name, *(p.name for p in packages)}
    root_global = {k: v for k, v in root_vars.items() if not (k in scopes and isinstance(v, dict))}
    found = {}
    for package in packages:
        own, name = package.vars, package.name
        found[package.root.name] = {
            **{k: v for k, v in own.items() if not (k in scopes and isinstance(v, dict))},
            **(own.get(name) if isinstance(own.get(name), dict) else {}),
            **root_global,
            **(root_vars.get(name) if isinstance(root_vars.get(name), dict) else {}),
            **override,
        }
    return found


def project_package_vars(project: Any, project_vars: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """:func:`package_vars` of a loaded project (none for a faborite project or one without packages)."""
    dbt = project.dbt
    if dbt is None or not dbt.packages:
        return {}
    return package_vars(dbt.packages, dbt.raw_vars, dbt.name, project_vars, project.config.vars)


def package_model_tree(package: Package, root_trees: dict[str, Any], render, dropped: Counter) -> dict[str, Any]:
    """The folder defaults of ``package``'s models: its own config, then the root project's for it."""
    from faborite.dbt.project import folder_tree

    own = folder_tree(package.models, render, dropped, f"{package.name} models")
    return _deep_merge(own, root_trees.get(package.name, {}))


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        merged[key] = _deep_merge(merged[key], value) if isinstance(value, dict) and isinstance(
            merged.get(key), dict) and not key.startswith("+") else value
    return merged


def _paths(value: Any, default: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value:
        return tuple(map(str, value))
    return (default,)
