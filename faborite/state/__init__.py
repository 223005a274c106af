"""Recorded state: what each target holds, its history, and the lock guarding it.

One job: remember, per target, which version of every node is built where, as
an append-only chain of snapshots (``lineage`` + ``serial``), and let one
operation at a time change it. :mod:`.model` defines the data,
:mod:`.file_format` its versioned JSON form, :mod:`.backend` the capabilities a
store provides, :mod:`.local` the store on local disk.
"""

from faborite.state.backend import Locker, StateBackend, StateReader, StateWriter, locked
from faborite.state.local import LocalStateBackend
from faborite.state.lock import LockInfo
from faborite.state.model import HistoryEntry, NodeChangeRecord, NodeState, State, StateEvent

__all__ = [
    "HistoryEntry",
    "LocalStateBackend",
    "LockInfo",
    "Locker",
    "NodeChangeRecord",
    "NodeState",
    "State",
    "StateBackend",
    "StateEvent",
    "StateReader",
    "StateWriter",
    "locked",
]
