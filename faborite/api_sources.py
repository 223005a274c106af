"""The sync-source half of :class:`faborite.api.Workspace`: reading sources and planning syncs.

A base class of ``Workspace`` (the API is that one class); kept apart because
reading sources is its own job: the network, a cache of what was read, and
which nodes a sync expands to.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from faborite.errors import StateError

if TYPE_CHECKING:
    from faborite.compiler.manifest import Manifest
    from faborite.config.loader import Project
    from faborite.plan.model import Plan
    from faborite.sync.snapshot import SourceSnapshot

#: Where faborite keeps its own files inside a project.
WORK_DIR = ".faborite"


class SyncSources:
    """Sync sources of a :class:`faborite.api.Workspace` (use it through ``Workspace``)."""

    root: Path
    if TYPE_CHECKING:
        project: Project

        def compile(self, *, write_manifest: bool = True, refresh: bool | None = None) -> Manifest: ...
        def plan(self, *, refresh: bool = True, select: set[str] | None = None,
                 manifest: Manifest | None = None) -> Plan: ...

    def refresh(self) -> "SourceSnapshot":
        """Read every sync source's tables and versions now (network), and cache the result.

        Returns:
            The snapshot syncs are planned against, also saved in ``.faborite/cache/sources.json``.

        Raises:
            ProviderError: a source cannot be reached or read.
        """
        from faborite.sync.refresh import refresh_sources
        from faborite.sync.snapshot import save_snapshot

        snapshot = refresh_sources(self.project)
        save_snapshot(snapshot, self._snapshot_path)
        return snapshot

    @property
    def _snapshot_path(self) -> Path:
        return self.root / WORK_DIR / "cache" / "sources.json"

    def sources_snapshot(self, *, refresh: bool) -> "SourceSnapshot | None":
        """The source tables syncs expand to.

        Args:
            refresh: read the sources now; False uses the cached read (offline).

        Returns:
            The snapshot, or None when the project has no syncs.

        Raises:
            StateError: offline, and the sources were never read.
            ProviderError: ``refresh`` and a source cannot be read.
        """
        if not self.project.syncs:
            return None
        if refresh:
            return self.refresh()
        from faborite.sync.snapshot import load_snapshot

        cached = load_snapshot(self._snapshot_path)
        if cached is None:
            raise StateError("the sources have not been read yet, so syncs cannot be planned offline",
                             hint="plan once with refresh (drop --no-refresh)")
        return cached

    def plan_sync(self, names: "list[str] | tuple[str, ...]" = ()) -> "Plan":
        """Plan only the named syncs (all syncs when ``names`` is empty), reading the sources now.

        Args:
            names: sync names from ``syncs/*.yml``.

        Returns:
            A plan in which every other change is deferred; apply it with ``apply(plan, operation="sync")``.

        Raises:
            ConfigError: an unknown sync name (with the close matches).
            ProviderError: a source or the target cannot be reached.
        """
        manifest = self.compile(refresh=True)
        return self.plan(select=self.sync_node_ids(manifest, list(names)), manifest=manifest)

    def sync_node_ids(self, manifest: "Manifest", names: "list[str]") -> set[str]:
        """Node ids of the named syncs.

        Args:
            manifest: a compiled manifest.
            names: sync names (all syncs when empty).

        Returns:
            The ids of the nodes those syncs expand to (one per table).

        Raises:
            ConfigError: a name is not a sync of the project.
        """
        from faborite.errors import ConfigError, did_you_mean

        for name in names:
            if name not in self.project.syncs:
                raise ConfigError(f"no sync named {name!r}", hint=did_you_mean(name, self.project.syncs) or
                                  "syncs: " + (", ".join(self.project.syncs) or "none declared"))
        wanted = set(names) or set(self.project.syncs)
        return {n.id for n in manifest.nodes.values() if n.sync is not None and n.sync.sync in wanted}

    def list_source_tables(self, name: str) -> "list":
        """The tables of a sync source, read now (``faborite sources list``).

        Args:
            name: a source declared for syncs.

        Returns:
            One entry per table: name, version, row count where the source knows it.

        Raises:
            ConfigError: no such source.
            ProviderError: the source cannot be reached.
        """
        from faborite.sync.refresh import list_tables, open_source

        source = open_source(self.project, name)
        try:
            return list(list_tables(self.project, name, source))
        finally:
            source.close()

    def _source_opener(self):
        def open_source(name: str):
            from faborite.sync.refresh import open_source as open_

            return open_(self.project, name)
        return open_source
