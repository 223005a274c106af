"""Compile a loaded project into a :class:`Manifest`: a typed DAG with fingerprints.

Sandboxed Jinja renders each model; sqlglot parses it and yields a
version-stable canonical form and column lineage; networkx orders the DAG.
Pure: no database, no writes (``write_manifest`` is the caller's choice).
"""

from faborite.compiler.manifest import Manifest, Node, read_manifest, write_manifest
from faborite.compiler.project_compiler import compile_project

__all__ = ["Manifest", "Node", "compile_project", "read_manifest", "write_manifest"]
