"""The DAG of nodes (networkx): ordering and cycle reporting."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import networkx as nx

from faborite.errors import CompileError


def build_graph(parents: Mapping[str, Sequence[str]]) -> nx.DiGraph:
    """A graph with an edge parent -> child for every dependency."""
    graph = nx.DiGraph()
    graph.add_nodes_from(parents)
    for child, node_parents in parents.items():
        for parent in node_parents:
            graph.add_edge(parent, child)
    return graph


def topological_order(graph: nx.DiGraph, files: Mapping[str, str | None],
                      ref_lines: Mapping[tuple[str, str], int | None] | None = None) -> list[str]:
    """Nodes parents-first, ties broken by id so the order is stable.

    A cycle raises a CompileError that prints the whole cycle path in ref()
    order (``a -> b -> a``: a refs b, b refs a), located at the first ref of
    the cycle when ``ref_lines`` (``{(child, parent): line}``) knows its line.
    """
    try:
        return list(nx.lexicographical_topological_sort(graph))
    except nx.NetworkXUnfeasible:
        cycle = [edge[0] for edge in nx.find_cycle(graph)]  # parent -> child order
        cycle.reverse()  # child -> parent: each node refs the next
        start = cycle.index(min(cycle))  # start at the smallest id, so the message is stable
        cycle = cycle[start:] + cycle[:start]
        path = [*cycle, cycle[0]]
        first = path[0]
        raise CompileError(
            "dependency cycle: " + " -> ".join(n.split(".", 1)[-1] for n in path),
            file=files.get(first),
            line=(ref_lines or {}).get((first, path[1])),
            hint="a model cannot depend on itself through ref(); break the cycle by removing one ref",
        ) from None


def descendants(graph: nx.DiGraph, node_id: str) -> set[str]:
    """Every node downstream of ``node_id``."""
    return nx.descendants(graph, node_id)
