"""The files of a dbt project beyond faborite's own folders: every macro path, generic tests,
packages' macros and models, singular tests.

Called by :func:`faborite.config.loader.load_project` for a dbt project only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from faborite.dbt.materializations import without_materializations
from faborite.dbt.packages import Package, package_model_tree, vendored_packages
from faborite.dbt.tests import singular_test_target, test_blocks_as_macros

if TYPE_CHECKING:
    from faborite.config.loader import MacroFile, ModelFile, NodeDocEntry
    from faborite.dbt.project import DbtProject


def packages_of(root: Path, dbt: "DbtProject") -> list[Package]:
    """The vendored packages of the project (none when nothing is installed); kept on ``dbt`` too."""
    dbt.packages = vendored_packages(root, dbt.packages_path)
    return dbt.packages


def macro_files(root: Path, dbt: "DbtProject", packages: list[Package]) -> list["MacroFile"]:
    """Macros of every macro path, of ``tests/generic/``, and of every package; ``{% test %}`` blocks
    as the ``test_<name>`` macros dbt makes of them; ``{% materialization %}`` blocks blanked out."""
    from faborite.config.loader import MacroFile, relative_to_project

    folders = [root / p for p in dbt.macro_paths] + [root / p / "generic" for p in dbt.test_paths]
    folders += [package.root / p for package in packages for p in package.macro_paths]
    found, seen = [], set()
    for folder in folders:
        for path in sorted(folder.rglob("*.sql")) if folder.is_dir() else ():
            if path in seen:
                continue
            seen.add(path)
            text = without_materializations(path.read_text(encoding="utf-8"))
            found.append(MacroFile(path=relative_to_project(path, root), text=test_blocks_as_macros(text)))
    return found


def other_paths(root: Path, dbt: "DbtProject", model_defaults: Any, seed_defaults: Any,
                load_models: Callable[..., tuple["ModelFile", ...]],
                load_seeds: Callable[..., tuple[Any, ...]]) -> tuple[list["ModelFile"], list[Any], list[Path]]:
    """``(models, seeds, folders)`` of the project's ``model-paths``/``seed-paths`` after the first (dbt reads
    every one, each a root of the project's folder tree) and the folders holding their properties."""
    models: list["ModelFile"] = []
    seeds: list[Any] = []
    folders: list[Path] = []
    for paths, defaults, load, found in ((dbt.model_paths, model_defaults, load_models, models),
                                         (dbt.seed_paths, seed_defaults, load_seeds, seeds)):
        for path in paths[1:]:
            folder = root / path
            if folder.is_dir() and path != paths[0]:
                found += load(folder, root, defaults)
                folders.append(folder)
    return models, seeds, folders


def package_models(root: Path, dbt: "DbtProject", packages: list[Package],
                   load_models: Callable[..., tuple["ModelFile", ...]]) -> tuple[list["ModelFile"], list[Path]]:
    """Every package's models (with their folder defaults) and the folders holding their properties."""
    from faborite.config.folder_defaults import flatten_folder_tree
    from faborite.config.node_config import ModelConfig

    models: list["ModelFile"] = []
    folders: list[Path] = []
    for package in packages:
        tree = package_model_tree(package, dbt.model_trees, dbt.render, dbt.dropped_keys)
        defaults = flatten_folder_tree(tree, ModelConfig, file=f"{package.root.relative_to(root).as_posix()}"
                                                              "/dbt_project.yml", section="models")
        for path in package.model_paths:
            folder = package.root / path
            if folder.is_dir():
                models += load_models(folder, root, defaults)
                folders.append(folder)
    return models, folders


_SNAPSHOT = re.compile(r"\{%-?\s*snapshot\s+([A-Za-z_][A-Za-z0-9_]*)\s*-?%\}(.*?)\{%-?\s*endsnapshot\s*-?%\}", re.S)


def snapshot_models(root: Path, dbt: "DbtProject") -> list["ModelFile"]:
    """Each ``{% snapshot name %}...{% endsnapshot %}`` block, and each ``snapshots:`` entry with a
    ``relation:`` in a YAML file (dbt >= 1.9), as a model of ``materialized: snapshot``.

    A block keeps its lines (its tags blanked, so lines in errors are the file's). The config of
    ``snapshots:`` in dbt_project.yml, and a YAML snapshot's own ``config:``, become a ``config()`` call
    before the query: the block's own ``config()`` comes later and wins, as in dbt.
    """
    from faborite.config.loader import ModelFile

    found = []
    for folder in dbt.snapshot_paths:
        for path in sorted((root / folder).rglob("*.sql")) if (root / folder).is_dir() else ():
            text = path.read_text(encoding="utf-8")
            rel = path.relative_to(root).as_posix()
            defaults = _config_call(_folder_config(dbt, path.relative_to(root / folder).parts[:-1]))
            for match in _SNAPSHOT.finditer(text):
                before = text[:match.start(2)]
                body = defaults + "\n" * before.count("\n") + match.group(2)
                found.append(ModelFile(name=match.group(1), path=rel, folder=(), text=body,
                                       defaults={"materialized": "snapshot"}))
    return found + _yaml_snapshots(root, dbt)


