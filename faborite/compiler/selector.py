"""Node selection with dbt's selector syntax (``-s/--select``, ``--exclude``).

A selector is a list of arguments (one per ``-s``, or split on spaces):
arguments are unioned; within one argument, comma-separated atoms are
intersected. An atom is ``[@][N+]method:value[+N]``:

- graph operators: ``+name`` (and all its ancestors), ``2+name`` (ancestors
  up to two steps), ``name+`` / ``name+1`` (descendants), ``@name`` (the node,
  its descendants and every ancestor of those, what building them needs);
- methods: a bare value (a node name or a dotted fqn ``project.folder.name``;
  a value with a ``/`` or a file suffix is a ``path:``), ``fqn:``, ``tag:``,
  ``path:``, ``file:``, ``source:`` (``source:raw`` or ``source:raw.orders``),
  ``sync:``, ``resource_type:``, ``config.KEY:`` (e.g.
  ``config.materialized:table``), ``package:``, and ``state:`` (``new``,
  ``modified``, ``modified.body``, ``modified.configs``, ``old``,
  ``unmodified``) against the recorded state. Values take shell-style
  wildcards (``stg_*``).

The result is a set of node ids; the planner builds the selected nodes and
defers every other one (it keeps exactly what the state records).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from fnmatch import fnmatchcase
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from faborite.errors import ConfigError, did_you_mean

if TYPE_CHECKING:
    from faborite.compiler.manifest import Manifest, Node
    from faborite.state.model import State

_ATOM = re.compile(
    r"\A(?P<at>@)?(?:(?P<parents_depth>\d*)(?P<parents>\+))?"
    r"(?:(?P<method>[A-Za-z_][\w.]*):)?(?P<value>.*?)"
    r"(?P<children>\+(?P<children_depth>\d*))?\Z"
)
_WILDCARDS = ("*", "?", "[")
_FILE_SUFFIXES = (".sql", ".csv", ".yml", ".yaml", ".py")
#: The folder each kind's files live under; a node's fqn is the project, its folders below this, its name.
_ROOT_FOLDERS = {"model": "models", "seed": "seeds"}
_STATE_VALUES = ("new", "modified", "modified.body", "modified.configs", "old", "unmodified")


class SelectorError(ConfigError):
    """A selector that does not parse or names an unknown method."""


class NodeSelection(BaseModel):
    """What ``-s/--select`` and ``--exclude`` said, as given (resolved against a manifest by :meth:`resolve`)."""

    model_config = ConfigDict(frozen=True)

    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @property
    def is_everything(self) -> bool:
        """Whether no selector was given (the whole project)."""
        return not _arguments(self.select) and not _arguments(self.exclude)

    @property
    def label(self) -> str:
        """The selection as flags, for plans and messages: ``-s a+ --exclude b``."""
        parts = [f"-s {arg}" for arg in _arguments(self.select)]
        parts += [f"--exclude {arg}" for arg in _arguments(self.exclude)]
        return " ".join(parts)

    def resolve(self, manifest: Manifest, state: State | None = None) -> set[str]:
        """Ids of the selected nodes; a selection that matches nothing is an error (a typo, most likely)."""
        chosen = select_nodes(manifest, self.select, self.exclude, state)
        if not chosen:
            raise SelectorError(f"{self.label} selects no node",
                                hint="check the names; `faborite validate -s ... --json` lists what a selector picks")
        return chosen


def select_nodes(manifest: Manifest, select: Sequence[str], exclude: Sequence[str] = (),
                 state: State | None = None) -> set[str]:
    """Ids of the nodes ``select`` picks (every node when it is empty) minus those ``exclude`` picks."""
    graph = _Graph(manifest)
    chosen = _union(graph, select, state) if _arguments(select) else set(manifest.nodes)
    if _arguments(exclude):
        chosen -= _union(graph, exclude, state)
    return chosen


def _arguments(values: Sequence[str]) -> list[str]:
    return [arg for value in values for arg in value.split()]


def _union(graph: _Graph, values: Sequence[str], state: State | None) -> set[str]:
    chosen: set[str] = set()
    for argument in _arguments(values):
        atoms = [atom for atom in argument.split(",") if atom]
        if not atoms:
            continue
        matched = _atom(graph, atoms[0], state)
        for atom in atoms[1:]:
            matched &= _atom(graph, atom, state)
        chosen |= matched
    return chosen


def _atom(graph: _Graph, text: str, state: State | None) -> set[str]:
    match = _ATOM.match(text)
    if match is None or not match["value"]:
        raise SelectorError(f"selector {text!r} does not parse",
                            hint="expected [@][N+]method:value[+N], e.g. +orders, tag:daily, config.materialized:table")
    if match["at"] and match["parents"]:
        raise SelectorError(f"selector {text!r} combines @ with a leading +",
                            hint="@name already includes every ancestor of what it selects")
    method = match["method"] or _default_method(match["value"])
    matcher = _matcher(method, match["value"], state, graph.manifest.project)
    seeds = {node.id for node in graph.manifest.nodes.values() if matcher(node)}
    chosen = set(seeds)
    if match["at"]:
        descendants = graph.walk(seeds, graph.children, None)
        chosen |= descendants | graph.walk(descendants | seeds, graph.parents, None)
    if match["parents"]:
        chosen |= graph.walk(seeds, graph.parents, _depth(match["parents_depth"]))
    if match["children"]:
        chosen |= graph.walk(seeds, graph.children, _depth(match["children_depth"]))
    return chosen


def _depth(digits: str | None) -> int | None:
    return int(digits) if digits else None


def _default_method(value: str) -> str:
    if "/" in value or "\\" in value or value.endswith(_FILE_SUFFIXES):
        return "path"
    return "fqn"


def _matcher(method: str, value: str, state: State | None, project: str) -> Callable[[Node], bool]:
    if method.startswith("config."):
        return _config_matcher(method.removeprefix("config."), value)
    if method == "state":
        return _state_matcher(value, state)
    if method == "fqn":
        return _fqn_matcher(value, project)
    if method == "package":
        # One package today: the project (dbt packages come with dbt project support).
        return lambda node: _like(value, project)
    factory = _METHODS.get(method)
    if factory is None:
        known = ["fqn", *_METHODS, "package", "config.KEY", "state"]
        raise SelectorError(f"unknown selector method {method!r}",
                            hint=did_you_mean(method, known) or "methods: " + ", ".join(known))
    return factory(value)


def _like(pattern: str, text: str | None) -> bool:
    if text is None:
        return False
    if any(w in pattern for w in _WILDCARDS):
        return fnmatchcase(text, pattern)
    return text == pattern


def _fqn(node: Node, project: str) -> list[str]:
    if node.kind == "source":
        return [project, *node.id.split(".")[1:]]
    if node.kind == "sync" and node.sync is not None:
        return [project, node.sync.sync, node.name]
    folders: tuple[str, ...] = ()
    if node.file:
        parts = PurePosixPath(node.file).parent.parts
        root = _ROOT_FOLDERS.get(node.kind)
        folders = parts[1:] if parts and parts[0] == root else parts
    return [project, *folders, node.name]


def _fqn_matcher(value: str, project: str) -> Callable[[Node], bool]:
    """dbt's rule: the node's name, or a dotted prefix of its fqn (wildcards match the rest)."""
    wanted = value.split(".")

    def matches(node: Node) -> bool:
        fqn = _fqn(node, project)
        if _like(value, fqn[-1]):
            return True
        if len(wanted) > len(fqn):
            return False
        for index, part in enumerate(wanted):
            if any(w in part for w in _WILDCARDS):
                return fnmatchcase(".".join(fqn[index:]), ".".join(wanted[index:]))
            if fqn[index] != part:
                return False
        return True

    return matches


def _path_matcher(value: str) -> Callable[[Node], bool]:
    wanted = value.replace("\\", "/").strip("/").removeprefix("./")

    def matches(node: Node) -> bool:
        if not node.file:
            return False
        path = node.file.replace("\\", "/")
        if any(w in wanted for w in _WILDCARDS):
            return fnmatchcase(path, wanted) or fnmatchcase(path, wanted + "/*")
        return path == wanted or path.startswith(wanted + "/")

    return matches


def _source_matcher(value: str) -> Callable[[Node], bool]:
    source, _, table = value.partition(".")

    def matches(node: Node) -> bool:
        if node.kind != "source":
            return False
        _, node_source, node_table = node.id.split(".", 2)
        return _like(source, node_source) and (not table or _like(table, node_table))

    return matches


def _config_matcher(key: str, value: str) -> Callable[[Node], bool]:
    def matches(node: Node) -> bool:
        actual = node.materialized if key == "materialized" else node.data_config.get(key, node.meta.get(key))
        if isinstance(actual, (list, tuple, set)):
            return any(_like(value, _as_text(item)) for item in actual)
        return actual is not None and _like(value, _as_text(actual))

    return matches


def _as_text(value: object) -> str:
    # YAML true is Python True; a selector says `true`.
    return str(value).lower() if isinstance(value, bool) else str(value)


def _state_matcher(value: str, state: State | None) -> Callable[[Node], bool]:
    if value not in _STATE_VALUES:
        raise SelectorError(f"unknown state selector {value!r}",
                            hint="state: takes " + ", ".join(_STATE_VALUES))
    recorded = state.nodes if state else {}

    def matches(node: Node) -> bool:
        if not node.is_built:
            return False  # sources hold no state: never new, never modified
        old = recorded.get(node.id)
        if value == "new":
            return old is None
        if value == "old":
            return old is not None
        body = old is None or old.data_hash != node.data_hash
        configs = old is None or old.metadata_hash != node.metadata_hash
        if value == "modified.body":
            return body
        if value == "modified.configs":
            return configs
        modified = body or configs
        return modified if value == "modified" else not modified

    return matches


def _simple(attribute: Callable[[Node], Iterable[str | None]]) -> Callable[[str], Callable[[Node], bool]]:
    def factory(value: str) -> Callable[[Node], bool]:
        return lambda node: any(_like(value, item) for item in attribute(node))

    return factory


_METHODS: dict[str, Callable[[str], Callable[[Node], bool]]] = {
    "tag": _simple(lambda node: node.tags),
    "path": _path_matcher,
    "file": _simple(lambda node: (PurePosixPath(node.file).name, PurePosixPath(node.file).stem) if node.file else ()),
    "source": _source_matcher,
    "sync": _simple(lambda node: (node.sync.sync,) if node.sync is not None else ()),
    "resource_type": _simple(lambda node: (node.kind,)),
}


class _Graph:
    """Parents and children of every node, walked breadth first with an optional depth."""

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self.parents = {node_id: node.parents for node_id, node in manifest.nodes.items()}
        self.children = manifest.children

    def walk(self, start: set[str], edges: dict[str, tuple[str, ...]], depth: int | None) -> set[str]:
        """Nodes reachable from ``start`` along ``edges`` within ``depth`` steps (None: any)."""
        seen: set[str] = set()
        frontier = set(start)
        steps = 0
        while frontier and (depth is None or steps < depth):
            frontier = {nxt for node_id in frontier for nxt in edges.get(node_id, ()) if nxt not in seen}
            seen |= frontier
            steps += 1
        return seen


def with_descendants(manifest: Manifest, node_ids: set[str]) -> set[str]:
    """``node_ids`` and every node that reads them, directly or not (``name+`` for each)."""
    graph = _Graph(manifest)
    return set(node_ids) | graph.walk(set(node_ids), graph.children, None)
