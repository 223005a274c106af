"""Sources: external tables that models read with ``source('name', 'table')``.

A ``database`` source renders as a quoted relation in the target; a ``files``
source renders as the dialect's file-reading table function. A files source's
fingerprint covers its matched files, so new data shows up in the plan.
"""

from __future__ import annotations

import glob
import hashlib
from pathlib import Path
from typing import Any

from faborite.compiler import fingerprint
from faborite.compiler.jinja import best_match_hint
from faborite.config.loader import Project, SourceEntry
from faborite.config.properties import SourceDoc, SourceTable
from faborite.errors import CompileError, FaboriteError
from faborite.relation import Relation

#: Files up to this size are fingerprinted by content; larger ones by size and mtime.
_HASH_CONTENT_BELOW = 16 * 1024 * 1024
_FORMATS = {".parquet": "parquet", ".csv": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "json", ".ndjson": "json"}


def _readers(fmt: str) -> str:
    """`` (dialect, ...)``: the installed dialects that read ``fmt`` files, for a hint; empty when none."""
    from faborite.dialects import available_dialects, get_dialect

    names = []
    for name in available_dialects():
        try:
            if fmt in get_dialect(name).file_formats:
                names.append(name)
        except FaboriteError:  # a plugin that fails to load reads nothing here
            continue
    return f" ({', '.join(names)})" if names else ""


