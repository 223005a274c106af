"""Skip compiling when nothing a compile reads has changed (dbt's partial parsing, made safe).

The promise: a hit returns the project and manifest a full compile would
return now, or there is no hit. A compile is a pure function of the project
files, the faborite (and Python) version, the target name, ``--vars``, the
environment variables it reads and the data files of ``files`` sources, so the
key is exactly those:

* every project file's ``(path, size, mtime_ns, ctime_ns)``, listed again on
  each run (so an added or removed file is a change), plus ``dbt_project.yml``,
  ``profiles.yml``, ``packages.yml``, ``dependencies.yml`` and
  ``selectors.yml`` at the root when present; ``ctime`` cannot be set back
  by tools that restore ``mtime`` (``touch -d``, ``cp -p``, archive tools);
* for a file changed within :data:`RACY_SECONDS` of the listing (a later
  edit in the same timestamp tick would keep its ``mtime``), a SHA-256 of
  its content, as git does for "racily clean" index entries;
* every environment variable the compile looked up (a model's ``env_var()``,
  the target block's), as SHA-256 of its value or as unset: values are never
  stored;
* each ``files`` source pattern's file identity (what the compile hashes);
* the project root, the target name as given, ``--vars`` (hashed), faborite's and Python's versions,
  and every installed provider and dialect plugin with its distribution's version.

A project with syncs is never cached: they read the sources at plan time.
Residual risk: a file rewritten with the same size while both its ``mtime``
and its ``ctime`` are kept (only by setting the system clock back), and a
plugin's code edited in place without a new version (an editable install).

The entry is a pickle (loading 10,000 nodes from JSON costs validation
again), the project and the manifest apart (a remembered no-change plan
with refresh needs only the project, to connect: ``faborite/no_change_memo.py``,
which names a compile by :meth:`UnchangedCompile.digest`, a digest of this
key taken now); it is read with an unpickler that only builds faborite's own data
classes, paths and builtins, never calls functions, and only from a file
owned by this user and not writable by everyone. Anything odd is a miss.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faborite import __version__
from faborite.atomic_file import write_atomic
from faborite.compiler import warm_parser
from faborite.safe_pickle import safe_loads
from faborite.plugins import installed_plugins

if TYPE_CHECKING:
    from faborite.compiler.manifest import Manifest
    from faborite.config.loader import Project

log = logging.getLogger(__name__)

# 2: the project and the manifest pickled apart (a known no-change plan with refresh needs only the project).
FORMAT_VERSION = 2
_FILE = f"unchanged-v{FORMAT_VERSION}.pickle"
#: Files changed this recently before the listing are also compared by content.
RACY_SECONDS = 2.0
#: Files dbt (or a dbt reader) may read at the project root: listed when present, so they count too.
EXTRA_ROOT_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml", "selectors.yml")

class RecordingEnviron(Mapping[str, str]):
    """The environment as the compile sees it, remembering every name looked up.

    A snapshot: values cannot change halfway through a compile. Enumerating it
    (iterating, ``len``) reads everything, so the compile is then not cached.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._values = dict(os.environ if environ is None else environ)
        self.read: set[str] = set()
        self.enumerated = False

    def __getitem__(self, name: str) -> str:
        self.read.add(name)
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self.read.add(name)
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        self.enumerated = True
        return iter(self._values)

    def __len__(self) -> int:
        self.enumerated = True
        return len(self._values)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _env_digest(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name) if not isinstance(environ, RecordingEnviron) else environ._values.get(name)
    return None if value is None else _sha(value.encode("utf-8"))


