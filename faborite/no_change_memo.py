"""Remember that a plan found no changes, so asking again needs no compile, no state read and no planner.

The promise: a recalled "No changes." is what a full plan would print now, or
there is no recall. A plan of the whole project in the default environment
(no selection, ``--due``, ``--state`` or rebuild options) is a function of the
manifest, the state with its pending intent, and with refresh what the target
holds. The memo is keyed on exactly those:

* the compile: a digest of its partial-parse key (``faborite/compiler/
  partial_parse.py``: every project file's size and times, the environment
  variables it read, ``--vars``, target, versions), taken again from a new
  listing on each recall; the target's state location comes from the same
  files and variables;
* the state: the local state directory's identity (latest snapshot's name,
  size, mtime, ctime and inode, and the intent file's), taken after the
  compile and before the state was read, so a change racing the plan makes
  the memo older than the state, never newer; only the local backend says
  who it is without a read, so other backends are never remembered;
* the flags: target and profile as given, ``--vars`` (hashed), refresh;
* with refresh, the drift check is not skipped: it runs again on every recall
  (same schemas) and must observe exactly what the remembered plan observed
  (a digest of every relation and what each view points at). Drift is a
  function of the state and that observation, so equal digests mean no drift.
  Where the target keeps its whole catalog in local files (``CatalogFiles``:
  an embedded database and its write-ahead log), their stamp taken before the
  remembered query stands for it: unchanged files would answer the same rows
  (faborite/catalog_stamp.py), so the recall does not open the database.

Only a plan with no changes, no drift and no warning of its own is
remembered, and only a plan printed as text is answered from memory. The memo
is small JSON beside the compile cache, written atomically; a damaged one is
a miss. (It lives outside ``faborite.plan``: that package's imports cost a
quarter of a second, more than the recall itself.)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from faborite.atomic_file import write_atomic

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
#: What ``plan`` prints for a plan without changes (render.py prints the same lines from a full plan).
NOT_REFRESHED = "[dim]The target was not checked for changes made outside faborite (--refresh=false).[/]"
NO_CHANGES = "[bold green]No changes.[/] The target matches the project."


@dataclass(frozen=True)
class NoChangeMemo:
    """One remembered no-change plan. (A dataclass, not pydantic: the recall path imports no pydantic.)"""

    #: ``UnchangedCompile.digest`` of the compile, and what it read besides the project files.
    compile_digest: str
    env_read: list[str]
    files_read: list[str]
    state_dir: str
    state_identity: list[Any]
    flags: dict[str, Any]
    #: The project's warnings, printed again on recall.
    warnings: list[str]
    #: With refresh: the schemas the drift check describes, and the digest of what it observed.
    schemas: list[str] | None = None
    observed_digest: str | None = None
    #: With refresh: the catalog files' stamp taken before that observation (None: query each time).
    catalog_stamp: list | None = None


@dataclass(frozen=True)
class KnownNoChange:
    """A recalled plan: no changes; ``refreshed`` says whether the target was looked at."""

    refreshed: bool
    warnings: tuple[str, ...] = ()


def render_no_changes(known: KnownNoChange, console: Any) -> None:
    """Print ``known`` on a rich ``console`` exactly as the full plan's text would read."""
    if not known.refreshed:
        console.print(NOT_REFRESHED)
    console.print(NO_CHANGES)


def plan_flags(*, target_name: str | None, profile: str | None, vars_override: dict[str, Any],
               refresh: bool) -> dict[str, Any]:
    """The flags a remembered plan was made with (values of ``--vars`` hashed, never stored)."""
    var_text = json.dumps(vars_override, sort_keys=True, default=repr).encode("utf-8")
    return {"format": FORMAT_VERSION, "target": target_name, "profile": profile, "refresh": refresh,
            "vars": hashlib.sha256(var_text).hexdigest()}


def memo_path(cache_dir: Path, *, refresh: bool) -> Path:
    """Where the memo for plans with (or without) refresh lives: one each, the latest wins."""
    return Path(cache_dir) / f"no-change-plan-{'refresh' if refresh else 'offline'}-v{FORMAT_VERSION}.json"


def read_memo(path: Path) -> NoChangeMemo | None:
    """The memo at ``path``; None when absent, unreadable or not this format."""
    try:
        st = os.stat(path)
        if st.st_uid != os.getuid() or st.st_mode & 0o002:  # another user's memo could make plans lie
            return None
        with open(path, "rb") as handle:
            return NoChangeMemo(**json.loads(handle.read()))
    except (OSError, ValueError, TypeError) as exc:
        log.debug("no-change memo ignored: %s", exc)
        return None


def write_memo(path: Path, memo: NoChangeMemo) -> None:
    """Store ``memo`` atomically (a failure only costs the next plan its shortcut)."""
    try:
        write_atomic(path, json.dumps(asdict(memo), separators=(",", ":")).encode("utf-8"))
    except OSError as exc:
        log.debug("no-change memo not saved: %s", exc)


def forget(path: Path) -> None:
    """Drop the memo: the last plan with these flags had changes (or cannot be remembered)."""
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        log.debug("no-change memo not removed: %s", exc)
