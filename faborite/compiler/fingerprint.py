"""Fingerprints: what makes two builds of a node the same.

* ``data_hash``: everything that changes a node's rows (canonical SQL, data config,
  seed bytes, a file source's file list and sizes).
* ``metadata_hash``: everything that doesn't (descriptions, tags, owners, checks).
* ``version``: ``data_hash`` plus the parents' versions, so a change flows downstream.

All SHA-256 over canonical JSON; nothing depends on library versions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any


# One encoder for every call: json.dumps with non-default options builds a new
# encoder each time, which dominated hashing 10,000 nodes.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str, check_circular=False)


def sha256_json(value: Any) -> str:
    """SHA-256 hex digest of ``value`` as canonical JSON (sorted keys, no spaces)."""
    return hashlib.sha256(_CANONICAL.encode(value).encode("utf-8")).hexdigest()


def data_hash(kind: str, content: str, data_config: dict[str, Any]) -> str:
    """Fingerprint of what determines a node's data, its parents aside."""
    return sha256_json({"kind": kind, "content": content, "config": data_config})


def metadata_hash(metadata: dict[str, Any]) -> str:
    """Fingerprint of a node's descriptive, non-data properties."""
    return sha256_json(metadata)


def version(node_data_hash: str, parent_versions: Iterable[tuple[str, str]]) -> str:
    """A node's version: its data hash and its parents' ``(id, version)`` pairs."""
    return sha256_json({"data": node_data_hash, "parents": sorted(parent_versions)})