def _listing(root: Path) -> tuple[dict[str, tuple[int, int, int]], dict[str, str]]:
    """``{path: (size, mtime_ns, ctime_ns)}`` of every input file, and content hashes of racy ones."""
    from faborite.config.inputs import input_files

    now = time.time_ns()
    racy_after = now - int(RACY_SECONDS * 1e9)
    base = str(root)
    stats: dict[str, tuple[int, int, int]] = {}
    racy: dict[str, str] = {}
    paths = input_files(root) + [name for name in EXTRA_ROOT_FILES if os.path.isfile(os.path.join(base, name))]
    for rel in paths:
        full = os.path.join(base, rel)
        try:
            st = os.stat(full)
        except OSError:  # removed while listing: absent
            continue
        stats[rel] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        if max(st.st_mtime_ns, st.st_ctime_ns) >= racy_after:
            try:
                with open(full, "rb") as handle:
                    racy[rel] = _sha(handle.read())
            except OSError:
                racy[rel] = ""
    return stats, racy


def _files_source_patterns(project: "Project") -> list[str]:
    return sorted({table.path or "" for entry in project.sources.values() if entry.doc.type == "files"
                   for table in entry.doc.tables})


def _profiles_identity(root: Path) -> list[Any] | None:
    """Where a dbt project's profiles.yml is (project folder, ``DBT_PROFILES_DIR``, ``~/.dbt``) and
    its size and times; None for a faborite project."""
    if not (root / "dbt_project.yml").is_file() or (root / "faborite.yml").is_file():
        return None
    from faborite.dbt.profiles import find_profiles

    found = find_profiles(root, os.environ)
    if found is None:
        return []
    stat = found.stat()
    return [str(found.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]


#: What a damaged, foreign or outdated cache entry raises while read: each is a miss.
_MISS = (OSError, pickle.UnpicklingError, ValueError, KeyError, TypeError, EOFError, AttributeError, ImportError,
         IndexError)


class UnchangedCompile:
    """One compile's key, taken before anything is read; :meth:`load` a hit or :meth:`save` the result."""

    def __init__(self, cache_dir: Path, root: Path, target_name: str | None, vars_override: dict[str, Any],
                 profile: str | None = None) -> None:
        self._path = cache_dir / _FILE
        self._root = Path(root)
        #: The environment to compile with: it records what the compile reads.
        self.environ = RecordingEnviron()
        self._target_name, self._vars = target_name, dict(vars_override)
        #: What the compile returned read besides the listed files: the environment variables and
        #: ``files`` source patterns (None: unknown, or it cannot be named by :meth:`digest`).
        self.reads: tuple[list[str], list[str]] | None = None
        self._digests: dict[tuple[str, ...], str] = {}
        self._fixed = {"format": FORMAT_VERSION, "faborite": __version__, "python": list(sys.version_info[:2]),
                       # The project holds its root: the same files seen at another path are another project.
                       "root": str(self._root.resolve()),
                       # A provider or dialect upgraded (or added) in another distribution changes output too.
                       "plugins": installed_plugins(),
                       "target": target_name,
                       # A dbt project's targets come from a profiles.yml that may live outside it.
                       "profile": profile, "profiles": _profiles_identity(self._root),
                       # Hashed: a --vars value no template prints must not land on disk either.
                       "vars": _sha(json.dumps(vars_override, sort_keys=True, default=repr).encode("utf-8"))}
        try:
            self._stats, self._racy = _listing(self._root)
        except OSError as exc:  # an unreadable folder: compile as usual, which reports it
            log.debug("compile skip unavailable: %s", exc)
            self._stats, self._racy = None, {}

    def load(self) -> "tuple[Project, Manifest] | None":
        """The cached project and manifest when nothing they depend on changed; when only model
        files' text did, the cached manifest with those models compiled again; else None."""
        found = self._entry()
        if found is None:
            return None
        key = found["key"]
        edited = self._edited(key)
        if edited is None:
            return None
        self._settle(found, edited)
        if edited:  # they will be parsed: import the parser on another core while the rest loads
            warm_parser.start(found.get("sql_dialect"))
        try:
            project, manifest = safe_loads(found["project"]), safe_loads(found["manifest"])
        except _MISS as exc:
            log.debug("compile skip ignored: %s", exc)
            warm_parser.stop()
            return None
        if not edited:
            log.debug("compile skipped: no input changed since the cached manifest")
            self.reads = (sorted(key["env"]), sorted(key["files"]))
            return project, manifest
        hit = self._recompile(project, manifest, edited)
        if hit is None:  # a full compile follows: its own workers parse
            warm_parser.stop()
        else:  # the edited models' compile may have read more of the environment
            self.reads = (sorted(set(key["env"]) | self.environ.read), sorted(key["files"]))
        return hit

    def digest(self, reads: tuple[list[str], list[str]]) -> str | None:
        """A SHA-256 naming what a compile of the files as listed now gives, given what else it
        ``reads`` (environment variable names, ``files`` source patterns): equal digests, equal
        compiles (the promise above). None when the folder could not be listed."""
        if self._stats is None or self.environ.enumerated:
            return None
        env_names, patterns = reads
        if patterns:  # the files' identities are taken now: never reuse one
            return _sha(json.dumps(self._key(env_names, patterns), sort_keys=True, default=repr).encode("utf-8"))
        # The listing and the environment are a snapshot: the same names give the same digest
        # (a plan asks twice: whether it is a remembered no-change plan, and what to remember).
        names = tuple(sorted(env_names))
        if names not in self._digests:
            self._digests[names] = _sha(json.dumps(self._key(names, ()), sort_keys=True, default=repr).encode("utf-8"))
        return self._digests[names]

    def _key(self, env_names: "Iterable[str]", patterns: "Iterable[str]") -> dict[str, Any]:
        from faborite.compiler.sources import file_identity

        return {"fixed": self._fixed, "stats": self._stats, "racy": self._racy,
                "env": {name: _env_digest(self.environ, name) for name in sorted(env_names)},
                "files": {p: file_identity(self._root, p) for p in sorted(patterns)}}

    def cached_project(self) -> "Project | None":
        """The cached compile's project when its context matches and at most model files' text
        changed since (its target and connection settings are then today's); else None."""
        found = self._entry()
        edited = self._edited(found["key"]) if found is not None else None
        if edited is None:
            return None
        try:
            project = safe_loads(found["project"])
        except _MISS as exc:
            log.debug("compile skip ignored: %s", exc)
            return None
        return project if edited <= {model.path for model in project.models} else None

    def _entry(self) -> dict[str, Any] | None:
        """The cache entry when its fixed context and environment match this run's (files not compared)."""
        if self._stats is None:
            return None
        try:
            st = os.stat(self._path)
            if st.st_uid != os.getuid() or st.st_mode & 0o002:
                log.debug("compile skip ignored: %s is writable by others", self._path)
                return None
            with open(self._path, "rb") as handle:
                entry = safe_loads(handle.read())
            return entry if self._same_context(entry["key"]) else None
        except _MISS as exc:
            log.debug("compile skip ignored: %s", exc)
            return None

    def _same_context(self, key: dict[str, Any]) -> bool:
        if key["fixed"] != self._fixed:
            log.debug("compile skip miss: versions, target or vars changed")
            return False
        for name, digest in key["env"].items():
            if _env_digest(self.environ, name) != digest:
                log.debug("compile skip miss: environment variable %s changed", name)
                return False
        for pattern, identity in key["files"].items():
            from faborite.compiler.sources import file_identity

            if file_identity(self._root, pattern) != identity:
                log.debug("compile skip miss: files of %s changed", pattern)
                return False
        return True

    def _edited(self, key: dict[str, Any]) -> set[str] | None:
        """Files whose content may differ from the cached compile's; None when a file came or went."""
        if key["stats"].keys() != self._stats.keys():
            log.debug("compile skip miss: a file was added or removed")
            return None
        edited = {rel for rel, stat in self._stats.items() if key["stats"][rel] != tuple(stat)}
        for rel, digest in key["racy"].items():  # changed just before the last listing: compare content
            if rel not in edited and (self._racy[rel] if rel in self._racy else self._content_hash(rel)) != digest:
                edited.add(rel)
        return edited

    def _settle(self, entry: dict[str, Any], edited: set[str]) -> None:
        """Drop from the stored key the racy files that have settled: same stat and content as at
        the cached listing, and no longer changed within :data:`RACY_SECONDS` of now. Their stat
        alone now says they are unchanged, so later runs do not hash them again (after a checkout
        or a generator, that is every file: ~0.15 s at 10,000 models on each run)."""
        key = entry["key"]
        settled = {rel for rel in key["racy"] if rel not in edited and rel not in self._racy}
        if not settled:
            return
        racy = {rel: digest for rel, digest in key["racy"].items() if rel not in settled}
        try:  # the project and manifest stay the pickled bytes read: only the key is new
            write_atomic(self._path, pickle.dumps({**entry, "key": {**key, "racy": racy}},
                                                  protocol=pickle.HIGHEST_PROTOCOL))
        except OSError as exc:
            log.debug("compile skip key not settled: %s", exc)
            return
        log.debug("compile skip: %d file(s) no longer racy", len(settled))

    def _recompile(self, project: "Project", manifest: "Manifest", edited: set[str]):
        """The cached manifest with the edited models compiled again (None: some other file changed)."""
        import dataclasses

        from faborite.compiler.model_patch import recompile_models

        by_path = {model.path: model for model in project.models}
        if not edited <= by_path.keys():
            log.debug("compile skip miss: %s changed", ", ".join(sorted(edited - by_path.keys())))
            return None
        texts = {}
        for rel in edited:
            try:
                with open(os.path.join(self._root, rel), encoding="utf-8") as handle:
                    texts[rel] = handle.read()
            except (OSError, UnicodeDecodeError):  # the full compile reports it
                return None
        # Touched but the same text (a checkout, a copy, an editor saving unchanged): nothing to compile.
        edited = {rel for rel in edited if texts[rel] != by_path[rel].text}
        if not edited:
            log.debug("compile skipped: the changed files hold the cached text")
            return project, manifest
        models = tuple(dataclasses.replace(m, text=texts[m.path]) if m.path in texts else m for m in project.models)
        project = project.model_copy(update={"models": models})
        patched = recompile_models(project, manifest, {by_path[rel].name for rel in edited}, self._target_name,
                                   vars_override=self._vars, environ=self.environ, cache_dir=self._path.parent)
        if patched is None:
            log.debug("compile skip miss: the edit reaches past the edited models")
            return None
        # Not saved: the entry stays the last full compile, and each edit is compiled from it.
        log.debug("compile: %d edited model(s) compiled again, the rest reused", len(edited))
        return project, patched

    def _content_hash(self, rel: str) -> str:
        try:
            with open(os.path.join(self._root, rel), "rb") as handle:
                return _sha(handle.read())
        except OSError:
            return ""

    def save(self, project: "Project", manifest: "Manifest") -> None:
        """Remember ``manifest`` (compiled from ``project``, loaded after this key was taken)."""
        if self._stats is None or project.syncs or self.environ.enumerated:
            return
        key = self._key(self.environ.read, _files_source_patterns(project))
        try:
            entry = {"key": key, "project": pickle.dumps(project, protocol=pickle.HIGHEST_PROTOCOL),
                     "manifest": pickle.dumps(manifest, protocol=pickle.HIGHEST_PROTOCOL),
                     # For the warm parser, before the manifest is unpickled (absent in older entries).
                     "sql_dialect": manifest.sql_dialect}
            write_atomic(self._path, pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL))
        except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
            log.debug("compile skip not saved: %s", exc)
            return
        self.reads = (sorted(key["env"]), sorted(key["files"]))
