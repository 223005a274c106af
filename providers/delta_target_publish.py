"""Publishing on a ``delta`` target: each virtual table gets a new Delta version holding its
physical version's data, in one commit per table.

- **Tables** are published without rewriting data: the physical version's
  Parquet files are linked into the published table's folder (a hard link on
  a local disk, a server-side copy on an object store: the bytes never pass
  through faborite) and one commit ``overwrite``s the published table with add
  actions for them. The added paths are relative, inside the table's own
  folder, so every Delta reader sees a plain table (deltalake's pyarrow reader
  does not resolve the absolute paths a Delta shallow clone would write).
- **Views** (``materialized: view``) are published by running the view and
  writing its rows (one overwrite commit).
- Every publish commit records, in its commitInfo, which physical relation it
  mirrors (``faborite.mirrors``: ``SELECT * FROM "faborite__main"."x__abc"``).
  :func:`mirrored_definition` reads it back, so ``describe_relations`` reports
  a published table as a pointer and drift works (``Dialect.pointer_reads``).
  Any later commit by another writer has no such key: the table then reads as
  replaced.

Rollback re-publishes the recorded physical versions: a new Delta version
again, so the table's Delta history shows every publish and rollback.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from faborite.relation import Relation

from faborite.providers import delta_table
from faborite.providers.delta_target_storage import VIEW_FILE, relation_kind

if TYPE_CHECKING:
    from faborite.providers.delta_target import DeltaLakehouseConnection

#: The commitInfo key of a publish commit: the SELECT that reads the mirrored physical relation.
MIRRORS = "faborite.mirrors"


def mirrored_definition(connection: "DeltaLakehouseConnection", relation: Relation) -> str | None:
    """The ``faborite.mirrors`` of the table's latest commit: set when faborite published it."""
    from deltalake import DeltaTable

    table = DeltaTable(connection.folders.uri(relation.schema_name, relation.name),
                       storage_options=connection.folders.storage_options)
    last = table.history(1)
    value = last[0].get(MIRRORS) if last else None
    return value if isinstance(value, str) else None


def publish(connection: "DeltaLakehouseConnection", pointers: Mapping[Relation, Relation],
            drops: Sequence[Relation]) -> None:
    """Drop ``drops``, then give each virtual table of ``pointers`` a new version: one commit each."""
    folders = connection.folders
    for virtual in drops:
        if virtual not in pointers:
            connection.forget(virtual)
            folders.delete_dir(virtual.schema_name, virtual.name)
    linkable, copied = [], []
    for virtual, physical in sorted(pointers.items(), key=lambda item: item[0].key):
        definition = f"SELECT * FROM {connection.dialect.quote_relation(physical)}"
        connection.forget(virtual)
        if relation_kind(folders, virtual) == "view":
            folders.delete_file(virtual.schema_name, virtual.name, VIEW_FILE)
        todo = linkable if relation_kind(folders, physical) == "table" else copied
        todo.append((virtual, physical, definition))
    # Linking is file operations and one commit per table, no DuckDB: the tables are committed
    # side by side (each commit stands alone either way). Copies stream through this connection.
    with ThreadPoolExecutor(max_workers=min(8, max(1, len(linkable)))) as pool:
        linked = list(pool.map(lambda item: _publish_by_links(connection, *item), linkable))
    copied += [item for item, done in zip(linkable, linked) if not done]
    for virtual, _, definition in sorted(copied, key=lambda item: item[0].key):
        _publish_by_copy(connection, virtual, definition)


def _commit(definition: str) -> Any:
    from deltalake import CommitProperties

    return CommitProperties(custom_metadata={MIRRORS: definition})


def _publish_by_links(connection: "DeltaLakehouseConnection", virtual: Relation, physical: Relation,
                      definition: str) -> bool:
    """One commit whose add actions are the physical table's files, linked into the published
    table's folder; False (nothing done) when the table's files alone are not its rows."""
    import pyarrow as pa
    from deltalake import DeltaTable
    from deltalake.transaction import AddAction, create_table_with_add_actions

    folders, options = connection.folders, connection.folders.storage_options
    source = DeltaTable(folders.uri(physical.schema_name, physical.name), storage_options=options)
    if delta_table.plain_files(source) is None:
        return False  # its files alone are not its rows: copied instead
    # New names on every publish: a path an earlier commit removed is never added back (deltalake
    # refuses that commit on an object store); a rollback links (or server-side copies) again.
    prefix = f"faborite-{hashlib.sha256(physical.key.encode()).hexdigest()[:12]}-{uuid.uuid4().hex[:8]}"
    adds = []
    for row in pa.table(source.get_add_actions(flatten=True)).to_pylist():
        path = row["path"]
        name = f"{prefix}-{path.replace('/', '-')}"
        folders.copy_file((physical.schema_name, physical.name, *path.split("/")),
                          (virtual.schema_name, virtual.name, name))
        stats = {"numRecords": row["num_records"]} if row.get("num_records") is not None else {}
        adds.append(AddAction(path=name, size=row["size_bytes"], partition_values={},
                              modification_time=row["modification_time"], data_change=True,
                              stats=json.dumps(stats)))
    uri = folders.uri(virtual.schema_name, virtual.name)
    if folders.is_table(virtual.schema_name, virtual.name):
        DeltaTable(uri, storage_options=options).create_write_transaction(
            adds, mode="overwrite", schema=source.schema(), commit_properties=_commit(definition))
    else:
        create_table_with_add_actions(uri, source.schema(), adds, mode="error", storage_options=options,
                                      commit_properties=_commit(definition))
    return True


def _publish_by_copy(connection: "DeltaLakehouseConnection", virtual: Relation, definition: str) -> None:
    """One overwrite commit of the rows ``definition`` selects (a view's, or a table's that cannot be linked)."""
    from deltalake import write_deltalake

    reader = connection.stream(definition)
    write_deltalake(connection.folders.uri(virtual.schema_name, virtual.name), reader, mode="overwrite",
                    schema_mode="overwrite", storage_options=connection.folders.storage_options,
                    writer_properties=connection.writer_properties(),
                    commit_properties=_commit(definition))
