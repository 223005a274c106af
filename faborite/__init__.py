"""faborite: a declarative compiler and planner for data.

Project files -> typed DAG (compiler) -> plan against recorded state (plan) ->
versioned build, checks, atomic publish (apply) -> new state (state).

The Python API is :class:`faborite.Workspace` (see :mod:`faborite.api` and docs/api.md).
"""

from typing import TYPE_CHECKING  # already imported by Python's start-up (site): free

__version__ = "0.1.0"
__all__ = ["Workspace", "__version__"]

if TYPE_CHECKING:
    from faborite.api import Workspace


def __getattr__(name: str) -> object:
    # Lazy: `faborite --help` imports this package for __version__ and must not pay for the API.
    if name == "Workspace":
        from faborite.api import Workspace

        return Workspace
    raise AttributeError(f"module 'faborite' has no attribute {name!r}")