class SourceResolver:
    """Renders ``source()`` calls and produces the source nodes of the DAG."""

    def __init__(self, project: Project, dialect, target_dialect=None, target_name: str = "") -> None:
        self._project = project
        self._dialect = dialect
        #: The target's dialect: a files source is refused at compile when the target cannot read files.
        self._target_dialect = target_dialect or dialect
        self._target_name = target_name

    @staticmethod
    def node_id(source_name: str, table_name: str) -> str:
        """The DAG id of a source table."""
        return f"source.{source_name}.{table_name}"

    def _lookup(self, source_name: str, table_name: str) -> tuple[SourceDoc, SourceTable]:
        entry = self._project.sources.get(source_name)
        if entry is None:
            raise CompileError(
                f"source({source_name!r}, {table_name!r}): no source named {source_name!r}",
                hint=best_match_hint(source_name, self._project.sources)
                or "declare it under 'sources:' in a .yml file",
            )
        for table in entry.doc.tables:
            if table.name == table_name:
                return entry.doc, table
        raise CompileError(
            f"source({source_name!r}, {table_name!r}): source {source_name!r} has no table {table_name!r}",
            hint=best_match_hint(table_name, [t.name for t in entry.doc.tables]) or f"add it under {entry.file}",
        )

    def _format(self, table: SourceTable, entry: SourceEntry) -> str:
        if table.format:
            return table.format
        suffix = Path(table.path or "").suffix.lower()
        if suffix in _FORMATS:
            return _FORMATS[suffix]
        raise CompileError(f"cannot tell the file format of source table {table.name!r} from {table.path!r}",
                           file=entry.file, line=entry.line, hint="set 'format: parquet|csv|json' on the table")

    def render(self, source_name: str, table_name: str) -> str:
        """The SQL table expression for ``source(source_name, table_name)``."""
        source, table = self._lookup(source_name, table_name)
        if source.type == "files":
            fmt = self._format(table, self._project.sources[source_name])
            if fmt not in self._target_dialect.file_formats:
                what = (f"{self._target_dialect.name} reads no files" if not self._target_dialect.file_formats
                        else f"{self._target_dialect.name} cannot read {fmt} files")
                raise CompileError(
                    f"source({source_name!r}, {table_name!r}) reads {fmt} files, but target "
                    f"{self._target_name!r} cannot: {what}",
                    hint=f"copy the files into the target with a sync (from: {source_name}, to: {{format: target}}) "
                         f"and ref() the synced table, or compile for a target that reads files{_readers(fmt)}")
            return self._dialect.read_files(fmt, [table.path], dict(table.options))
        relation = self._relation(source, table)
        quoting = {**source.quoting, **table.quoting}
        if all(quoting.get(part, True) for part in ("schema", "identifier")):
            return self._dialect.quote_relation(relation)
        # dbt's quoting: false writes the part as it is, for the engine to fold (e.g. upper-case names).
        return ".".join(name if not quoting.get(part, True) else self._dialect.quote_identifier(name)
                        for part, name in (("schema", relation.schema_name), ("identifier", relation.name)))

    def parts(self, source_name: str, table_name: str) -> tuple[str | None, str, str]:
        """``(database, schema, identifier)`` of a database source table (``source('a', 'b').identifier``)."""
        source, table = self._lookup(source_name, table_name)
        relation = self._relation(source, table)
        return relation.catalog, relation.schema_name, relation.name

    @staticmethod
    def _relation(source: SourceDoc, table: SourceTable) -> Relation:
        return Relation(schema_name=source.schema_name or source.name, name=table.identifier or table.name)

    def published_by(self, nodes_by_relation: dict[str, str]) -> dict[str, str]:
        """``{source node: node}`` for each database source table whose relation a node of the project
        publishes (``nodes_by_relation``: ``{schema.name: node id}``), as when a dbt project loads a
        seed into the schema its ``sources:`` read: the node is built first, in the same apply."""
        found = {}
        for entry in self._project.sources.values():
            if entry.doc.type == "files":
                continue
            for table in entry.doc.tables:
                node = nodes_by_relation.get(self._relation(entry.doc, table).key)
                if node is not None:
                    found[self.node_id(entry.doc.name, table.name)] = node
        return found

    def nodes(self) -> dict[str, dict[str, Any]]:
        """Draft nodes (without version) for every declared source table."""
        drafts = {}
        for entry in self._project.sources.values():
            source = entry.doc
            for table in source.tables:
                if any(column.checks for column in table.columns):
                    raise CompileError(
                        f"source table {source.name}.{table.name} has column checks, which faborite does not run yet",
                        file=entry.file, line=entry.line,
                        hint="put the checks on a staging model that selects from the source",
                    )
                if source.type == "files":
                    relation = table.path or ""
                    identity = file_identity(self._project.root, table.path or "")
                    if not identity:
                        raise CompileError(
                            f"source table {source.name}.{table.name}: {table.path!r} matches no files",
                            file=entry.file, line=entry.line,
                            hint="paths are relative to the project root; globs like data/*.parquet are allowed",
                        )
                    content = fingerprint.sha256_json(identity)
                    config = {"format": self._format(table, entry), "options": table.options}
                else:
                    relation = self._relation(source, table).key
                    content = relation
                    config = {}
                drafts[self.node_id(source.name, table.name)] = {
                    "id": self.node_id(source.name, table.name), "kind": "source",
                    "name": f"{source.name}.{table.name}", "file": entry.file, "relation": relation,
                    "materialized": "source", "parents": (), "data_config": config,
                    "description": table.description or source.description,
                    "data_hash": fingerprint.data_hash("source", content, config),
                    "metadata_hash": fingerprint.metadata_hash({"description": table.description}),
                }
        return drafts


def file_identity(root: Path, pattern: str) -> list[list[Any]]:
    """What a ``files`` source's data is, for its fingerprint: ``[path, token]`` per matching file,
    the token a SHA-256 of the content (or size and mtime for files of 16 MiB and more)."""
    root = Path(root)
    identity = []
    for match in sorted(glob.glob(str(root / pattern), recursive=True)):
        path = Path(match)
        if not path.is_file():
            continue
        stat = path.stat()
        if stat.st_size <= _HASH_CONTENT_BELOW:
            token = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            token = f"{stat.st_size}:{stat.st_mtime_ns}"
        try:
            shown = path.relative_to(root).as_posix()
        except ValueError:  # outside the project (an absolute or ../ path): keep it as written
            shown = path.as_posix()
        identity.append([shown, token])
    return identity
