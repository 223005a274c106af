"""The virtual layer for file outputs: versioned folders behind atomically swapped symlinks.

A sync that writes Parquet/CSV/JSON/Delta files puts each version in its own
folder, ``<path>/.faborite/<table>/<version>``, and publishes it by pointing
the symlink ``<path>/<table>`` at it. A symlink is replaced with one rename, so
readers see the old folder or the new one, never a mix; rollback repoints it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

from faborite.crashpoints import crash_point
from faborite.errors import ApplyError
from faborite.relation import VERSION_DIGITS

VERSIONS_DIR = ".faborite"


def version_folder(published: str, version: str) -> str:
    """Where ``version`` of the output published at ``published`` (``out/orders``) lives."""
    parent, _, name = published.rstrip("/").rpartition("/")
    return f"{parent + '/' if parent else ''}{VERSIONS_DIR}/{name}/{version[:VERSION_DIGITS]}"


def publish_links(root: Path, pointers: Mapping[str, str], drops: Iterable[str] = ()) -> None:
    """Point each published path at its version folder; remove the links in ``drops``."""
    for published in drops:
        link = root / published
        if link.is_symlink():
            link.unlink()
    for published, folder in sorted(pointers.items()):
        link = root / published
        target = root / folder
        if not target.exists():
            raise ApplyError(f"cannot publish {published}: its version folder {folder} is missing",
                             hint="it was garbage-collected or removed by hand; apply again to rebuild it")
        if link.exists() and not link.is_symlink():
            raise ApplyError(f"cannot publish {published}: a file or folder that faborite did not create is there",
                             hint="move it away; faborite publishes outputs as links to versioned folders")
        link.parent.mkdir(parents=True, exist_ok=True)
        temporary = link.with_name(f".{link.name}.{uuid.uuid4().hex[:8]}.link")
        crash_point("publish:link")
        os.symlink(os.path.relpath(target, link.parent), temporary)
        os.replace(temporary, link)


def remove_folders(root: Path, folders: Iterable[str]) -> None:
    """Delete version folders (gc)."""
    for folder in folders:
        shutil.rmtree(root / folder, ignore_errors=True)
