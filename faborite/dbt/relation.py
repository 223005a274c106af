"""Relations as dbt's Jinja sees them: ``this``, ``ref()``, ``source()``, ``api.Relation.create``.

dbt hands templates Relation objects with ``database``/``schema``/``identifier``
attributes that render as the quoted name. Here they are ``str`` subclasses, so
everything that already treats ``ref()`` as text (concatenation, ``| string``,
the static fast path) keeps working, while the attributes are there for macros.
``ref()`` and ``this`` render as placeholders that the compiler swaps for the
final relation name; their attributes are the compile's best knowledge at render
time (schema and alias from folder defaults, properties and target).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


class RelationText(str):
    """A relation name as text, with dbt's Relation attributes.

    ``lookup`` (for ``ref()``) answers ``(database, schema, identifier)`` when an attribute is
    first read: most refs are only rendered, and a render that reads them is not cached.
    """

    #: The project node this relation stands for (None: not a node of this compile, e.g. a source).
    node: str | None

    def __new__(cls, text: str, *, database: str | None = None, schema: str | None = None,
                identifier: str | None = None, node: str | None = None, source: tuple[str, str] | None = None,
                quote: Callable[[str], str] | None = None,
                lookup: Callable[[], tuple[str | None, str, str]] | None = None) -> "RelationText":
        value = super().__new__(cls, text)
        value._parts = (database, schema, identifier)
        value.node, value.source = node, source
        value._quote, value._lookup = quote, lookup
        return value

    def _part(self, index: int) -> str | None:
        if self._lookup is not None:
            self._parts, self._lookup = self._lookup(), None
        return self._parts[index]

    @property
    def database(self) -> str | None:
        """The catalog, if any."""
        return self._part(0)

    @property
    def schema(self) -> str | None:
        """The schema."""
        return self._part(1)

    @property
    def identifier(self) -> str | None:
        """The name in the schema."""
        return self._part(2)

    @property
    def name(self) -> str | None:
        """dbt's ``relation.name``: the identifier."""
        return self.identifier

    @property
    def table(self) -> str | None:
        """dbt's ``relation.table``: the identifier."""
        return self.identifier

    @property
    def type(self) -> str | None:
        """dbt's ``relation.type``; unknown at plan time."""
        return None

    @property
    def is_cte(self) -> bool:
        """dbt's ``relation.is_cte``: a ref to an ephemeral model is inlined, never a named CTE here."""
        return False

    @property
    def is_table(self) -> bool:
        """dbt's ``relation.is_table``; the type is unknown at plan time."""
        return False

    @property
    def is_view(self) -> bool:
        """dbt's ``relation.is_view``; the type is unknown at plan time."""
        return False

    def get(self, key: str, default: Any = None) -> Any:
        """dbt's Relation is a mapping too: packages check ``relation.get('metadata')['type']``
        (dbt_utils' ``_is_relation``); ``path`` holds the parts."""
        if key == "metadata":
            return {"type": "Relation"}
        if key == "path":
            return {"database": self.database, "schema": self.schema, "identifier": self.identifier}
        return {"type": self.type, "database": self.database, "schema": self.schema,
                "identifier": self.identifier}.get(key, default)

    def render(self) -> str:
        """The relation as SQL (the same as the text)."""
        return str(self)

    def include(self, database: bool = True, schema: bool = True, identifier: bool = True) -> "RelationText":
        """The relation without the parts set to False (rendered from its parts, unplaceholdered)."""
        parts = [p for p, keep in ((self.database, database), (self.schema, schema), (self.identifier, identifier))
                 if keep and p]
        text = ".".join(self._quote(p) if self._quote else p for p in parts)
        return RelationText(text, database=self.database if database else None,
                            schema=self.schema if schema else None,
                            identifier=self.identifier if identifier else None, quote=self._quote)

    def incorporate(self, path: dict[str, Any] | None = None, **_: Any) -> "RelationText":
        """A copy with ``path`` parts (database/schema/identifier) replaced."""
        path = dict(path or {})
        return create_relation(self._quote, database=path.get("database", self.database),
                               schema=path.get("schema", self.schema),
                               identifier=path.get("identifier", self.identifier))

    def replace_path(self, **parts: Any) -> "RelationText":
        """dbt's ``relation.replace_path(database=...)``: a copy with those parts replaced."""
        return self.incorporate(path=parts)

    def quote(self, *_: Any, **__: Any) -> "RelationText":
        """dbt's quoting policy switch: names here are always quoted."""
        return self


# Jinja's `is mapping` (dbt_utils' `_is_relation`): a relation is a mapping in dbt; text everywhere else.
Mapping.register(RelationText)


def create_relation(quote: Callable[[str], str] | None, database: str | None = None, schema: str | None = None,
                    identifier: str | None = None, **_: Any) -> RelationText:
    """``api.Relation.create(database=, schema=, identifier=)``: quoted, dotted parts that are set."""
    parts = [p for p in (database, schema, identifier) if p]
    return RelationText(".".join(quote(p) if quote else p for p in parts), database=database, schema=schema,
                        identifier=identifier, quote=quote)


class ThisRelation(RelationText):
    """``{{ this }}``: renders as its placeholder; ``this.name``/``schema``/... describe the node being
    rendered (one object serves every render: it asks ``current_node()`` on each read)."""

    def __new__(cls, placeholder: str, current_node: Callable[[], str | None],
                relation_of: Callable[[str], tuple[str | None, str, str]]) -> "ThisRelation":
        value = super().__new__(cls, placeholder)
        value._current_node, value._relation_of = current_node, relation_of
        return value

    def _part(self, index: int) -> str | None:
        node = self._current_node()
        return self._relation_of(node)[index] if node is not None else None

    @property
    def node(self) -> str | None:  # type: ignore[override]
        """The node being rendered."""
        return self._current_node()

    @node.setter
    def node(self, value: str | None) -> None:
        pass  # set by RelationText.__new__; the node is always the one rendered


class DbtColumn:
    """What ``adapter.get_columns_in_relation`` returns per column (dbt's Column attributes)."""

    def __init__(self, name: str, data_type: str | None = None, quote: Callable[[str], str] | None = None) -> None:
        self.name = self.column = name
        self.data_type = self.dtype = data_type
        self.quoted = quote(name) if quote else name

    #: dbt's ``Column.TYPE_LABELS``: the names ``translate_type`` gives generic types.
    TYPE_LABELS = {"STRING": "TEXT", "TIMESTAMP": "TIMESTAMP", "FLOAT": "FLOAT", "INTEGER": "INT",
                   "BOOLEAN": "BOOLEAN"}

    def __repr__(self) -> str:
        return f"<Column {self.name} ({self.data_type})>"

    @classmethod
    def translate_type(cls, dtype: str) -> str:
        """``api.Column.translate_type('string')``: dbt's label for a generic type, else ``dtype``."""
        return cls.TYPE_LABELS.get(str(dtype).upper(), dtype)


class RelationApi:
    """``api.Relation`` (``create``) and ``api.Column``."""

    def __init__(self, quote: Callable[[str], str]) -> None:
        self._quote = quote
        self.Relation = self
        self.Column = DbtColumn

    def create(self, database: str | None = None, schema: str | None = None, identifier: str | None = None,
               **kwargs: Any) -> RelationText:
        """A relation from its parts, quoted in the project's dialect."""
        return create_relation(self._quote, database, schema, identifier, **kwargs)
