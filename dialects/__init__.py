"""Per-engine SQL generation on top of sqlglot (imported as ``faborite.dialects``).

:class:`~faborite.dialects.base.Dialect` holds the generic SQL; each engine is a
small subclass in its own module. :func:`get_dialect` finds one by name.
"""

from __future__ import annotations

from faborite import plugins
from faborite.dialects.base import Dialect
from faborite.errors import ConfigError, did_you_mean

__all__ = ["Dialect", "available_dialects", "get_dialect"]


def get_dialect(name: str) -> type[Dialect]:
    """The dialect class called ``name``: registered subclasses first, then entry points."""
    if name in Dialect.registry:
        return Dialect.registry[name]
    if name in plugins.dialect_names():
        return plugins.load_dialect_class(name)
    known = available_dialects()
    raise ConfigError(
        f"unknown dialect '{name}'",
        hint=did_you_mean(name, known) or f"known dialects: {', '.join(known)}",
    )


def available_dialects() -> list[str]:
    """Names of registered and installed dialects, sorted."""
    return sorted(set(Dialect.registry) | set(plugins.dialect_names()))
