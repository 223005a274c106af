"""The refresh step: read the tables and versions of every source a sync uses."""

from __future__ import annotations

from collections.abc import Iterable

from faborite.config.loader import Project
from faborite.errors import ConfigError, FaboriteError, ProviderError, did_you_mean
from faborite.sync.retry import describe_error
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
    provider = load_source_provider(entry.type)
    try:
        return provider.open(entry.config, project.root)
    except FaboriteError as exc:
        exc.file, exc.line = exc.file or entry.file, exc.line or entry.line
        raise
    except ModuleNotFoundError as exc:
        raise ProviderError(f"source {name!r} needs the Python package {exc.name!r}, which is not installed",
                            file=entry.file, line=entry.line, hint=f"pip install {exc.name}") from None
    except Exception as exc:  # noqa: BLE001 - a driver's own error becomes one located message
        raise ProviderError(f"opening source {name!r} failed: {describe_error(exc)}",
                            file=entry.file, line=entry.line, hint="check the source's settings") from None


def list_tables(project: Project, name: str, source: TableSource) -> tuple:
    """The source's tables, sorted; every error one message located at the source's entry."""
    entry = project.sync_sources[name]
    try:
        return tuple(sorted(source.list_tables(), key=lambda t: t.name))
    except FaboriteError as exc:
        exc.file, exc.line = exc.file or entry.file, exc.line or entry.line
        exc.message = f"reading source {name!r}: {exc.message}"
        raise
    except Exception as exc:  # noqa: BLE001 - a driver's own error becomes one located message
        raise ProviderError(f"reading source {name!r} failed: {describe_error(exc)}",
                            file=entry.file, line=entry.line, hint="check the source's settings and that it is reachable") from None


def refresh_sources(project: Project, names: Iterable[str] | None = None) -> SourceSnapshot:
    """List every table (with its version) of the sources that syncs read from."""
    wanted = sorted(set(names) if names is not None else {e.spec.from_ for e in project.syncs.values()})
    tables = {}
    for name in wanted:
        source = open_source(project, name)
        try:
            tables[name] = list_tables(project, name, source)
        finally:
            source.close()
    return SourceSnapshot(tables=tables)
