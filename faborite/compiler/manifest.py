"""The manifest: the compiled project as a typed DAG, and its versioned JSON file."""

from __future__ import annotations

import json
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from faborite.atomic_file import write_atomic
from faborite.compiler.fingerprint import sha256_json
from faborite.errors import CompileError
from faborite.sync.spec import OutputFormat

MANIFEST_FORMAT_VERSION = 1

NodeKind = Literal["model", "seed", "source", "sync"]


class CompiledCheck(BaseModel):
    """A check on a node: a query (virtual relation names) returning failing rows."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: str
    column: str | None = None
    severity: Literal["error", "warn"] = "error"
    sql: str
    file: str | None = None  # where the check is declared (not part of any fingerprint)


class ColumnInfo(BaseModel):
    """A documented column."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str = ""
    data_type: str | None = None
    tags: tuple[str, ...] = ()


class ContractColumn(BaseModel):
    """A column an enforced contract promises: name, declared type, and whether it may hold nulls."""

    model_config = ConfigDict(frozen=True)

    name: str
    data_type: str
    not_null: bool = False


class SeedInfo(BaseModel):
    """Where a seed's data comes from and how to read it."""

    model_config = ConfigDict(frozen=True)

    path: str
    content_hash: str
    column_types: dict[str, str] = Field(default_factory=dict)
    delimiter: str = ","


class SyncInfo(BaseModel):
    """What a sync node copies: which source table, at which version, into which format."""

    model_config = ConfigDict(frozen=True)

    sync: str
    source: str
    table: str
    source_version: str
    source_rows: int | None = None
    # A manifest or plan file written before the rename says "duckdb": read as "target".
    format: OutputFormat = "target"


class Node(BaseModel):
    """One node of the DAG: a model, a seed, or a source table."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: NodeKind
    name: str
    file: str | None = None
    relation: str  # virtual relation "schema.name" (sources: what SQL reads)
    #: Set in a non-default environment (``--env``), where ``relation`` is renamed into it: the name
    #: SQL reads this node by, which its physical versions are named after (shared by every environment).
    sql_relation: str | None = None
    materialized: Literal["view", "table", "incremental", "snapshot", "seed", "source", "sync"]
    sql: str | None = None  # models: rendered SELECT in the project dialect
    #: Incremental models: the SELECT rendered with ``is_incremental()`` true, whose ``{{ this }}``
    #: reads the published version (``sql`` is the full build, rendered with it false).
    incremental_sql: str | None = None
    parents: tuple[str, ...] = ()
    data_config: dict[str, Any] = Field(default_factory=dict)
    description: str = ""
    tags: tuple[str, ...] = ()
    meta: dict[str, Any] = Field(default_factory=dict)
    owner: str | None = None
    columns: tuple[ColumnInfo, ...] = ()
    checks: tuple[CompiledCheck, ...] = ()
    output_columns: tuple[str, ...] | None = None
    column_lineage: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    seed: SeedInfo | None = None
    sync: SyncInfo | None = None
    #: Models: ``deprecated`` / ``deprecation_date`` config, for `faborite lint` (in no fingerprint).
    deprecated: bool = False
    deprecation_date: date | None = None
    #: Incremental models: ``protect: true``, a full rebuild needs ``--allow-rebuild`` (in no fingerprint).
    protect: bool = False
    #: Incremental models: ``on_schema_change`` (in no fingerprint: it shapes the next runs only).
    on_schema_change: str = "ignore"
    #: ``schedule:`` config (cron, UTC) for ``apply --due``; metadata, in no data fingerprint.
    schedule: str | None = None
    #: An enforced contract's columns (None: no contract); apply checks them before publishing.
    contract: tuple[ContractColumn, ...] | None = None
    data_hash: str
    metadata_hash: str
    version: str

    @property
    def logical_relation(self) -> str:
        """The name SQL reads this node by and its physical versions are named after (every environment's)."""
        return self.sql_relation or self.relation

    @property
    def is_built(self) -> bool:
        """Whether apply builds this node (sources are only read)."""
        return self.kind != "source"


class Manifest(BaseModel):
    """The compiled project: nodes in topological order, plus what they were compiled for."""

    model_config = ConfigDict(frozen=True)

    format_version: int = MANIFEST_FORMAT_VERSION
    faborite_version: str
    project: str
    target: str
    #: The faborite dialect models are written in (the project's ``dialect:``).
    dialect: str
    #: The faborite dialect of the target compiled for ("" in manifests older than the field).
    target_dialect: str = ""
    nodes: dict[str, Node]
    #: A dbt project's analyses (``analyses/``), compiled and never built: rendered SQL by name.
    #: Shown by ``faborite compile NAME``; not part of the manifest's identity or files.
    analyses: dict[str, str] = Field(default_factory=dict, exclude=True)

    @cached_property
    def sql_dialect(self) -> str:
        """The sqlglot name of the dialect models are written in (faborite's names are not sqlglot's)."""
        from faborite.dialects import get_dialect

        return get_dialect(self.dialect).sqlglot_dialect

    @cached_property
    def hash(self) -> str:
        """Identity of the manifest's content (what a saved plan was made from)."""
        return sha256_json({
            "project": self.project, "target": self.target, "dialect": self.dialect,
            "nodes": {i: [n.version, n.metadata_hash] for i, n in self.nodes.items()},
        })

    @cached_property
    def children(self) -> dict[str, tuple[str, ...]]:
        """Each node's direct children."""
        result: dict[str, list[str]] = {node_id: [] for node_id in self.nodes}
        for node in self.nodes.values():
            for parent in node.parents:
                result[parent].append(node.id)
        return {k: tuple(v) for k, v in result.items()}

    def graph(self):
        """The DAG as a networkx DiGraph (edges parent -> child), for graph queries."""
        from faborite.compiler.dag import build_graph

        return build_graph({node_id: node.parents for node_id, node in self.nodes.items()})

    def built_nodes(self) -> list[Node]:
        """Models and seeds, in topological order."""
        return [n for n in self.nodes.values() if n.is_built]

    def find(self, name: str) -> Node | None:
        """A node by id (``model.orders``) or name (``orders``)."""
        if name in self.nodes:
            return self.nodes[name]
        for kind in ("model", "seed"):
            if f"{kind}.{name}" in self.nodes:
                return self.nodes[f"{kind}.{name}"]
        return None


def write_manifest(manifest: Manifest, path: Path) -> None:
    """Write the manifest JSON atomically (temp file, fsync, rename)."""
    write_atomic(path, manifest.model_dump_json(indent=1).encode("utf-8"))


def read_manifest(path: Path) -> Manifest:
    """Read a manifest written by :func:`write_manifest`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CompileError(f"cannot read manifest: {exc}", file=str(path)) from None
    version = data.get("format_version") if isinstance(data, dict) else None
    if version != MANIFEST_FORMAT_VERSION:
        newer = isinstance(version, int) and version > MANIFEST_FORMAT_VERSION
        raise CompileError(
            f"manifest format {version} is not supported (expected {MANIFEST_FORMAT_VERSION})"
            + (": it was written by a newer faborite" if newer else ""),
            file=str(path),
            hint=("upgrade faborite, or " if newer else "") + "run `faborite compile` to rebuild it",
        )
    return Manifest.model_validate(data)