def _yaml_snapshots(root: Path, dbt: "DbtProject") -> list["ModelFile"]:
    """dbt 1.9's snapshots: ``snapshots: [{name, relation: ref('x'), config: {...}}]`` in YAML files."""
    from faborite.config.loader import ModelFile
    from faborite.config.yaml_loader import load_yaml_file

    found = []
    for folder in dict.fromkeys((*dbt.snapshot_paths, *dbt.model_paths)):
        base = root / folder
        for path in sorted(p for p in base.rglob("*") if p.suffix in (".yml", ".yaml")) if base.is_dir() else ():
            rel = path.relative_to(root).as_posix()
            if "snapshots:" not in path.read_text(encoding="utf-8"):
                continue
            data = load_yaml_file(path, rel)
            entries = data.get("snapshots") if isinstance(data, dict) else None
            for index, entry in enumerate(entries if isinstance(entries, list) else ()):
                if not isinstance(entry, dict) or not entry.get("name") or not isinstance(entry.get("relation"), str):
                    continue  # properties of a `{% snapshot %}` block: nothing to build
                line = entries.item_lines[index] if getattr(entries, "item_lines", None) else 1
                own = entry.get("config") if isinstance(entry.get("config"), dict) else {}
                config = {**_folder_config(dbt, path.relative_to(base).parts[:-1]), **own}
                text = "\n" * (line - 1) + _config_call(config) + "select * from {{ " + entry["relation"] + " }}\n"
                found.append(ModelFile(name=str(entry["name"]), path=rel, folder=(), text=text,
                                       defaults={"materialized": "snapshot"}))
    return found


def _folder_config(dbt: "DbtProject", folder: tuple[str, ...]) -> dict[str, Any]:
    """The ``snapshots:`` config of dbt_project.yml for a snapshot in ``folder`` (innermost wins)."""
    from faborite.dbt.project import DBT_CONFIG_KEYS

    config: dict[str, Any] = {}
    tree: Any = dbt.snapshot_tree
    for depth in range(len(folder) + 1):
        if not isinstance(tree, dict):
            break
        for key, value in tree.items():
            bare = str(key).lstrip("+")
            if str(key).startswith("+") or bare in DBT_CONFIG_KEYS:
                config[bare] = dbt.render(value, f"snapshots.{key}") if dbt.render else value
        tree = tree.get(folder[depth]) if depth < len(folder) else None
    return config


def _config_call(config: dict[str, Any]) -> str:
    """``{{ config(k=v, ...) }}`` on one line (no line added), or nothing."""
    from faborite.dbt.tests import jinja_literal

    if not config:
        return ""
    return "{{ config(" + ", ".join(f"{key}={jinja_literal(value)}" for key, value in config.items()) + ") }}"


def singular_tests(root: Path, dbt: "DbtProject", docs: dict[str, "NodeDocEntry"], nodes: set[str],
                   notes: list[str]) -> dict[str, "NodeDocEntry"]:
    """``docs`` with each singular test added as a check of the first node it refs."""
    from faborite.config.loader import NodeDocEntry
    from faborite.config.properties import CheckSpec, NodeDoc

    docs = dict(docs)
    for test_path in dbt.test_paths:
        folder = root / test_path
        for path in sorted(folder.rglob("*.sql")) if folder.is_dir() else ():
            if "generic" in path.relative_to(folder).parts[:-1]:
                continue
            rel = path.relative_to(root).as_posix()
            text = path.read_text(encoding="utf-8")
            node = singular_test_target(text, nodes)
            if node is None:
                notes.append(f"{rel}: singular test skipped: it refs no model or seed of the project")
                continue
            check = CheckSpec.model_validate({"kind": "sql", "sql": text, "name": path.stem})
            entry = docs.get(node)
            if entry is None:
                docs[node] = NodeDocEntry(doc=NodeDoc(name=node, checks=(check,)), file=rel, line=1)
            else:
                doc = entry.doc.model_copy(update={"checks": (*entry.doc.checks, check)})
                docs[node] = entry.model_copy(update={"doc": doc})
    return docs


__all__: list[Any] = ["other_paths", "packages_of", "macro_files", "package_models", "singular_tests",
                      "snapshot_models"]
