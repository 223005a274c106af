"""What is really published on a target, read once, to hold the state's claims against.

The state is a claim, not the truth: a database file can be deleted, a table
dropped, a view re-pointed by hand, an apply killed between publishing and
recording. :func:`observe` reads the target once (one
``describe_relations`` round trip for every schema the nodes use, plus a
``stat`` per file output) and answers two questions per node: does its
physical version exist, and what does its published name point at?
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from faborite.relation import Relation
from faborite.state.model import NodeState

#: What a published name turned out to be.
MISSING = "missing"  # nothing there
FOREIGN = "foreign"  # a table, or a view that is not a pointer: not faborite's


def _key(key: str) -> str:
    # Engines fold or compare names case-insensitively (DuckDB even quoted ones).
    return key.casefold()


@dataclass(frozen=True)
class Observed:
    """Relations and file outputs that exist, and what each published name reads.

    Keys are ``schema.name`` (relations) or project-relative paths (file outputs).
    """

    relations: frozenset[str] = frozenset()
    #: Published name -> the physical key it reads, or MISSING / FOREIGN.
    pointers: dict[str, str] = field(default_factory=dict)
    #: Whether the target itself was found (a deleted database file: False).
    target_exists: bool = True
    #: The schemas looked at (:func:`target_schemas` of the nodes).
    schemas: tuple[str, ...] = ()
    #: The catalog query's answer alone (no file outputs; None: nothing was read).
    catalog: "CatalogView | None" = field(default=None, repr=False)

    @property
    def catalog_digest(self) -> str | None:
        """:func:`faborite.target.relations_digest` of the catalog rows read (None: nothing was read)."""
        return self.catalog.digest if self.catalog is not None else None

    @property
    def catalog_stamp(self) -> list | None:
        """The catalog files' stamp taken just before those rows were read (faborite/catalog_stamp.py),
        or None: nothing was read, the target names no such files, or one had just changed."""
        return self.catalog.stamp if self.catalog is not None else None

    def exists(self, physical: str) -> bool:
        """Whether the physical relation (or version folder) ``physical`` exists."""
        return _key(physical) in self.relations

    def points_at(self, published: str) -> str:
        """What the published name reads: a physical key (case-folded), MISSING or FOREIGN."""
        return self.pointers.get(_key(published), MISSING)

    def publishes(self, published: str, physical: str) -> bool:
        """Whether ``published`` currently reads ``physical``."""
        return self.points_at(published) == _key(physical)


def target_schemas(nodes: Iterable[NodeState]) -> list[str]:
    """The schemas :func:`observe` describes for ``nodes`` (those published in the target, not as files)."""
    return sorted({Relation.parse(k).schema_name for n in nodes if not n.extra.get("files")
                   for k in (n.relation, n.physical)})


@dataclass(frozen=True)
class CatalogView:
    """What one catalog query said, reduced to what drift needs: what
    faborite/state/remembered_catalog.py keeps while the catalog's files keep their ``stamp``."""

    #: Relations in the watched schemas (case-folded ``schema.name`` keys).
    relations: frozenset[str]
    #: Each view's name -> the physical key it reads, or FOREIGN.
    pointers: dict[str, str]
    #: :func:`faborite.target.relations_digest` of the rows.
    digest: str
    #: The catalog files' stamp taken before the query (faborite/catalog_stamp.py), or None.
    stamp: list | None


def describe_catalog(connection, schemas: list[str]) -> CatalogView | None:
    """One catalog query of ``schemas`` on ``connection`` (None when nothing is read: no database,
    no schema)."""
    from faborite.catalog_stamp import catalog_stamp
    from faborite.target import info_row, relations_digest

    if connection is None or not schemas:
        return None
    dialect = connection.dialect
    stamp = catalog_stamp(connection)  # before the read: a change racing it leaves the stamp older, never newer
    reader = getattr(connection, "catalog_rows", None)
    # Plain rows (a CatalogReader): 20,000 relation objects cost a fifth of a second.
    rows = reader(schemas) if reader is not None else [info_row(i) for i in connection.describe_relations(schemas)]
    relations: set[str] = set()
    pointers: dict[str, str] = {}
    for schema, name, kind, definition in rows:
        key = _key(f"{schema}.{name}")
        relations.add(key)
        reads = dialect.pointer_reads(definition) if kind == "view" and definition else None
        # State records names within the connection's catalog: an engine that prints the
        # catalog in a view's SQL (three-part names) points at the same relation.
        # (The key without the catalog, spelled out: a model_copy per view cost ~0.1 s at 10,000.)
        pointers[key] = _key(f"{reads.schema_name}.{reads.name}") if reads is not None else FOREIGN
    # From the same rows as the answer: a remembered plan's drift is a function of exactly these.
    return CatalogView(relations=frozenset(relations), pointers=pointers, digest=relations_digest(rows), stamp=stamp)


def observe(connection, nodes: Iterable[NodeState], project_root: Path, *,
            recalled: CatalogView | None = None, schemas: list[str] | None = None) -> Observed:
    """Look at the target (``connection``: a TargetConnection, or None when its database
    does not exist) and the file outputs of ``nodes``. ``recalled``: what the catalog query of
    ``target_schemas(nodes)`` (``schemas``, when known) said, remembered: used instead of asking."""
    nodes = list(nodes)
    schemas = target_schemas(nodes) if schemas is None else schemas
    catalog = recalled if recalled is not None else describe_catalog(connection, schemas)
    relations = set(catalog.relations) if catalog is not None else set()
    pointers = dict(catalog.pointers) if catalog is not None else {}
    for node in nodes:
        if not node.extra.get("files"):
            continue
        folder = Path(project_root) / node.physical
        if folder.is_dir():
            relations.add(_key(node.physical))
        link = Path(project_root) / node.relation
        if link.is_symlink():
            target = (link.parent / os.readlink(link)).resolve()
            try:
                pointers[_key(node.relation)] = _key(target.relative_to(Path(project_root).resolve()).as_posix())
            except ValueError:
                pointers[_key(node.relation)] = FOREIGN
        elif link.exists():
            pointers[_key(node.relation)] = FOREIGN
    return Observed(relations=frozenset(relations), pointers=pointers,
                    target_exists=connection is not None or recalled is not None,
                    schemas=tuple(schemas), catalog=catalog)
