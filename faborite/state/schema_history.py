"""One node's columns through the target's history (``faborite state show NODE --schema``).

Read from the recorded serials, oldest first: what readers of the node saw at
each serial, so a reviewer can tell when a column appeared, changed type or
went away. Reads only the state backend.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from faborite.errors import StateError, did_you_mean
from faborite.state.backend import StateBackend
from faborite.target import Column


class SchemaEntry(BaseModel):
    """The node as one serial recorded it."""

    model_config = ConfigDict(frozen=True)

    serial: int
    at: datetime | None
    version: str
    physical: str
    columns: tuple[Column, ...]


def node_id_in(ids: list[str], name: str) -> str | None:
    """The id among ``ids`` that ``name`` names: an id itself, or a name after its ``kind.``."""
    if name in ids:
        return name
    matches = [i for i in ids if i.split(".", 1)[-1] == name]
    return matches[0] if len(matches) == 1 else None


def schema_history(backend: StateBackend, name: str) -> list[SchemaEntry]:
    """Each serial's record of node ``name`` (an id or a name), oldest first; StateError if no serial has it."""
    entries: list[SchemaEntry] = []
    seen: set[str] = set()
    for item in backend.history():
        state = backend.read_serial(item.serial)
        seen.update(state.nodes)
        node_id = node_id_in(list(state.nodes), name)
        if node_id is None:
            continue
        node = state.nodes[node_id]
        entries.append(SchemaEntry(serial=state.serial, at=state.event.at if state.event else None,
                                   version=node.version, physical=node.physical, columns=node.columns))
    if not entries:
        raise StateError(f"no recorded state has a node {name!r}",
                         hint=did_you_mean(name, sorted({i.split(".", 1)[-1] for i in seen}))
                         or "`faborite state list` shows the nodes of the current state")
    return entries
