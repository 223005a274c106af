"""Sync nodes: one per (sync, source table), expanded from the source snapshot.

A sync's ``tables:`` patterns (names, ``schema.name``, globs) are matched
against the tables the refresh step found. Each match becomes a node that
models can ``ref()`` by table name when it lands in the target database.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from faborite.compiler import fingerprint
from faborite.config.loader import Project, SyncEntry
from faborite.errors import CompileError, did_you_mean
from faborite.relation import Relation
from faborite.sync.snapshot import SourceSnapshot
from faborite.sync.source import SourceTableInfo
from faborite.sync.spec import SyncSpec, fingerprint_format


def _matches(pattern: str, table: str) -> bool:
    # "orders" matches "orders" and "dbo.orders"; "dbo.*" matches the dbo schema.
    short = table.rsplit(".", 1)[-1]
    return fnmatch.fnmatchcase(table, pattern) or ("." not in pattern and fnmatch.fnmatchcase(short, pattern))


def select_tables(entry: SyncEntry, available: tuple[SourceTableInfo, ...]) -> list[SourceTableInfo]:
    """The source tables a sync copies; a plain name that matches nothing is an error."""
    spec = entry.spec
    chosen: dict[str, SourceTableInfo] = {}
    for pattern in spec.tables:
        hits = [t for t in available if _matches(pattern, t.name)]
        if not hits and not any(ch in pattern for ch in "*?["):
            raise CompileError(
                f"sync {spec.name!r}: source {spec.from_!r} has no table {pattern!r}",
                file=entry.file, line=entry.line,
                hint=did_you_mean(pattern, [t.name for t in available]) or
                f"`faborite sources list {spec.from_}` lists its tables",
            )
        for table in hits:
            if not any(_matches(ex, table.name) for ex in spec.exclude):
                chosen[table.name] = table
    return [chosen[name] for name in sorted(chosen)]


def node_name(table: str) -> str:
    """The name models ``ref()`` a synced table by: its name without schema."""
    return table.rsplit(".", 1)[-1]


def _data_config(spec: SyncSpec) -> dict[str, Any]:
    """The settings that change a sync's rows, as fingerprinted and recorded in state.

    The output format is kept in its legacy spelling (``duckdb`` for ``target``):
    the config is hashed into the node's version and compared with the state's
    copy, so a project applied before the rename plans no changes after it.
    """
    config = spec.model_dump(mode="json", by_alias=True, exclude={"name", "description", "tags", "tables", "exclude"})
    config["to"]["format"] = fingerprint_format(config["to"]["format"])
    return config


def sync_drafts(project: Project, snapshot: SourceSnapshot | None, default_schema: str) -> dict[str, dict[str, Any]]:
    """Draft nodes (no version yet) for every table of every sync."""
    drafts: dict[str, dict[str, Any]] = {}
    for entry in project.syncs.values():
        spec = entry.spec
        if spec.from_ not in project.sync_sources:
            raise CompileError(
                f"sync {spec.name!r} reads from {spec.from_!r}, which is not a declared source",
                file=entry.file, line=entry.line,
                hint=did_you_mean(spec.from_, project.sync_sources) or
                "declare it under 'sources:' with type fabric, delta or sql",
            )
        if snapshot is None or spec.from_ not in snapshot.tables:
            raise CompileError(
                f"sync {spec.name!r}: source {spec.from_!r} has not been read yet",
                file=entry.file, line=entry.line, hint="plan with refresh (the default) to list its tables",
            )
        spec_config = _data_config(spec)
        for table in select_tables(entry, snapshot.tables[spec.from_]):
            name = node_name(table.name)
            node_id = f"sync.{spec.name}.{name}"
            if node_id in drafts:
                raise CompileError(f"sync {spec.name!r} copies two tables named {name!r}",
                                   file=entry.file, line=entry.line, hint="exclude one of them")
            if spec.to.format == "target":
                relation = Relation(schema_name=spec.to.schema_name or default_schema, name=name).key
            else:
                relation = f"{(spec.to.path or '').rstrip('/')}/{name}"
            # Incremental syncs keep their data across source versions: the version
            # moves with the source, but apply copies only the rows past the cursor.
            data_config = {**spec_config, "table": table.name}
            drafts[node_id] = {
                "id": node_id, "kind": "sync", "name": name, "file": entry.file, "relation": relation,
                "materialized": "sync", "parents": (), "data_config": data_config,
                "description": spec.description, "tags": tuple(spec.tags),
                "sync": {"sync": spec.name, "source": spec.from_, "table": table.name,
                         "source_version": table.version, "source_rows": table.row_count,
                         "format": spec.to.format},
                "data_hash": fingerprint.data_hash("sync", table.version, data_config),
                "metadata_hash": fingerprint.metadata_hash({"description": spec.description, "tags": list(spec.tags)}),
            }
    return drafts
