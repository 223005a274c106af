"""The Workspace's memory of no-change plans (``faborite/no_change_memo.py`` states the promise).

:meth:`NoChangePlans.known_no_change` answers before anything is compiled or
read; :class:`~faborite.api.Workspace`'s ``plan`` takes a token after its
compile and before its state read, and remembers a plan that found nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from faborite.api_sources import WORK_DIR

if TYPE_CHECKING:
    from faborite.compiler.partial_parse import UnchangedCompile
    from faborite.config.loader import Project
    from faborite.no_change_memo import KnownNoChange, NoChangeMemo
    from faborite.plan.model import Plan
    from faborite.state.backend import StateBackend
    from faborite.target import TargetConnection


class NoChangePlans:
    """Recall and remember plans that found no changes (a Workspace mixin)."""

    if TYPE_CHECKING:
        root: Path
        target_name: str | None
        vars_override: dict[str, Any]
        env_name: str | None
        profile: str | None
        project: Project
        state_backend: StateBackend

        def connect(self, *, read_only: bool = False) -> TargetConnection: ...

    #: The partial-parse key of the last compile (None: it could not be taken, the project was given).
    _compiled_by: "UnchangedCompile | None" = None

    def known_no_change(self, *, refresh: bool) -> "KnownNoChange | None":
        """Whether a plan of the whole project (default environment, no selection, ``--due``,
        ``--state`` or rebuild options) is known to find no changes, without compiling, reading the
        state or planning. With ``refresh`` the drift check still runs (one read-only catalog query)
        and must see what the remembered plan saw, unless the target's catalog files keep the
        stamp they had before that plan's query (faborite/catalog_stamp.py).

        Args:
            refresh: look at the target, as :meth:`~faborite.api.Workspace.plan`'s ``refresh``.

        Returns:
            The known outcome, or None: plan in full (nothing is known, or something changed); the
            next :meth:`~faborite.api.Workspace.compile` then reuses this call's listing of the files.
        """
        if self.env_name is not None:
            return None
        from faborite.compiler.partial_parse import UnchangedCompile
        from faborite.no_change_memo import KnownNoChange, memo_path, read_memo
        from faborite.state.local import LocalStateBackend

        cache = self.root / WORK_DIR / "cache"
        path = memo_path(cache, refresh=refresh)
        memo = read_memo(path)
        if memo is None or memo.flags != self._plan_flags(refresh):
            return None
        # The listing is taken first: a file edited after it is the next run's business, as in a compile.
        key = UnchangedCompile(cache, self.root, self.target_name, self.vars_override, profile=self.profile)
        # Nothing of the project is read here, so a miss's compile may use this key (and skip listing again).
        self.__dict__["_unused_compile_key"] = key
        if key.digest((memo.env_read, memo.files_read)) != memo.compile_digest:
            return None
        if LocalStateBackend(memo.state_dir).identity() != memo.state_identity:
            return None
        if refresh and not self._observes_the_same(key, memo, path):
            return None
        del self.__dict__["_unused_compile_key"]  # a hit: a later compile lists the files again
        return KnownNoChange(refreshed=refresh, warnings=tuple(memo.warnings))

    def _plan_flags(self, refresh: bool) -> dict[str, Any]:
        from faborite.no_change_memo import plan_flags

        return plan_flags(target_name=self.target_name, profile=self.profile, vars_override=self.vars_override,
                          refresh=refresh)

    def _observes_the_same(self, key: "UnchangedCompile", memo: "NoChangeMemo", path: Path) -> bool:
        """The drift check's catalog query made again (a read-only connection, the remembered
        schemas): whether it answers exactly what the remembered plan's did. Skipped while the
        catalog's files keep the remembered stamp; a query that agrees stamps the memo at ``path``."""
        from dataclasses import replace

        from faborite.catalog_stamp import catalog_stamp, still_stamped
        from faborite.no_change_memo import write_memo
        from faborite.target import catalog_digest

        if still_stamped(memo.catalog_stamp):  # the catalog's files are as they were: so are its rows
            return True
        project = key.cached_project()  # to connect with: its target block is today's
        if project is None or not memo.schemas or memo.observed_digest is None:
            return False
        # A workspace of the cached project: this one stays unloaded, so a miss compiles (and caches) as usual.
        probe = type(self)(root=self.root, target_name=self.target_name, vars_override=dict(self.vars_override),
                           profile=self.profile)
        probe.__dict__["project"] = project
        try:
            connection = probe.connect(read_only=True)
        except Exception:  # noqa: BLE001 - any failure is a miss: the full plan reports it properly
            return False
        try:
            stamp = catalog_stamp(connection)  # before the query, as in a plan (faborite/state/observed.py)
            same = catalog_digest(connection, memo.schemas) == memo.observed_digest
        except Exception:  # noqa: BLE001 - as above
            return False
        finally:
            connection.close()
        if same and stamp is not None and stamp != memo.catalog_stamp:
            write_memo(path, replace(memo, catalog_stamp=stamp))
        return same

    def _no_change_token(self, *, refresh: bool, whole: bool) -> "list[Any] | None":
        """What a plan is about to be made from, for :meth:`_remember_no_change`: taken after the
        compile and before the state is read (a racing apply then makes the memo stale, never wrong).
        None: this plan cannot be remembered (``whole`` False: a selection, ``--due``, ``--state``...)."""
        compiled = self._compiled_by
        if not whole or self.env_name is not None or compiled is None or compiled.reads is None:
            return None
        # A digest of files sources' data is taken now; otherwise it names the listing already
        # taken, and only a plan that finds no changes needs it (0.02 s at 10,000 files).
        digest = compiled.digest(compiled.reads) if compiled.reads[1] else None
        if compiled.reads[1] and digest is None:
            return None
        identity = getattr(self.state_backend, "identity", None)  # only a backend that names its state cheaply
        current = identity() if identity is not None else None
        if current is None:
            return None
        return [digest, compiled, str(self.state_backend.directory), current]

    def _remember_no_change(self, token: "list[Any] | None", plan: "Plan", refresh: bool) -> None:
        """Remember ``plan`` (made from ``token``) when it found no changes and no drift."""
        from faborite.no_change_memo import NoChangeMemo, forget, memo_path, write_memo

        if token is None:  # not a plan of the whole project: what is remembered is still true
            return
        path = memo_path(self.root / WORK_DIR / "cache", refresh=refresh)
        if plan.has_changes or plan.drift or plan.environment is not None or plan.selection:
            forget(path)
            return
        schemas = digest = stamp = None
        if refresh:
            nodes, observed = self.__dict__.get("_last_observation", (None, None))
            # File outputs are looked at with stat, not by the catalog query: such plans are not remembered.
            if observed is None or observed.catalog_digest is None or any(n.extra.get("files") for n in nodes):
                forget(path)
                return
            schemas, digest, stamp = list(observed.schemas), observed.catalog_digest, observed.catalog_stamp
        compile_digest, compiled, state_dir, identity = token
        compile_digest = compile_digest or compiled.digest(compiled.reads)
        if compile_digest is None:
            return
        env_read, files_read = compiled.reads
        write_memo(path, NoChangeMemo(compile_digest=compile_digest, env_read=env_read, files_read=files_read,
                                      state_dir=state_dir, state_identity=identity,
                                      flags=self._plan_flags(refresh), warnings=list(self.project.warnings),
                                      schemas=schemas, observed_digest=digest, catalog_stamp=stamp))
