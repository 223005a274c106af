"""The project files a compile reads, hashed: what a saved plan was made from.

A saved plan embeds its compiled manifest, so applying it never re-reads the
files. But a plan reviewed in a pull request stops describing the branch once
someone edits a file after planning: ``apply PLAN`` compares the hashes
recorded here with the files as they are now and names the ones that differ.

The files are exactly those :func:`faborite.config.loader.load_project` reads:
``faborite.yml``, every ``.sql`` under the models and macros folders, every
``.csv`` under seeds, and every ``.yml``/``.yaml`` under models, seeds, sources
and syncs (for a dbt project: ``dbt_project.yml``, ``profiles.yml`` and the folders
its paths name, packages included). Data files read by files sources are not project files: their
content is already in the nodes' ``data_hash``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from faborite.config.project import PROJECT_FILE, PathsConfig
from faborite.dbt.project import DBT_PROJECT_FILE

_YAML = (".yml", ".yaml")


class ProjectInputs(BaseModel):
    """SHA-256 of every project file, by project-relative POSIX path."""

    model_config = ConfigDict(frozen=True)

    files: dict[str, str]

    @property
    def digest(self) -> str:
        """One hash over every path and its hash (what the JSON plan shows as ``files_hash``)."""
        digest = hashlib.sha256()
        for path in sorted(self.files):
            digest.update(f"{path}\0{self.files[path]}\n".encode("utf-8"))
        return digest.hexdigest()

    def changed_since(self, recorded: "ProjectInputs") -> list[str]:
        """Paths edited, added or removed since ``recorded``, sorted."""
        paths = set(self.files) | set(recorded.files)
        return sorted(p for p in paths if self.files.get(p) != recorded.files.get(p))


def _paths_of(root: Path) -> PathsConfig:
    """The ``paths:`` of ``faborite.yml``, read leniently: a broken file means default folders
    (its own hash has changed then, which is what a staleness check reports)."""
    import yaml

    try:
        raw = yaml.safe_load((root / PROJECT_FILE).read_text(encoding="utf-8"))
        return PathsConfig.model_validate((raw or {}).get("paths") or {})
    except Exception:  # noqa: BLE001  (any unreadable or invalid file: defaults)
        return PathsConfig()


def _walk(top: str, suffixes: tuple[str, ...]) -> list[str]:
    # Plain strings, not Path objects: at 10,000 models pathlib costs more than the reading.
    found: list[str] = []
    for directory, subdirs, files in os.walk(top):
        subdirs.sort()
        found += [os.path.join(directory, name) for name in files if name.endswith(suffixes)]
    return found


def input_files(root: Path) -> list[str]:
    """Project-relative POSIX paths of every file the loader reads, sorted."""
    root = Path(root).resolve()
    paths = _paths_of(root)
    base = str(root)
    found = [os.path.join(base, PROJECT_FILE)] if (root / PROJECT_FILE).is_file() else []
    folders = [(paths.models, (".sql", *_YAML)), (paths.macros, (".sql",)),
               (paths.seeds, (".csv", *_YAML)), (paths.sources, _YAML), (paths.syncs, _YAML)]
    if not found and (root / DBT_PROJECT_FILE).is_file():  # a dbt project read in place
        from faborite.dbt.project import input_folders

        files, folders = input_folders(root)
        found = [os.path.join(base, f) for f in files if (root / f).is_file()]
    for folder, suffixes in folders:
        found += _walk(os.path.normpath(os.path.join(base, folder)), suffixes)
    prefix = base + os.sep
    # A folder configured outside the project gets a relative path with "..": it still hashes.
    relative = {f[len(prefix):] if f.startswith(prefix) else os.path.relpath(f, base) for f in found}
    return sorted(r.replace(os.sep, "/") for r in relative)


def project_inputs(root: Path) -> ProjectInputs:
    """Hash every project file under ``root`` (read now)."""
    base = str(Path(root).resolve())
    files = {}
    for rel in input_files(Path(base)):
        try:
            with open(os.path.join(base, rel), "rb") as handle:
                files[rel] = hashlib.sha256(handle.read()).hexdigest()
        except OSError:  # removed while walking: absent, as the next walk will see it
            continue
    return ProjectInputs(files=files)
