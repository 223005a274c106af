"""Compile a loaded project into a :class:`Manifest`: a typed DAG with fingerprints.

Sandboxed Jinja renders each model; sqlglot parses it and yields a
version-stable canonical form and column lineage; the DAG is ordered
topologically. Pure: no database, no writes (``write_manifest`` is the
caller's choice). Names are imported lazily so that reading a manifest does
not pay for Jinja and sqlglot.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Manifest", "Node", "compile_project", "read_manifest", "write_manifest"]


def __getattr__(name: str) -> Any:
    if name in ("Manifest", "Node", "read_manifest", "write_manifest"):
        from faborite.compiler import manifest

        return getattr(manifest, name)
    if name == "compile_project":
        from faborite.compiler.project_compiler import compile_project

        return compile_project
    raise AttributeError(name)
