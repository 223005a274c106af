"""What the drift check's catalog query said, remembered with the stamp of the files it read.

``plan`` holds the state against what the target really holds: one catalog
query per plan. On an embedded database that query is cheap, but opening the
file is not (a 2 GB DuckDB file of 10,000 tables takes most of a second to
open and close). A target that names the files its catalog lives in
(``CatalogFiles``: ``catalog_files(config, project_root)`` on its provider)
lets its answer (relations, view pointers and the rows' digest:
``CatalogView``) be remembered with those files' stamp taken before the query
(faborite/catalog_stamp.py); while the stamp holds, the same query would read
the same rows, so the next plan reads the answer from here without opening
the database or parsing 10,000 view definitions again.

The file is small JSON in ``.faborite/cache`` (view definitions, no values,
no credentials), written atomically, ignored when another user owns it or
anyone may write it. Anything unexpected is a miss: the catalog is queried.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faborite.atomic_file import write_atomic
from faborite.catalog_stamp import still_stamped

if TYPE_CHECKING:
    from faborite.state.observed import CatalogView

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
#: Files kept in the cache folder (one per catalog and set of watched schemas: prod and a few
#: environments); older ones are removed when another is written.
KEPT = 8


def remembered_at(cache_dir: Path, files: list[str], schemas: list[str]) -> Path:
    """Where the rows of ``schemas`` of the catalog kept in ``files`` are remembered (one file each,
    so environments, which watch other schemas of the same database, keep theirs side by side)."""
    name = hashlib.sha256("\0".join([*files, "", *schemas]).encode("utf-8")).hexdigest()[:16]
    return Path(cache_dir) / f"catalog-rows-{name}-v{FORMAT_VERSION}.json"


def catalog_files(provider: Any, config: Any, project_root: Path) -> list[str]:
    """The files the target's provider says hold its catalog (empty: none, or it cannot say)."""
    files = getattr(provider, "catalog_files", None)
    if files is None:
        return []
    try:
        return list(files(config, project_root))
    except Exception as exc:  # noqa: BLE001 - a provider that cannot say: the catalog is queried
        log.debug("catalog files unknown: %s", exc)
        return []


def recall(path: Path, files: list[str], schemas: list[str]) -> "CatalogView | None":
    """What the catalog query of ``schemas`` said, remembered for the catalog in ``files``, while
    the files keep the stamp taken before it; None otherwise."""
    from faborite.state.observed import CatalogView

    if not files:
        return None
    try:
        st = os.stat(path)
        if st.st_uid != os.getuid() or st.st_mode & 0o002:  # another user's rows could hide drift
            return None
        with open(path, "rb") as handle:
            data = json.loads(handle.read())
        stamp = data["stamp"]
        if (data["format"] != FORMAT_VERSION or data["schemas"] != schemas
                or [entry[0] for entry in stamp] != files or not still_stamped(stamp)):
            return None
        pointers = data["pointers"]
        if not isinstance(pointers, dict) or not all(isinstance(v, str) for v in pointers.values()):
            return None
        return CatalogView(relations=frozenset(map(str, data["relations"])), pointers=pointers,
                           digest=str(data["digest"]), stamp=stamp)
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        log.debug("remembered catalog ignored: %s", exc)
        return None


def remember(path: Path, schemas: list[str], view: "CatalogView | None") -> None:
    """Keep ``view`` (what the query of ``schemas`` said) for :func:`recall`; without its stamp, forget."""
    try:
        if view is None or view.stamp is None:
            path.unlink(missing_ok=True)
            return
        payload = {"format": FORMAT_VERSION, "stamp": view.stamp, "schemas": schemas, "digest": view.digest,
                   "relations": sorted(view.relations), "pointers": view.pointers}
        write_atomic(path, json.dumps(payload, separators=(",", ":")).encode("utf-8"))
        _prune(path.parent)
    except OSError as exc:  # only the next plan's shortcut is lost
        log.debug("catalog rows not remembered: %s", exc)


def _prune(cache_dir: Path) -> None:
    """Keep the :data:`KEPT` most recently written files (a deleted environment's go in time)."""
    found = sorted(cache_dir.glob(f"catalog-rows-*-v{FORMAT_VERSION}.json"),
                   key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for stale in found[KEPT:]:
        stale.unlink(missing_ok=True)
