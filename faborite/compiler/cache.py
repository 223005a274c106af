"""A content-addressed cache of rendered and analysed models in ``.faborite/cache``.

Two tables, both keyed by SHA-256 of everything the value depends on:

* ``render``: a model file's Jinja output (with ref placeholders) and what it
  called; keyed by its path and text plus a *salt* covering project vars,
  macros, sources, the target and the faborite version. Environment variables
  a template read are stored as hashes and checked on every hit.
* ``sql``: the analysis of a rendered SQL text (canonical form, columns,
  lineage); keyed by dialect and text.

A cache problem is never an error: a missing, stale or corrupt file is a
miss. Writes are atomic (temp file + rename) and keep only entries used by
the latest compile, so the file does not grow without bound.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from collections.abc import Mapping
from typing import Any

from faborite import __version__
from faborite.atomic_file import write_atomic
from faborite.compiler.analysis import SqlAnalysis
from faborite.compiler.jinja import RenderRecord

log = logging.getLogger(__name__)

#: 2: ref placeholders carry the name hex-encoded (renders cached by 1 are not reused).
CACHE_FORMAT_VERSION = 2
_FILE = f"compile-v{CACHE_FORMAT_VERSION}.json"


def _sha(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def render_salt(*, project_vars: dict[str, Any], macros: list[tuple[str, str]], sources: Any,
                target: Any, node_names: set[str]) -> str:
    """Everything besides a model's own text that its rendering depends on."""
    return _sha(__version__, json.dumps(project_vars, sort_keys=True, default=str),
                json.dumps(macros), json.dumps(sources, sort_keys=True, default=str), repr(target),
                json.dumps(sorted(node_names)))


class CompileCache:
    """Load once, look up and add during a compile, save once at the end."""

    def __init__(self, directory: Path | None, salt: str, environ: Mapping[str, str]) -> None:
        self._path = directory / _FILE if directory is not None else None
        self._salt = salt
        self._environ = environ
        self._render: dict[str, Any] = {}
        self._sql: dict[str, Any] = {}
        self._used_render: dict[str, Any] = {}
        self._used_sql: dict[str, Any] = {}
        self._dirty = False
        self._loaded = False  # read on first lookup: a patched compile of one model needs no 8 MB of JSON
        self.hits = self.misses = 0

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if self._path is None or not self._path.is_file():
            return
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
            if data.get("format_version") != CACHE_FORMAT_VERSION or data.get("faborite_version") != __version__:
                log.debug("compile cache ignored: written by another faborite version")
                return
            self._render, self._sql = data["render"], data["sql"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.debug("compile cache ignored: %s", exc)

    # -- render ------------------------------------------------------------------

    def _render_key(self, path: str, text: str) -> str:
        return _sha(self._salt, path, text)

    def get_render(self, path: str, text: str) -> tuple[str, RenderRecord] | None:
        """A cached render of ``text``, if nothing it depends on changed."""
        key = self._render_key(path, text)
        self._load()
        entry = self._render.get(key)
        if entry is None:
            self.misses += 1
            log.debug("compile cache miss (render): %s changed or is new", path)
            return None
        for name, digest in entry["env"].items():
            if _sha(self._environ.get(name, "\0unset")) != digest:
                self.misses += 1
                log.debug("compile cache miss (render): %s reads env var %s, which changed", path, name)
                return None
        self.hits += 1
        self._used_render[key] = entry
        record = RenderRecord(file=path, refs=list(entry["refs"]),
                              sources=[tuple(s) for s in entry["sources"]], config=dict(entry["config"]),
                              env_vars=list(entry["env"]), config_at=dict(entry.get("config_at") or {}))
        return entry["text"], record

    def put_render(self, path: str, text: str, rendered: str, record: RenderRecord) -> None:
        """Remember a render (skipped when its config() values are not plain JSON)."""
        entry = {"text": rendered, "refs": record.refs, "sources": [list(s) for s in record.sources],
                 "config": record.config, "config_at": record.config_at,
                 "env": {name: _sha(self._environ.get(name, "\0unset")) for name in record.env_vars}}
        try:
            json.dumps(entry)
        except (TypeError, ValueError):
            return
        self._used_render[self._render_key(path, text)] = entry
        self._dirty = True

    # -- sql -----------------------------------------------------------------------

    def get_sql(self, dialect: str, sql: str) -> SqlAnalysis | None:
        """A cached analysis of ``sql``."""
        key = _sha(dialect, sql)
        self._load()
        entry = self._sql.get(key)
        if entry is None:
            return None
        self._used_sql[key] = entry
        return SqlAnalysis.from_json(entry)

    def put_sql(self, dialect: str, sql: str, analysis: SqlAnalysis) -> None:
        """Remember an analysis."""
        self._used_sql[_sha(dialect, sql)] = analysis.to_json()
        self._dirty = True

    def passed(self, check: str, read: str, sql: str) -> bool:
        """Whether ``sql`` (in sqlglot dialect ``read``) already passed ``check`` (e.g. a target
        dialect's support check): checks that parse SQL are skipped for text that passed before."""
        key = _sha("passed", check, read, sql)
        self._load()
        entry = self._sql.get(key)
        if entry is not None:
            self._used_sql[key] = entry
        return entry is not None

    def remember_passed(self, check: str, read: str, sql: str) -> None:
        """Remember that ``sql`` passed ``check`` (failures are never cached: they raise)."""
        self._used_sql[_sha("passed", check, read, sql)] = {"passed": True}
        self._dirty = True

    def save(self) -> None:
        """Write the entries used by this compile, atomically; failures are only logged."""
        if self._path is None:
            return
        if not self._dirty and (not self._loaded or (len(self._used_render) == len(self._render)
                                                     and len(self._used_sql) == len(self._sql))):
            return  # nothing new, nothing dropped (never read: nothing looked up)
        payload = {"format_version": CACHE_FORMAT_VERSION, "faborite_version": __version__,
                   "render": self._used_render, "sql": self._used_sql}
        try:
            write_atomic(self._path, json.dumps(payload, separators=(",", ":")).encode("utf-8"))
        except OSError as exc:
            log.debug("compile cache not saved: %s", exc)
