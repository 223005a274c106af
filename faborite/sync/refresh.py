"""The refresh step: read the tables and versions of every source a sync uses."""

from __future__ import annotations

from collections.abc import Iterable

from faborite.config.loader import Project
from faborite.errors import ConfigError, FaboriteError, did_you_mean
from faborite.sync.snapshot import SourceSnapshot
from faborite.sync.source import TableSource


def open_source(project: Project, name: str) -> TableSource:
    """Open the sync source ``name`` through its provider plugin."""
    from faborite.plugins import load_source_provider

    entry = project.sync_sources.get(name)
    if entry is None:
        raise ConfigError(
            f"no source named {name!r} to sync from",
            hint=did_you_mean(name, project.sync_sources) or
            "declare it under 'sources:' with a type syncs can read (fabric, delta, sql)",
        )
    return load_source_provider(entry.type).open(entry.config, project.root)


def refresh_sources(project: Project, names: Iterable[str] | None = None) -> SourceSnapshot:
    """List every table (with its version) of the sources that syncs read from."""
    wanted = sorted(set(names) if names is not None else {e.spec.from_ for e in project.syncs.values()})
    tables = {}
    for name in wanted:
        source = open_source(project, name)
        try:
            tables[name] = tuple(sorted(source.list_tables(), key=lambda t: t.name))
        except FaboriteError as exc:
            entry = project.sync_sources[name]
            exc.file, exc.line = exc.file or entry.file, exc.line or entry.line
            exc.message = f"reading source {name!r}: {exc.message}"
            raise
        finally:
            source.close()
    return SourceSnapshot(tables=tables)
