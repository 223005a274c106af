"""What the ``env`` commands report: plain values, imported only by them (pydantic models cost
import time on every other command)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class EnvironmentSummary(BaseModel):
    """One environment of a target, as ``env list`` shows it."""

    name: str
    default: bool
    #: Where its state lives in the target's backend (``<target>@<env>``; the target for the default).
    state_key: str
    serial: int | None
    last_operation: str | None
    last_applied_at: datetime | None
    nodes: int
    #: ``env delete`` emptied it (its history is kept).
    deleted: bool


class VersionDiff(BaseModel):
    """A node both environments publish, from different physical versions."""

    node: str
    a_version: str
    b_version: str
    a_physical: str
    b_physical: str


class EnvironmentDiff(BaseModel):
    """``env diff A B``: how two environments' published nodes differ."""

    a: str
    b: str
    differ: list[VersionDiff]
    only_in_a: list[str]
    only_in_b: list[str]
    same: int
