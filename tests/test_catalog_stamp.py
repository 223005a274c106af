"""Catalog files named by their stats: equal only while no file was written, added or removed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from faborite import catalog_stamp
from faborite.catalog_stamp import stamp_files, still_stamped


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog_stamp, "RACY_SECONDS", 0.0)


def test_a_file_changed_just_now_gives_no_stamp(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    db.write_bytes(b"1")
    assert stamp_files([str(db)]) is None, "written within RACY_SECONDS: a write in the same tick would hide"


def test_every_kind_of_change_breaks_the_stamp(tmp_path: Path, settled: None) -> None:
    db, wal = tmp_path / "x.db", tmp_path / "x.db.wal"
    db.write_bytes(b"1234")
    stamp = stamp_files([str(db), str(wal)])
    assert stamp is not None and stamp[1] == [str(wal), None] and still_stamped(stamp)
    time.sleep(0.02)
    wal.write_bytes(b"")  # a log appears
    assert not still_stamped(stamp)
    stamp = stamp_files([str(db), str(wal)])
    time.sleep(0.02)
    with db.open("r+b") as handle:  # same size, new bytes
        handle.write(b"5")
    assert not still_stamped(stamp)
    stamp = stamp_files([str(db), str(wal)])
    st = db.stat()
    replacement = tmp_path / "y.db"
    replacement.write_bytes(b"5234")
    os.utime(replacement, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(replacement, db)  # same size and mtime, another file
    assert not still_stamped(stamp)


def test_a_damaged_stamp_is_not_still_stamped() -> None:
    assert not still_stamped(None)
    assert not still_stamped([])
    assert not still_stamped([[]])
    assert not still_stamped("not a stamp")  # type: ignore[arg-type]
