"""Entry-point discovery of target providers, dialects, sync sources and sync sinks.

Built-in providers and dialects register through the same entry-point groups a
third-party distribution uses, so the core never names an engine. Entry points
are listed once per process and each plugin is loaded at most once.

This module must stay cheap to import: the CLI imports it at start-up, so engine
libraries (duckdb, pyarrow, sqlglot) are only ever imported by loading a plugin.
"""

from __future__ import annotations

import functools
import importlib.metadata
from typing import TYPE_CHECKING, Any

from faborite.errors import ConfigError, ProviderError, did_you_mean

if TYPE_CHECKING:
    from faborite.dialects.base import Dialect
    from faborite.sync.sinks import SinkProvider
    from faborite.sync.source import SourceProvider
    from faborite.target import TargetProvider

PROVIDER_GROUP = "faborite.providers"
DIALECT_GROUP = "faborite.dialects"
#: Source types syncs read from (fabric, delta, sql, ...), beyond the built-in database/files.
SOURCE_GROUP = "faborite.sources"
#: Sync output formats written by a plugin (delta, ...), by format name.
SINK_GROUP = "faborite.sinks"
#: Where a target's state lives (``targets.<name>.state.type``): local, target, postgres, ...
STATE_GROUP = "faborite.state_backends"
#: Output formats faborite writes itself (faborite.sync.sinks), listed beside the plugins in errors.
BUILTIN_OUTPUT_FORMATS = ("target", "parquet", "csv", "json")


#: Every group above: all are read in one pass over the installed distributions.
GROUPS = (PROVIDER_GROUP, DIALECT_GROUP, SOURCE_GROUP, SINK_GROUP, STATE_GROUP)


@functools.cache
def _installed() -> dict[str, dict[str, importlib.metadata.EntryPoint]]:
    """Installed entry points of each of :data:`GROUPS`, by group and name; the first of duplicate
    names wins. One scan: each scan reads every installed distribution's metadata (~10 ms)."""
    # Looked up through the module at call time so tests can substitute entry_points.
    installed = importlib.metadata.entry_points()
    found: dict[str, dict[str, importlib.metadata.EntryPoint]] = {}
    for group in GROUPS:
        found[group] = {}
        for ep in installed.select(group=group):
            found[group].setdefault(ep.name, ep)
    return found


def _entry_points(group: str) -> dict[str, importlib.metadata.EntryPoint]:
    """Installed entry points of ``group`` (one of :data:`GROUPS`) by name."""
    return _installed()[group]


@functools.cache
def _load(group: str, name: str) -> Any:
    ep = _entry_points(group)[name]
    try:
        return ep.load()
    except Exception as exc:  # a plugin can fail to import in any way; report which one
        raise ProviderError(
            f"plugin '{name}' ({group} = {ep.value}) failed to load: {type(exc).__name__}: {exc}",
            hint="reinstall or upgrade the package that provides it, or uninstall it",
        ) from exc


def _instance(group: str, name: str, attrs: tuple[str, ...], what: str) -> Any:
    """The plugin ``name`` of ``group``, checked to have ``attrs``; an entry point may name a class or an instance."""
    obj = _load(group, name)
    instance = obj() if isinstance(obj, type) else obj
    missing = [attr for attr in attrs if not hasattr(instance, attr)]
    if missing:
        raise ProviderError(f"plugin '{name}' ({group}) is not a {what}: it lacks {', '.join(missing)}")
    return instance


def clear_cache() -> None:
    """Forget discovered plugins (after installing one at run time, and in tests)."""
    _installed.cache_clear()
    _load.cache_clear()
    _provider.cache_clear()
    _source_provider.cache_clear()
    _sink_provider.cache_clear()
    _state_backend.cache_clear()


def provider_names() -> list[str]:
    """Installed target types, sorted."""
    return sorted(_entry_points(PROVIDER_GROUP))


def dialect_names() -> list[str]:
    """Dialects installed through entry points, sorted."""
    return sorted(_entry_points(DIALECT_GROUP))


