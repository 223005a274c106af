"""Run work over a DAG in parallel: a node starts once all its parents are done."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")


def run_dag(order: list[str], parents: Mapping[str, set[str]], work: Callable[[str], T], *, threads: int) -> dict[str, T]:
    """Call ``work(node)`` for every node in ``order`` (topological), up to ``threads`` at once.

    ``parents`` limits each node's dependencies to nodes in ``order``. On the first
    failure no new work starts; running work finishes; the first exception is raised.
    """
    results: dict[str, T] = {}
    if threads <= 1:
        import graphlib

        # Never trust the caller's order alone: a plan file may list nodes in any order.
        members = set(order)
        sorter = graphlib.TopologicalSorter({n: sorted(set(parents.get(n, ())) & members) for n in order})
        for node in sorter.static_order():
            results[node] = work(node)
        return results
    waiting = {node: set(parents.get(node, set())) & set(order) for node in order}
    children: dict[str, list[str]] = {node: [] for node in order}
    for node, deps in waiting.items():
        for dep in deps:
            children[dep].append(node)
    ready = [node for node in order if not waiting[node]]
    running: dict[Future, str] = {}
    failure: BaseException | None = None
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="faborite-build") as pool:
        while ready or running:
            while ready and failure is None:
                node = ready.pop(0)
                running[pool.submit(work, node)] = node
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                node = running.pop(future)
                error = future.exception()
                if error is not None:
                    failure = failure or error
                    continue
                results[node] = future.result()
                for child in children[node]:
                    waiting[child].discard(node)
                    if not waiting[child]:
                        ready.append(child)
            if failure is not None:
                ready.clear()
    if failure is not None:
        raise failure
    return results
