"""A catalog kept in local files, named by those files' stats.

A target whose whole catalog lives in a few local files (an embedded database
file and its write-ahead log) changes at least one of their size, mtime,
ctime or inode whenever its catalog changes. A remembered no-change plan
(faborite/no_change_memo.py) keeps the stamp taken just before its drift
check's catalog query; an equal stamp later means the same query would read
the same rows, so the recall need not open the database (opening a 2 GB
DuckDB file of 10,000 tables costs most of a second).

As in the compile skip (faborite/compiler/partial_parse.py), a file changed
within :data:`RACY_SECONDS` of the stamp gives no stamp: a write in the same
timestamp tick could keep every stat, so such a catalog is queried instead.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

RACY_SECONDS = 2.0

#: ``[path, device, inode, size, mtime_ns, ctime_ns]``, or ``[path, None]`` for an absent file.
FileStamp = list[Any]


def catalog_stamp(connection: Any) -> list[FileStamp] | None:
    """The stamp of ``connection``'s catalog files (its optional ``catalog_files()``, see
    :class:`faborite.target.CatalogFiles`); None when it names none or one changed just now."""
    files = getattr(connection, "catalog_files", None)
    paths = files() if files is not None else None
    return stamp_files(paths) if paths else None


def stamp_files(paths: Sequence[str]) -> list[FileStamp] | None:
    """Each path's stat as a :data:`FileStamp`; None when one cannot be read or changed within
    :data:`RACY_SECONDS`."""
    racy_after = time.time_ns() - int(RACY_SECONDS * 1e9)
    stamps: list[FileStamp] = []
    for path in paths:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            stamps.append([path, None])
            continue
        except OSError:
            return None
        if max(st.st_mtime_ns, st.st_ctime_ns) >= racy_after:
            return None
        stamps.append([path, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns])
    return stamps


def still_stamped(stamp: list[FileStamp] | None) -> bool:
    """Whether every file of ``stamp`` is as it was (absent files still absent)."""
    if not stamp:
        return False
    try:
        paths = [str(entry[0]) for entry in stamp]
    except (TypeError, IndexError):
        return False
    return stamp_files(paths) == stamp