def installed_plugins() -> list[tuple[str, str, str, str]]:
    """``(group, name, object reference, distribution version)`` of every installed provider and
    dialect: what compile output may depend on besides faborite itself (the compile skip's key)."""
    found = []
    for group in (PROVIDER_GROUP, DIALECT_GROUP):
        for name, ep in sorted(_entry_points(group).items()):
            dist = getattr(ep, "dist", None)
            found.append((group, name, ep.value, getattr(dist, "version", "") or ""))
    return found


def load_provider(type_name: str) -> TargetProvider:
    """The provider for ``type:`` ``type_name`` in ``targets:``, instantiated once per process."""
    if type_name not in _entry_points(PROVIDER_GROUP):
        raise ConfigError(f"unknown target type '{type_name}'", hint=_hint(type_name, provider_names(), "target types"))
    return _provider(type_name)


@functools.cache
def _provider(type_name: str) -> TargetProvider:
    return _instance(PROVIDER_GROUP, type_name, ("name", "config_model", "connect"), "target provider")


def source_type_names() -> list[str]:
    """Installed source types for syncs, sorted."""
    return sorted(_entry_points(SOURCE_GROUP))


def load_source_provider(type_name: str) -> "SourceProvider":
    """The provider for a source of ``type: type_name`` (e.g. fabric), instantiated once per process."""
    if type_name not in _entry_points(SOURCE_GROUP):
        known = ["database", "files", *source_type_names()]
        raise ConfigError(f"unknown source type '{type_name}'", hint=_hint(type_name, known, "source types"))
    return _source_provider(type_name)


@functools.cache
def _source_provider(type_name: str) -> "SourceProvider":
    return _instance(SOURCE_GROUP, type_name, ("name", "config_model", "open"), "source provider")


def sink_format_names() -> list[str]:
    """Output formats installed as sink plugins, sorted."""
    return sorted(_entry_points(SINK_GROUP))


def load_sink_provider(format_name: str) -> "SinkProvider":
    """The sink provider for sync output ``format: format_name`` (e.g. delta), instantiated once per process."""
    if format_name not in _entry_points(SINK_GROUP):
        known = [*BUILTIN_OUTPUT_FORMATS, *sink_format_names()]
        raise ConfigError(f"unknown output format '{format_name}'", hint=_hint(format_name, known, "output formats"))
    return _sink_provider(format_name)


@functools.cache
def _sink_provider(format_name: str) -> "SinkProvider":
    return _instance(SINK_GROUP, format_name, ("name", "open"), "sink provider")


def state_backend_names() -> list[str]:
    """Installed state backend types, sorted."""
    return sorted(_entry_points(STATE_GROUP))


def load_state_backend(type_name: str) -> Any:
    """The factory for ``state: {type: type_name}`` (``name``, ``settings_model``, ``open``), once per process."""
    if type_name not in _entry_points(STATE_GROUP):
        raise ConfigError(f"unknown state type '{type_name}'",
                          hint=_hint(type_name, state_backend_names(), "state types"))
    return _state_backend(type_name)


@functools.cache
def _state_backend(type_name: str) -> Any:
    return _instance(STATE_GROUP, type_name, ("name", "settings_model", "open"), "state backend")


def load_dialect_class(name: str) -> type[Dialect]:
    """The dialect class registered under entry point ``name``."""
    if name not in _entry_points(DIALECT_GROUP):
        raise ConfigError(f"unknown dialect '{name}'", hint=_hint(name, dialect_names(), "dialects"))
    obj = _load(DIALECT_GROUP, name)
    from faborite.dialects.base import Dialect  # cheap: the base imports no engine

    if not (isinstance(obj, type) and issubclass(obj, Dialect)):
        raise ProviderError(f"plugin '{name}' ({DIALECT_GROUP}) is not a subclass of faborite's Dialect")
    return obj


def _hint(word: str, known: list[str], what: str) -> str:
    return did_you_mean(word, known) or (f"installed {what}: {', '.join(known)}" if known else f"no {what} installed")
