"""Macros as dbt calls them: ``return()``, namespaces per package, ``adapter.dispatch``.

- ``{{ return(x) }}`` ends the macro and makes ``x`` (any value, not text) what
  the call returns. Every ``{% macro %}`` is built as a :class:`ReturningMacro`
  (see ``LimitedSandbox.macro_class``), so the value stops at the macro that
  called ``return``, however the macros call each other.
- Macros live in namespaces: the root project's (also reachable unqualified),
  each package's under ``dbt_packages/<package>/`` (``dbt_utils.star``; a
  package's own macros see each other unqualified), and ``dbt`` for the
  built-in ones (:mod:`faborite.dbt.cross_db`).
- ``adapter.dispatch('name', 'pkg')`` looks for ``<target type>__name`` and then
  ``default__name`` in each namespace of the search order: the ``dispatch:``
  entry of ``dbt_project.yml`` for that namespace if there is one, else the
  root project then the package (dbt's order).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jinja2.runtime import Macro

from faborite.errors import CompileError

class MacroReturn(Exception):  # noqa: N818 - dbt's name; it is a control-flow signal, not an error
    """Raised by ``return(value)``; caught by the macro that called it."""

    def __init__(self, value: Any) -> None:
        super().__init__("return() outside a macro")
        self.value = value


def return_(value: Any = None) -> Any:
    """``{{ return(value) }}``: end the macro, which evaluates to ``value``."""
    raise MacroReturn(value)


class ReturningMacro(Macro):
    """A Jinja macro whose call yields the value given to ``return()``, if it called it."""

    def _invoke(self, arguments: list[Any], autoescape: bool) -> Any:
        try:
            return super()._invoke(arguments, autoescape)
        except MacroReturn as returned:
            return returned.value


class MacroNamespace:
    """``pkg.macro(...)``: the macros of one namespace as attributes."""

    def __init__(self, name: str, macros: Mapping[str, Any], loader: Callable[[], Mapping[str, Any]] | None = None):
        self._name = name
        self._macros = macros
        self._loader = loader  # a fallback namespace compiles its macros on first use

    def _all(self) -> Mapping[str, Any]:
        if self._loader is not None:
            loader, self._loader = self._loader, None
            self._macros = {**loader(), **self._macros}
        return self._macros

    def get(self, name: str, default: Any = None) -> Any:
        """The macro called ``name`` here, else ``default``."""
        return self._all().get(name, default)

    def __getattr__(self, name: str) -> Any:
        # Packages call their private macros through their namespace (`dbt_utils._is_relation`):
        # only this object's own fields and Python's dunders are not macro names.
        if name.startswith("__") or name in _FIELDS:
            raise AttributeError(name)
        macro = self.get(name)
        if macro is None:
            hint = ("docs/dbt-jinja.md lists dbt's macros faborite has" if self._name == "dbt" else
                    f"check the name, or vendor the package that defines it under dbt_packages/{self._name}/")
            raise CompileError(f"macro {self._name}.{name} is not defined", hint=hint)
        return macro

    def __contains__(self, name: str) -> bool:
        return name in self._all()

    def exposes(self, name: str) -> bool:
        """Whether a template may read ``name`` here though it starts with ``_`` (a macro of that name)."""
        return not name.startswith("__") and name not in _FIELDS and name in self


#: MacroNamespace's own attributes (never macro names).
_FIELDS = frozenset({"_name", "_macros", "_loader", "_all", "_dispatcher"})


class Dispatcher:
    """``adapter.dispatch(name, macro_namespace)`` over the compile's namespaces."""

    def __init__(self, *, namespaces: Mapping[str, MacroNamespace], root: str, target_type: str,
                 search_orders: Mapping[str, list[str]]) -> None:
        self._namespaces = namespaces
        self._root = root
        self._prefixes = (f"{target_type}__", "default__")
        self._orders = search_orders

    def dispatch(self, macro_name: str, macro_namespace: str | None = None, packages: Any = None) -> Any:
        """The first ``<type>__name`` / ``default__name`` macro in the search order."""
        if "." in macro_name:
            macro_namespace, _, macro_name = macro_name.rpartition(".")
        order = self._orders.get(macro_namespace or "") or [self._root, *([macro_namespace] if macro_namespace else []),
                                                             "dbt"]
        if macro_namespace == "dbt" and "dbt" not in order:
            order = [*order, "dbt"]
        for namespace_name in order:
            namespace = self._namespaces.get(namespace_name)
            if namespace is None:
                continue
            for prefix in self._prefixes:
                macro = namespace.get(prefix + macro_name)
                if macro is not None:
                    return macro
        tried = ", ".join(f"{n}.{p}{macro_name}" for n in order for p in self._prefixes)
        raise CompileError(f"adapter.dispatch({macro_name!r}, {macro_namespace!r}) found no implementation",
                           hint=f"looked for {tried}; define default__{macro_name} in macros/ or vendor the package")
