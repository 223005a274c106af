"""Starting a project and describing its files: ``faborite init``, ``faborite import dbt`` and
``faborite schema`` (re-exported by :mod:`faborite.api`)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from faborite.errors import ConfigError


def init_project(destination: Path, name: str | None = None) -> Path:
    """Create a project from the template (``faborite init``): runs on DuckDB with no setup.

    Args:
        destination: the new project's directory (must not exist or be empty).
        name: the project's name (default: the directory's name, ``-`` read as ``_``).

    Returns:
        ``destination``.

    Raises:
        ConfigError: ``destination`` is not empty, or the name is not letters, digits and ``_``.
    """
    from importlib import resources

    destination = Path(destination)
    if destination.exists() and any(destination.iterdir()):
        raise ConfigError(f"{destination} already exists and is not empty", hint="choose a new directory name")
    project_name = (name or destination.resolve().name).replace("-", "_")
    if not project_name.replace("_", "").isalnum():
        raise ConfigError(f"{project_name!r} is not a valid project name", hint="use letters, digits and '_'")
    template = Path(str(resources.files("faborite.project_template")))
    shutil.copytree(template, destination, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__init__.py", "__pycache__", ".faborite"))
    config = destination / "faborite.yml"
    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    config.write_text("".join(f"name: {project_name}\n" if line.startswith("name:") else line for line in lines),
                      encoding="utf-8")
    return destination


def import_dbt(source: Path, destination: Path, *, profile: str | None = None) -> list[str]:
    """Convert the dbt project in ``source`` into a native faborite project (``faborite import dbt``).

    Args:
        source: the folder holding ``dbt_project.yml`` (it is only read).
        destination: the new project's directory (must not exist or be empty).
        profile: the profiles.yml profile whose outputs become targets (default: the project's).

    Returns:
        Notes, one line each: what was not converted, and whether the result validates.

    Raises:
        ConfigError: no dbt project in ``source``, ``destination`` not empty, or the dbt
            project cannot be read.
    """
    from faborite.dbt.import_project import import_dbt_project

    return import_dbt_project(source, destination, profile=profile)


def project_json_schema(kind: str = "project") -> dict[str, Any]:
    """JSON Schema for editors, as ``faborite schema KIND`` prints it.

    Args:
        kind: ``"project"`` (``faborite.yml``), ``"properties"`` (``models/**/*.yml``,
            ``seeds/*.yml``, ``sources/*.yml``; checks as users write them), or ``"plan"``
            (the JSON plan of ``plan --json`` / ``show --json``; ``docs/plan-schema.json``).

    Returns:
        A JSON Schema (draft 2020-12) as a dict.

    Raises:
        ValueError: an unknown ``kind``.
    """
    from faborite.config.json_schema import project_files_schema

    if kind == "plan":
        from faborite.plan.json_view import plan_json_schema

        return plan_json_schema()
    return project_files_schema(kind)
