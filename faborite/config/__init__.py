"""Project files as typed data: ``faborite.yml``, properties YAML, model/seed/macro files.

One entry point, :func:`load_project`; pure reading and validation, no SQL.
"""

from faborite.config.loader import Project, find_project_root, load_project

__all__ = ["Project", "find_project_root", "load_project"]
