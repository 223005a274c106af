"""The dbt Jinja context: what a dbt model or macro may call besides ref/source/config/var.

Built once per compile, when the Jinja environment is first needed (never on
the static render path), and installed into the environment's globals:

- ``exceptions.raise_compiler_error`` (a CompileError at the template's
  file:line), ``exceptions.warn``, ``log``, ``print`` (to stderr and the log:
  stdout stays for plans and JSON);
- ``modules.datetime`` / ``re`` / ``itertools`` (an allow-list of each, so the
  sandbox cannot be left through a module's imports);
- ``execute`` (True: faborite renders once, at compile), ``flags``,
  ``project_name``, ``graph`` (nodes and sources, names only);
- ``return``, ``as_bool`` / ``as_number`` / ``as_text`` / ``as_native``
  (functions and filters), ``tojson`` / ``fromjson`` / ``toyaml`` / ``fromyaml``,
  ``local_md5``, ``zip``, ``set``;
- ``api.Relation.create``, ``adapter`` (``quote``, ``dispatch``,
  ``get_relation``, ``get_columns_in_relation``, ``type``), ``run_query`` /
  ``statement`` / ``load_result`` (:mod:`faborite.dbt.queries`: never executed);
- the cross-database macros, unqualified and under ``dbt.``
  (:mod:`faborite.dbt.cross_db`).

Plan-time semantics of ``adapter.get_columns_in_relation``: the columns of a
project node come from the compile itself (its parsed output columns, else the
``columns:`` declared in properties, else a seed's CSV header); a source's from
its declared ``columns:``. A model whose render asked for columns not known
yet is rendered again once the other models are analysed. Nothing is asked of
the warehouse. A relation faborite does not know has no columns (an empty list).
"""

from __future__ import annotations

import ast
import datetime
import hashlib
import itertools
import json
import logging
import re
import sys
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from faborite.dbt import queries
from faborite.dbt.cross_db import CrossDbMacros
from faborite.dbt.dbt_utils import intervals_between
from faborite.dbt.macros import Dispatcher, MacroNamespace, return_
from faborite.dbt.project_facts import ProjectFacts
from faborite.dbt.schema_names import default_functions
from faborite.dbt.relation import DbtColumn, RelationApi, create_relation
from faborite.compiler.jinja import columns_pending
from faborite.errors import CompileError

log = logging.getLogger("faborite.dbt")


