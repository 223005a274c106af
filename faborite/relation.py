"""Names of relations (tables and views) in a target, independent of any engine."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

#: Physical versions of a node live in a schema named ``PHYSICAL_PREFIX + <schema>``.
PHYSICAL_PREFIX = "faborite__"
#: How many hex digits of a version go into a physical relation's name.
VERSION_DIGITS = 12


class Relation(BaseModel):
    """A schema-qualified relation name. Rendering (quoting) is the dialect's job."""

    model_config = ConfigDict(frozen=True)

    schema_name: str
    name: str

    @property
    def key(self) -> str:
        """``schema.name``, unquoted: the relation's identity in state and plans."""
        return f"{self.schema_name}.{self.name}"

    def __str__(self) -> str:
        return self.key

    @classmethod
    def parse(cls, key: str) -> "Relation":
        """Build from ``schema.name`` (as written in state files)."""
        schema_name, _, name = key.partition(".")
        return cls(schema_name=schema_name, name=name)

    def physical(self, version: str) -> "Relation":
        """Where the given version of this virtual relation is built."""
        return Relation(
            schema_name=PHYSICAL_PREFIX + self.schema_name,
            name=f"{self.name}__{version[:VERSION_DIGITS]}",
        )
