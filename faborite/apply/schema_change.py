"""``on_schema_change``: what an incremental run does when the new rows' columns differ.

dbt's four policies, compared by column name (and the engine's type name):

- ``ignore`` (the default): the new version keeps the previous version's columns;
  a column the query adds is left out; a column it no longer has stops the apply
  (its new rows would have nothing to put there);
- ``fail``: any difference stops the apply, naming the columns;
- ``append_new_columns``: new columns are added (NULL in the earlier rows);
  columns the query no longer has stay, NULL in the new rows;
- ``sync_all_columns``: the new version has exactly the query's columns: new ones
  added (NULL in earlier rows), missing ones left out, retyped ones cast.

Earlier versions never change: the decision only shapes the version being built
(:class:`Layout`), which the row store and copy-on-write paths both follow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from faborite.errors import ApplyError
from faborite.target import Column

if TYPE_CHECKING:
    from faborite.compiler.manifest import Node
    from faborite.dialects.base import Dialect

Policy = Literal["append_new_columns", "sync_all_columns", "fail", "ignore"]

#: What each policy does, as the plan says it.
EFFECT: dict[str, str] = {
    "ignore": "columns the query adds are left out",
    "fail": "the apply stops if the query's columns differ from the previous version's",
    "append_new_columns": "new columns are added (NULL in earlier rows), dropped ones stay (NULL in new rows)",
    "sync_all_columns": "the version gets the query's columns: new ones added (NULL in earlier rows), "
                        "dropped ones left out, retyped ones cast",
}


class Layout(BaseModel):
    """The new version's columns and where each side's values come from."""

    model_config = ConfigDict(frozen=True)

    #: The new version's columns, in order, with the engine's type names.
    columns: tuple[Column, ...]
    #: Columns the previous version lacks (NULL in its rows).
    added: tuple[Column, ...] = ()
    #: Columns the new rows lack (NULL in them).
    missing: tuple[str, ...] = ()
    #: Columns whose earlier values are cast to a new type (sync_all_columns).
    retyped: tuple[Column, ...] = ()

    @property
    def names(self) -> list[str]:
        """The new version's column names."""
        return [c.name for c in self.columns]

    def previous_select(self, dialect: "Dialect", alias: str = "o") -> list[str]:
        """SELECT expressions over the previous version's rows, one per column of the new version."""
        q = dialect.quote_identifier
        added, retyped = {c.name: c for c in self.added}, {c.name: c for c in self.retyped}
        out = []
        for column in self.columns:
            if column.name in added:
                out.append(f"{dialect.cast('NULL', column.type)} AS {q(column.name)}")
            elif column.name in retyped:
                out.append(f"{dialect.cast(f'{alias}.{q(column.name)}', column.type)} AS {q(column.name)}")
            else:
                out.append(f"{alias}.{q(column.name)}")
        return out

    def new_select(self, dialect: "Dialect", alias: str = "n") -> list[str]:
        """SELECT expressions over the new rows, one per column of the new version."""
        q = dialect.quote_identifier
        return [f"{dialect.cast('NULL', c.type)} AS {q(c.name)}" if c.name in self.missing else f"{alias}.{q(c.name)}"
                for c in self.columns]


def resolve(node: "Node", policy: str, previous: list[Column], new: list[Column]) -> Layout:
    """The new version's layout under ``policy``; an ApplyError naming the columns when the
    policy refuses the difference."""
    old = {c.name: c for c in previous}
    fresh = {c.name: c for c in new}
    added = [c for c in new if c.name not in old]
    dropped = [c.name for c in previous if c.name not in fresh]
    retyped = [fresh[c.name] for c in previous if c.name in fresh and fresh[c.name].type != c.type]
    if not (added or dropped or retyped):
        return Layout(columns=tuple(previous))
    described = _describe(added, dropped, retyped, old)
    if policy == "fail":
        _refuse(node, f"its columns changed ({described}) and on_schema_change is fail",
                "rebuild it with --full-refresh, or set on_schema_change: append_new_columns or sync_all_columns")
    if policy == "ignore":
        if dropped:
            _refuse(node, f"the new rows lack column(s) {', '.join(dropped)} that the previous version has "
                          "(on_schema_change: ignore keeps the previous columns)",
                    "set on_schema_change: append_new_columns (NULL in new rows) or sync_all_columns, "
                    "or rebuild it with --full-refresh")
        return Layout(columns=tuple(previous))
    if policy == "append_new_columns":
        return Layout(columns=(*previous, *added), added=tuple(added), missing=tuple(dropped))
    return Layout(columns=tuple(new), added=tuple(added), retyped=tuple(retyped))


def _describe(added: list[Column], dropped: list[str], retyped: list[Column], old: dict[str, Column]) -> str:
    parts = [f"new: {', '.join(c.name for c in added)}"] if added else []
    parts += [f"gone: {', '.join(dropped)}"] if dropped else []
    parts += [f"retyped: {', '.join(f'{c.name} {old[c.name].type} -> {c.type}' for c in retyped)}"] if retyped else []
    return "; ".join(parts)


def _refuse(node: "Node", what: str, hint: str) -> None:
    raise ApplyError(f"incremental model {node.name!r}: {what}", file=node.file, hint=hint)


def planned(policy: str, previous: list[str], query: tuple[str, ...] | None) -> str:
    """The plan's words for the columns of an incremental run (query: the model's output
    columns when the compiler knows them)."""
    if query is None or not previous:
        return f"on_schema_change: {policy}: {EFFECT[policy]}"
    added = [c for c in query if c not in previous]
    dropped = [c for c in previous if c not in query]
    if not (added or dropped):
        return f"on_schema_change: {policy}: columns unchanged"
    change = "; ".join([*([f"new {', '.join(added)}"] if added else []),
                        *([f"gone {', '.join(dropped)}"] if dropped else [])])
    return f"on_schema_change: {policy}: {change}: {EFFECT[policy]}"