def _as_bool(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return _as_native(value)


def _as_native(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return ast.literal_eval(value.strip())
    except (ValueError, SyntaxError):
        return value


def _as_number(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            return float(text)
    return value


def _as_text(value: Any) -> str:
    return "" if value is None else str(value)


def _tojson(value: Any, default: Any = None, sort_keys: bool = False) -> Any:
    try:
        return json.dumps(value, sort_keys=sort_keys)
    except (TypeError, ValueError):
        return default


def _fromjson(value: Any, default: Any = None) -> Any:
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return default


def _toyaml(value: Any, default: Any = None) -> Any:
    import yaml

    try:
        return yaml.safe_dump(value, sort_keys=False)
    except yaml.YAMLError:
        return default


def _fromyaml(value: Any, default: Any = None) -> Any:
    import yaml

    try:
        return yaml.safe_load(value)
    except (yaml.YAMLError, TypeError):
        return default


def _raise_compiler_error(msg: Any, node: Any = None) -> None:
    # Located at the template line that raised it (a macro's, maybe); the hint names the model rendered.
    from faborite.compiler.jinja import rendering_file

    rendering = rendering_file()
    raise CompileError(str(msg), hint="raised by exceptions.raise_compiler_error"
                                      + (f" while rendering {rendering}" if rendering else ""))


def _warn(msg: Any, node: Any = None) -> str:
    log.warning("%s", msg)
    return ""


def _log(msg: Any, info: bool = False) -> str:
    log.log(logging.INFO if info else logging.DEBUG, "%s", msg)
    return ""


def _print(*values: Any) -> str:
    print(*values, file=sys.stderr)
    return ""


def _allowed(module: Any, names: tuple[str, ...]) -> SimpleNamespace:
    """Only these attributes of ``module``: a module's own imports (``re.enum.sys``) stay out of reach."""
    return SimpleNamespace(**{name: getattr(module, name) for name in names})


MODULES = SimpleNamespace(
    datetime=_allowed(datetime, ("date", "datetime", "time", "timedelta", "timezone", "MINYEAR", "MAXYEAR")),
    re=_allowed(re, ("compile", "search", "match", "fullmatch", "sub", "subn", "split", "findall", "finditer",
                     "escape", "IGNORECASE", "I", "MULTILINE", "M", "DOTALL", "S", "VERBOSE", "X", "ASCII", "A")),
    itertools=_allowed(itertools, ("chain", "product", "combinations", "combinations_with_replacement",
                                   "permutations", "groupby", "islice", "zip_longest", "accumulate", "starmap",
                                   "takewhile", "dropwhile", "compress", "pairwise", "tee")),
)

EXCEPTIONS = SimpleNamespace(raise_compiler_error=_raise_compiler_error, warn=_warn,
                             raise_not_implemented=_raise_compiler_error)

FILTERS = {"as_bool": _as_bool, "as_number": _as_number, "as_text": _as_text, "as_native": _as_native}


class ConfigCall:
    """``config(...)``, with dbt's ``config.get(key, default)``, ``config.require(key)`` and ``config.set``.

    ``get`` answers from the ``config()`` calls made so far in the render, else the default: folder
    defaults and properties are merged after rendering, so a template cannot read them here.
    """

    def __init__(self, set_config: Callable[..., str], current: Callable[[], dict[str, Any]]) -> None:
        self._set = set_config
        self._current = current

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        if args and isinstance(args[0], dict):
            kwargs = {**args[0], **kwargs}
        return self._set(**kwargs)

    def get(self, key: str, default: Any = None, validator: Any = None) -> Any:
        """A value set by ``config()`` in this render, else ``default``."""
        return self._current().get(key, default)

    def require(self, key: str) -> Any:
        """A value that must have been set; a compile error names it otherwise."""
        config = self._current()
        if key not in config:
            raise CompileError(f"config.require({key!r}): {key!r} is not set",
                               hint=f"set it with {{{{ config({key}=...) }}}} before this line")
        return config[key]

    def set(self, key: str, value: Any) -> str:
        """The same as ``config(key=value)``."""
        return self._set(**{key: value})


class DbtAdapter:
    """``adapter``: quoting, dispatch and plan-time introspection (see the module docstring)."""

    def __init__(self, facts: ProjectFacts, target_type: str, dispatcher: Dispatcher,
                 find_node: Callable[[str | None, str | None], str | None]) -> None:
        self._facts = facts
        self._type = target_type
        self._dispatcher = dispatcher
        self._find_node = find_node

    def type(self) -> str:
        """The target's type, as its ``type:`` says."""
        return self._type

    def quote(self, identifier: Any) -> str:
        """An identifier quoted in the project's dialect."""
        return self._facts.quote(str(identifier))

    def dispatch(self, macro_name: str, macro_namespace: str | None = None, packages: Any = None) -> Any:
        """The implementation of ``macro_name`` for this target (see :mod:`faborite.dbt.macros`)."""
        return self._dispatcher.dispatch(macro_name, macro_namespace, packages)

    def get_relation(self, database: Any = None, schema: Any = None, identifier: Any = None) -> Any:
        """The relation when it is a node of this project, else None (the warehouse is not asked)."""
        from faborite.compiler.jinja import note_uncacheable

        note_uncacheable()
        node = self._find_node(schema, identifier)
        if node is None:
            return None
        return create_relation(self._facts.quote, database, schema, identifier)

    def get_columns_in_relation(self, relation: Any) -> list[DbtColumn]:
        """The relation's columns as the compile knows them (see the module docstring)."""
        from faborite.compiler.jinja import (
            REF_PLACEHOLDER_PATTERN, THIS_PLACEHOLDER, current_node, note_columns_wanted, note_uncacheable,
        )

        note_uncacheable()  # the answer depends on other files than the template

        names: tuple[str, ...] | None = None
        node = getattr(relation, "node", None)
        source = getattr(relation, "source", None)
        if source:
            names = self._facts.source_columns(*source)
        else:
            if node is None and isinstance(relation, str):
                match = REF_PLACEHOLDER_PATTERN.fullmatch(relation.strip())
                if match is not None:
                    node = current_node() if match.group(0) == THIS_PLACEHOLDER else \
                        bytes.fromhex(match.group(1)).decode("utf-8")
            if node is None and getattr(relation, "identifier", None):
                node = self._find_node(getattr(relation, "schema", None), relation.identifier)
            if node is not None:
                names = self._facts.columns_of(node)
                if names is None:
                    note_columns_wanted(node)
        return [DbtColumn(name, quote=self._facts.quote) for name in names or ()]

    def get_missing_columns(self, from_relation: Any, to_relation: Any) -> list[DbtColumn]:
        """Columns of ``from_relation`` that ``to_relation`` lacks."""
        have = {c.name.lower() for c in self.get_columns_in_relation(to_relation)}
        return [c for c in self.get_columns_in_relation(from_relation) if c.name.lower() not in have]

    def check_schema_exists(self, database: Any = None, schema: Any = None) -> bool:
        """Whether a node of this project publishes into ``schema``."""
        return self._find_node(schema, None) is not None


def build_globals(*, facts: ProjectFacts, target: Any, node_names: set[str], root_macros: dict[str, Any],
                  packages: dict[str, dict[str, Any]], fallbacks: dict[str, Callable[[], dict[str, Any]]],
                  functions: dict[str, Any]) -> dict[str, Any]:
    """The dbt globals for one compile. ``functions`` holds ref/source/config as the template sees them;
    ``fallbacks`` maps a package name to a loader of faborite's own macros for it (used when not vendored)."""
    cross_db = {**CrossDbMacros(facts.sql_dialect).functions(), **default_functions(target)}
    namespaces: dict[str, MacroNamespace] = {}
    for name, loader in fallbacks.items():
        if name not in packages:
            namespaces[name] = MacroNamespace(name, {}, loader=loader)
    for name, macros in packages.items():
        namespaces[name] = MacroNamespace(name, macros)
    # ``dbt.x``: the project's own default__x / <type>__x first (dbt dispatches its macros), then ours.
    builtins = {**cross_db, **{f"default__{name}": f for name, f in cross_db.items()}}
    namespaces["dbt"] = MacroNamespace("dbt", builtins)
    if facts.project_name:
        namespaces[facts.project_name] = MacroNamespace(facts.project_name, root_macros)
    dispatcher = Dispatcher(namespaces=namespaces, root=facts.project_name, target_type=target.type,
                            search_orders=facts.dispatch)
    namespaces["dbt"] = _DispatchingNamespace("dbt", builtins, dispatcher)
    relations = _RelationIndex(node_names, facts)
    adapter = DbtAdapter(facts, target.type, dispatcher, relations.find)
    graph = {"nodes": {f"model.{facts.project_name}.{n}": {"name": n, "resource_type": "model",
                                                          "unique_id": f"model.{facts.project_name}.{n}",
                                                          "package_name": facts.project_name}
                       for n in sorted(node_names)},
             "sources": {}}
    dbt_namespace = namespaces["dbt"]
    from faborite.compiler.jinja import current_config, current_node, rendering_file
    from faborite.dbt.run_context import run_globals

    run = run_globals(project_name=facts.project_name, target=target, node_ids=list(graph["nodes"]), adapter=adapter,
                      node=current_node, file=rendering_file, config=current_config)
    return {
        **run,
        # Unqualified, as ``dbt.x``: a project's default__x / <type>__x wins (a root macro named x replaces it).
        **{name: _late(dbt_namespace, name) for name in cross_db},
        **namespaces,
        "return": return_, "exceptions": EXCEPTIONS, "log": _log, "print": _print, "modules": MODULES,
        "execute": True, "flags": SimpleNamespace(FULL_REFRESH=False, STORE_FAILURES=False, WHICH="compile"),
        # As dbt answers them with its default flags: faborite stores no test failures, and a full
        # refresh is a plan's decision, not a template's.
        "should_store_failures": lambda: False, "should_full_refresh": lambda: False,
        "project_name": facts.project_name, "graph": graph,
        **FILTERS, "tojson": _tojson, "fromjson": _fromjson, "toyaml": _toyaml, "fromyaml": _fromyaml,
        "local_md5": lambda value: hashlib.md5(str(value).encode("utf-8")).hexdigest(),  # noqa: S324 - dbt's
        "zip": lambda *args: list(zip(*args)), "set": lambda value=(): set(value),
        "api": SimpleNamespace(Relation=RelationApi(facts.quote), Column=DbtColumn),
        "adapter": adapter, "run_query": queries.run_query, "statement": queries.statement,
        "load_result": queries.load_result,
        "builtins": SimpleNamespace(**functions),
        "faborite_intervals_between": intervals_between, "faborite_columns_pending": columns_pending,
    }


def _late(namespace: MacroNamespace, name: str) -> Callable[..., Any]:
    """``name(...)`` looked up in ``namespace`` when called (macros are loaded after the globals)."""
    def call(*args: Any, **kwargs: Any) -> Any:
        return namespace.get(name)(*args, **kwargs)
    call.__name__ = name
    return call


class _DispatchingNamespace(MacroNamespace):
    """``dbt.x``: the search order's ``<type>__x`` / ``default__x`` (a project override), else the built-in."""

    def __init__(self, name: str, macros: dict[str, Any], dispatcher: Dispatcher) -> None:
        super().__init__(name, macros)
        self._dispatcher = dispatcher

    def get(self, name: str, default: Any = None) -> Any:
        if name.startswith("default__") or "__" in name:
            return super().get(name, default)
        try:
            return self._dispatcher.dispatch(name, "dbt")
        except CompileError:
            return super().get(name, default)


class _RelationIndex:
    """Which node publishes as ``schema.identifier`` (built on first use: most renders never ask)."""

    def __init__(self, node_names: set[str], facts: ProjectFacts) -> None:
        self._names = node_names
        self._facts = facts
        self._index: dict[tuple[str, str], str] | None = None

    def find(self, schema: Any, identifier: Any) -> str | None:
        if self._facts.relation_of is None:
            return str(identifier) if identifier in self._names else None
        if self._index is None:
            self._index = {}
            for name in self._names:
                _, node_schema, node_identifier = self._facts.relation_of(name)
                self._index[(node_schema.lower(), node_identifier.lower())] = name
                self._index.setdefault(("", node_identifier.lower()), name)
        if identifier is None:
            return next((n for (s, _), n in self._index.items() if s == str(schema or "").lower()), None)
        return self._index.get((str(schema or "").lower(), str(identifier).lower()))
