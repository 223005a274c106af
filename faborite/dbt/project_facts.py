"""What the dbt context learns from the loaded project: model versions, declared columns, fallbacks used.

Each answer is computed from the :class:`~faborite.config.loader.Project`
alone (no SQL, no Jinja), once per compile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: Packages faborite has built-in fallbacks for (faborite.dbt.dbt_utils).
FALLBACK_NAMES = ("dbt_utils",)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class ProjectFacts:
    """What the dbt context needs to know of the compile, as callables (answered lazily, cheaply).

    A plain class, not a dataclass: this module is imported by every compile, and building a
    dataclass costs milliseconds at import.
    """

    def __init__(self, *, project_name: str = "", quote: Callable[[str], str] = _quote, sql_dialect: str = "",
                 relation_of: Callable[[str], tuple[str | None, str, str]] | None = None,
                 columns_of: Callable[[str], tuple[str, ...] | None] = lambda name: None,
                 source_columns: Callable[[str, str], tuple[str, ...]] = lambda source, table: (),
                 dispatch: dict[str, list[str]] | None = None,
                 source_relation: Callable[[str, str], tuple[str | None, str, str]] | None = None) -> None:
        self.project_name = project_name
        #: ``quote(name)``: an identifier quoted in the project's dialect.
        self.quote = quote
        #: The project's sqlglot dialect name (for the cross-database macros).
        self.sql_dialect = sql_dialect
        #: ``relation_of(node) -> (database, schema, identifier)``: where a node is published, as known at render.
        self.relation_of = relation_of
        #: ``columns_of(node) -> names``, or None when not known yet.
        self.columns_of = columns_of
        #: ``source_columns(source, table) -> names`` declared in properties (empty when none).
        self.source_columns = source_columns
        #: ``dispatch:`` of dbt_project.yml: ``{macro_namespace: search_order}``.
        self.dispatch = dict(dispatch or {})
        #: ``source_relation(source, table) -> (database, schema, identifier)``.
        self.source_relation = source_relation or (lambda source, table: (None, source, table))


#: Folders a package's files are read from (dbt's default ``packages-install-path``), and where
#: ``faborite import dbt`` puts packages' macros and models in a native project, so they keep their
#: namespaces.
PACKAGE_FOLDERS = ("dbt_packages", "macros/dbt_packages", "models/dbt_packages")


def macro_package(path: str, folders: tuple[str, ...] = PACKAGE_FOLDERS) -> str | None:
    """The package a macro file belongs to (``dbt_packages/dbt_utils/macros/x.sql`` -> ``dbt_utils``)."""
    parts = path.split("/")
    for folder in folders:
        depth = folder.count("/") + 1
        if "/".join(parts[:depth]) == folder and len(parts) > depth + 1:
            return parts[depth]
    return None


def model_versions(project: Any) -> dict[str, tuple[str, dict[str, str]]]:
    """``{model: (latest node, {version: node})}`` from the ``versions:`` of models' properties.

    A version's node is its ``defined_in`` file, else ``<model>_v<version>`` (dbt's file naming);
    the latest is ``latest_version``, else the highest version.
    """
    found: dict[str, tuple[str, dict[str, str]]] = {}
    for name, entry in project.model_docs.items():
        doc = entry.doc
        if not doc.versions:
            continue
        by_version = {str(v.get("v")): str(v.get("defined_in") or f"{name}_v{v.get('v')}") for v in doc.versions}
        latest = str(doc.latest_version) if doc.latest_version is not None else max(by_version, key=_version_key)
        found[name] = (by_version.get(latest, f"{name}_v{latest}"), by_version)
    return found


def versioned_node(versions: dict[str, tuple[str, dict[str, str]]], name: str, version: Any) -> str:
    """The node a (possibly versioned) ref names: ``ref('m', v=2)`` -> ``m_v2``; ``ref('m')`` -> the latest."""
    from faborite.errors import CompileError

    if name not in versions:
        if version is not None:
            raise CompileError(f"ref({name!r}, v={version!r}): {name!r} has no versions",
                               hint="declare them under 'versions:' of the model's properties")
        return name
    latest, by_version = versions[name]
    if version is None:
        return latest
    node = by_version.get(str(version))
    if node is None:
        raise CompileError(f"ref({name!r}, v={version!r}): no such version",
                           hint=f"versions of {name!r}: {', '.join(sorted(by_version))}")
    return node


def _version_key(version: str) -> tuple[int, Any]:
    try:
        return (0, float(version))
    except ValueError:
        return (1, version)


def declared_columns(project: Any) -> dict[str, tuple[str, ...]]:
    """``{node: column names}`` declared in properties (models and seeds with ``columns:``)."""
    return {name: tuple(c.name for c in entry.doc.columns)
            for docs in (project.model_docs, project.seed_docs) for name, entry in docs.items() if entry.doc.columns}


def seed_header(project: Any, seed: Any, delimiter: str = ",") -> tuple[str, ...] | None:
    """A seed's column names, read from its CSV header (None if unreadable)."""
    import csv

    try:
        with open(project.root / seed.path, encoding="utf-8", newline="") as handle:
            return tuple(next(csv.reader(handle, delimiter=delimiter)))
    except (OSError, StopIteration, UnicodeDecodeError, csv.Error):
        return None


def source_columns(project: Any):
    """``lookup(source, table) -> names`` declared under the source table's ``columns:``."""
    def lookup(source_name: str, table_name: str) -> tuple[str, ...]:
        entry = project.sources.get(source_name)
        for table in entry.doc.tables if entry is not None else ():
            if table.name == table_name:
                return tuple(c.name for c in table.columns)
        return ()
    return lookup


def dispatch_orders(project: Any) -> dict[str, list[str]]:
    """dbt_project.yml's ``dispatch: [{macro_namespace: x, search_order: [...]}]``, when the
    loader kept it (``project.config.dispatch`` or the raw file's ``dispatch:``)."""
    raw = getattr(project.config, "dispatch", None)
    if raw is None and isinstance(getattr(project, "raw_config", None), dict):
        raw = project.raw_config.get("dispatch")
    orders = {}
    for item in raw or ():
        item = item if isinstance(item, dict) else getattr(item, "model_dump", lambda: {})()
        if item.get("macro_namespace") and item.get("search_order"):
            orders[str(item["macro_namespace"])] = [str(p) for p in item["search_order"]]
    return orders


def fallback_note(project: Any, fallbacks: list[str]) -> str | None:
    """One line saying which of faborite's built-in package fallbacks this project uses, if any.

    Decided from the text (a template naming ``dbt_utils.`` with no vendored dbt_utils), so the
    note is the same whether renders came from the cache, worker processes or this process.
    """
    vendored = {macro_package(m.path) for m in project.macros}
    texts = [m.text for m in project.models] + [m.text for m in project.macros]
    used = [name for name in fallbacks
            if name not in vendored and any(f"{name}." in text for text in texts)]
    if not used:
        return None
    return (f"{', '.join(used)} is not vendored under dbt_packages/: faborite's built-in implementations of "
            f"its macros are used (see docs/dbt-jinja.md)")
