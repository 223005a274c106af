"""A parsed copy of the last local state snapshot read, so the next read skips JSON and validation.

The promise: a hit returns the State that parsing the snapshot file now would
return, or there is no hit. At 10,000 nodes parsing and validating the 12 MB
file costs about half a second; unpickling the parsed State about a fifth of that (its
repeated columns, parent lists and apply times are pickled once each: :func:`_shared_parts`).

The entry is keyed by the snapshot file's path and identity (size, mtime_ns,
ctime_ns, inode, taken from the open file before reading it) and faborite's
version. Snapshots are published by hard-linking a complete temp file and
never rewritten in place, so a rewrite by hand changes the identity (ctime
cannot be set back by tools). A file changed within :data:`RACY_SECONDS` of
the read is not cached: a second edit in the same timestamp tick could keep
its identity. The entry is one pickle per state directory, written atomically,
read with faborite's restricted unpickler and only from a file owned by this
user and not writable by everyone; anything odd is a miss.
"""

from __future__ import annotations

import logging
import os
import pickle
import time
from pathlib import Path

from faborite import __version__
from faborite.atomic_file import write_atomic
from faborite.safe_pickle import safe_loads
from faborite.state.model import NodeState, State

log = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 2: repeated values pickled once (_shared_parts)
RACY_SECONDS = 2.0


def file_key(path: Path, st: os.stat_result) -> list:
    """What the entry is keyed by: the file, its identity, and the faborite that parsed it."""
    return [FORMAT_VERSION, __version__, str(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def load(cache: Path, key: list) -> State | None:
    """The cached State for the file ``key`` names; None on any miss."""
    try:
        st = os.stat(cache)
        if st.st_uid != os.getuid() or st.st_mode & 0o002:
            return None
        with open(cache, "rb") as handle:
            entry = safe_loads(handle.read())
        if entry["key"] != key or not isinstance(entry["state"], State):
            return None
        return entry["state"]
    except (OSError, pickle.UnpicklingError, ValueError, KeyError, TypeError, EOFError, AttributeError,
            ImportError, IndexError) as exc:
        log.debug("parsed state cache ignored: %s", exc)
        return None


def save(cache: Path, key: list, state: State) -> None:
    """Remember ``state``, parsed from the file ``key`` names (unless that file changed just now)."""
    if key[4] >= time.time_ns() - int(RACY_SECONDS * 1e9) or key[5] >= time.time_ns() - int(RACY_SECONDS * 1e9):
        return
    try:
        write_atomic(cache, pickle.dumps({"key": key, "state": _shared_parts(state)},
                                         protocol=pickle.HIGHEST_PROTOCOL))
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
        log.debug("parsed state cache not saved: %s", exc)


def _shared_parts(state: State) -> State:
    """An equal State whose nodes' equal columns, parent lists and apply times are one object each.

    Pickle stores an object once per identity, and every repeat of a value is built again on
    load (a pydantic model's ``__setstate__`` each): at 10,000 nodes the 40,000 columns are a few
    dozen values, and sharing them makes the load ~0.1 s instead of ~0.25 s. Each of these
    values is immutable (frozen columns, tuples of strings, datetimes), so sharing cannot be seen.
    """
    seen: dict = {}
    nodes = {}
    for node_id, node in state.nodes.items():
        parts = dict(node.__dict__)
        columns = tuple(seen.setdefault(column, column) for column in node.columns)
        parts["columns"] = seen.setdefault(("columns", *map(id, columns)), columns)
        parts["parents"] = seen.setdefault(("parents", node.parents), node.parents)
        at = node.applied_at
        # Equal instants at other offsets compare equal: the zone and fold tell them apart.
        parts["applied_at"] = seen.setdefault(("at", at, repr(at.tzinfo), at.fold), at)
        twin = NodeState.__new__(NodeState)
        for name, value in (("__dict__", parts), ("__pydantic_fields_set__", set(node.__pydantic_fields_set__)),
                            ("__pydantic_extra__", node.__pydantic_extra__),
                            ("__pydantic_private__", node.__pydantic_private__)):
            object.__setattr__(twin, name, value)
        nodes[node_id] = twin
    twin_state = state.model_copy()
    object.__setattr__(twin_state, "__dict__", {**state.__dict__, "nodes": nodes})
    return twin_state
