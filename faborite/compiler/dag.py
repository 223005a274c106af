"""The DAG of nodes: ordering, cycle reporting, and a networkx graph for queries.

Ordering uses the standard library's graphlib (it is on every compile's hot
path and imports in microseconds); networkx, which takes a quarter of a second
to import, is loaded only to explain a cycle or to answer graph questions.
"""

from __future__ import annotations

import graphlib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from faborite.errors import CompileError

if TYPE_CHECKING:
    import networkx as nx


def build_graph(parents: Mapping[str, Sequence[str]]) -> "nx.DiGraph":
    """A networkx graph with an edge parent -> child for every dependency."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(parents)
    for child, node_parents in parents.items():
        for parent in node_parents:
            graph.add_edge(parent, child)
    return graph


def topological_order(parents: Mapping[str, Sequence[str]], files: Mapping[str, str | None],
                      ref_line: Callable[[str, str], int | None] | None = None) -> list[str]:
    """Nodes parents-first; the same input always gives the same order.

    A cycle raises a CompileError that prints the whole cycle path in ref()
    order (``a -> b -> a``: a refs b, b refs a), located at the first ref of
    the cycle when ``ref_line(child, parent)`` knows its line (only called on a cycle).
    """
    sorter = graphlib.TopologicalSorter({node: sorted(node_parents) for node, node_parents in parents.items()})
    try:
        return list(sorter.static_order())
    except graphlib.CycleError:
        import networkx as nx

        graph = build_graph(parents)
        cycle = [edge[0] for edge in nx.find_cycle(graph)]  # parent -> child order
        cycle.reverse()  # child -> parent: each node refs the next
        start = cycle.index(min(cycle))  # start at the smallest id, so the message is stable
        cycle = cycle[start:] + cycle[:start]
        path = [*cycle, cycle[0]]
        first = path[0]
        raise CompileError(
            "dependency cycle: " + " -> ".join(n.split(".", 1)[-1] for n in path),
            file=files.get(first),
            line=ref_line(first, path[1]) if ref_line else None,
            hint="a model cannot depend on itself through ref(); break the cycle by removing one ref",
        ) from None
