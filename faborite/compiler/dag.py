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


def topological_order(graph: nx.DiGraph, files: Mapping[str, str | None]) -> list[str]:
    """Nodes parents-first, ties broken by id so the order is stable.

    A cycle raises a CompileError that prints the whole cycle path.
    """
    try:
        return list(nx.lexicographical_topological_sort(graph))
    except nx.NetworkXUnfeasible:
        cycle = nx.find_cycle(graph)
        path = [edge[0] for edge in cycle] + [cycle[0][0]]
        first = path[0]
        raise CompileError(
            "dependency cycle: " + " -> ".join(n.split(".", 1)[-1] for n in path),
            file=files.get(first),
            hint="a model cannot depend on itself through ref(); break the cycle by removing one ref",
        ) from None


def descendants(graph: nx.DiGraph, node_id: str) -> set[str]:
    """Every node downstream of ``node_id``."""
    return nx.descendants(graph, node_id)
