"""What the sources held when a plan was made: tables and their versions.

Planning a sync needs each source table's version (a Delta version, a files
digest, a row count), which means reading source metadata. That read is the
*refresh* step; its result is this snapshot, which the compiler takes as a
plain input so compile itself stays pure. The last snapshot is cached, so a
plan can be made offline with ``--refresh=false``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from faborite.atomic_file import write_atomic
from faborite.sync.source import SourceTableInfo

SNAPSHOT_FORMAT_VERSION = 1


class SourceSnapshot(BaseModel):
    """Tables (with versions) per sync source, and when they were read."""

    model_config = ConfigDict(frozen=True)

    taken_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    tables: dict[str, tuple[SourceTableInfo, ...]] = Field(default_factory=dict)


def save_snapshot(snapshot: SourceSnapshot, path: Path) -> None:
    """Cache ``snapshot`` (atomic write)."""
    payload = {"format_version": SNAPSHOT_FORMAT_VERSION, "snapshot": json.loads(snapshot.model_dump_json())}
    write_atomic(path, json.dumps(payload, indent=1).encode("utf-8"))


def load_snapshot(path: Path) -> SourceSnapshot | None:
    """The cached snapshot, or None when there is none (or it is unreadable)."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if payload.get("format_version") != SNAPSHOT_FORMAT_VERSION:
            return None
        return SourceSnapshot.model_validate(payload["snapshot"])
    except (OSError, ValueError, KeyError, ValidationError):
        return None
