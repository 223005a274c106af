"""Names of relations (tables and views) in a target, independent of any engine."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

#: Physical versions of a node live in a schema named ``PHYSICAL_PREFIX + <schema>``.
PHYSICAL_PREFIX = "faborite__"
#: How many hex digits of a version go into a physical relation's name.
VERSION_DIGITS = 12


class Relation(BaseModel):
    """A schema-qualified relation name, optionally in a catalog (a database, a Unity
    catalog, a Fabric warehouse: three-part names). Rendering (quoting) is the dialect's job."""

    model_config = ConfigDict(frozen=True)

    schema_name: str
    name: str
    #: The catalog (database) holding the schema; None: the connection's own.
    catalog: str | None = None

    @property
    def key(self) -> str:
        """``schema.name`` (``catalog.schema.name`` with a catalog), unquoted: the relation's
        identity in state and plans. Read back with :meth:`parse` (``catalog=True`` for three parts)."""
        two = f"{self.schema_name}.{self.name}"
        return f"{self.catalog}.{two}" if self.catalog else two

    def __str__(self) -> str:
        return self.key

    @classmethod
    def parse(cls, key: str, *, catalog: bool = False) -> "Relation":
        """Build from ``schema.name`` (as written in state files), or ``catalog.schema.name``
        when ``catalog``. Catalog and schema names hold no dot; a relation's name may."""
        catalog_name = None
        if catalog:
            catalog_name, _, key = key.partition(".")
        schema_name, _, name = key.partition(".")
        return cls(schema_name=schema_name, name=name, catalog=catalog_name)

    def physical(self, version: str) -> "Relation":
        """Where the given version of this virtual relation is built (same catalog)."""
        return Relation(
            schema_name=PHYSICAL_PREFIX + self.schema_name,
            name=f"{self.name}__{version[:VERSION_DIGITS]}",
            catalog=self.catalog,
        )
