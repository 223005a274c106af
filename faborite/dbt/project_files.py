"""The files of a dbt project beyond faborite's own folders: every macro path, generic tests,
packages' macros and models, singular tests.

Called by :func:`faborite.config.loader.load_project` for a dbt project only.
"""

from __future__ import annotations

import os
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
    """The vendored packages of the project (none when nothing is installed)."""
    return vendored_packages(root, dbt.packages_path)


def macro_files(root: Path, dbt: "DbtProject", packages: list[Package]) -> list["MacroFile"]:
    """Macros of every macro path, of ``tests/generic/``, and of every package; ``{% test %}`` blocks
    as the ``test_<name>`` macros dbt makes of them; ``{% materialization %}`` blocks blanked out."""
    from faborite.config.loader import MacroFile

    folders = [root / p for p in dbt.macro_paths] + [root / p / "generic" for p in dbt.test_paths]
    folders += [package.root / p for package in packages for p in package.macro_paths]
    found, seen = [], set()
    for folder in folders:
        for path in sorted(folder.rglob("*.sql")) if folder.is_dir() else ():
            if path in seen:
                continue
            seen.add(path)
            text = path.read_text(encoding="utf-8")
            text = without_materializations(test_blocks_as_macros(text))
            found.append(MacroFile(path=_display(path, root), text=text))
    return found


def _display(path: Path, root: Path) -> str:
    """``path`` relative to the project, also when a macro path lies outside it (``../../dbt_macros``)."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return Path(os.path.relpath(path, root)).as_posix()


def more_model_folders(root: Path, dbt: "DbtProject") -> list[Path]:
    """The existing folders of ``model-paths`` past the first (the loader reads the first itself):
    their models take the project's folder defaults, their YAML is read as properties."""
    return [root / p for p in dbt.model_paths[1:] if (root / p).is_dir()]


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
    """Each ``{% snapshot name %}...{% endsnapshot %}`` block as a model of ``materialized: snapshot``
    (the block's tags blanked, so lines in errors are the file's)."""
    from faborite.config.loader import ModelFile

    found = []
    for folder in dbt.snapshot_paths:
        for path in sorted((root / folder).rglob("*.sql")) if (root / folder).is_dir() else ():
            text = path.read_text(encoding="utf-8")
            rel = path.relative_to(root).as_posix()
            for match in _SNAPSHOT.finditer(text):
                before = text[:match.start(2)]
                body = "\n" * before.count("\n") + match.group(2)
                found.append(ModelFile(name=match.group(1), path=rel, folder=(), text=body,
                                       defaults={"materialized": "snapshot"}))
    return found


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


__all__: list[Any] = ["packages_of", "macro_files", "more_model_folders", "package_models", "singular_tests", "snapshot_models"]
