"""Activity and path sliders of a process map (Disco semantics), keeping the map connected."""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping

START, END = "__start__", "__end__"

Edge = tuple[str, str]


def keep_activities(events: Mapping[str, int], share: float) -> list[str]:
    """The ``ceil(share * n)`` most frequent activities (at least one), ties by name.

    >>> keep_activities({"a": 5, "b": 9, "c": 5}, 0.5)
    ['b', 'a']
    """
    _check(share, "activities")
    ranked = sorted(events, key=lambda a: (-events[a], a))
    if not ranked:
        return []
    return ranked[:max(1, math.ceil(share * len(ranked) - 1e-9))]


def graph_edges(dfg: Mapping[Edge, int], start: Mapping[str, int], end: Mapping[str, int]) -> dict[Edge, int]:
    """The DFG with an artificial start node before every start activity and an end node after
    every end activity, weighted by frequency."""
    edges = {(START, a): n for a, n in start.items() if n > 0}
    edges.update({(a, END): n for a, n in end.items() if n > 0})
    edges.update({e: n for e, n in dfg.items() if n > 0})
    return edges


def keep_paths(edges: Mapping[Edge, int], share: float) -> list[Edge]:
    """Keep the most frequent paths, plus a skeleton that keeps the map connected.

    ``edges`` includes the start/end edges (see :func:`graph_edges`).  The skeleton is the
    union of the *widest-path* tree from the start node (for every node, a path from start whose
    least frequent edge is as frequent as possible) and the widest-path tree into the end node,
    so every node that was reachable from start and could reach end stays so, through the most
    frequent routes.  On top come the ``round(share * |edges|)`` most frequent edges.
    At ``share=1`` every edge is kept; at ``share=0`` only the skeleton.

    >>> keep_paths({("__start__", "a"): 2, ("a", "b"): 2, ("b", "a"): 1, ("b", "__end__"): 2}, 0)
    [('__start__', 'a'), ('a', 'b'), ('b', '__end__')]
    """
    _check(share, "paths")
    order = sorted(edges, key=lambda e: (-edges[e], e))
    kept = set(order[:round(share * len(order))])
    kept |= _widest_tree(edges, START, forward=True)
    kept |= _widest_tree(edges, END, forward=False)
    return [e for e in order if e in kept]


def _widest_tree(edges: Mapping[Edge, int], root: str, *, forward: bool) -> set[Edge]:
    """Edges of a maximum-bottleneck path tree from ``root`` (or into it when not ``forward``).

    Dijkstra with (bottleneck desc, node name) priority: deterministic for equal weights.
    """
    out: dict[str, list[tuple[str, Edge]]] = {}
    for (s, t) in edges:
        a, b = (s, t) if forward else (t, s)
        out.setdefault(a, []).append((b, (s, t)))
    best: dict[str, float] = {root: math.inf}
    parent: dict[str, Edge] = {}
    done: set[str] = set()
    heap: list[tuple[float, str]] = [(-math.inf, root)]
    while heap:
        neg, node = heapq.heappop(heap)
        if node in done:
            continue
        done.add(node)
        for nxt, edge in sorted(out.get(node, ()), key=lambda x: x[1]):
            width = min(-neg, edges[edge])
            if nxt not in done and width > best.get(nxt, -1):
                best[nxt] = width
                parent[nxt] = edge
                heapq.heappush(heap, (-width, nxt))
    return set(parent.values())


def reachable(edges: Iterable[Edge], root: str, *, forward: bool = True) -> set[str]:
    """Nodes reachable from ``root`` (or that reach it when not ``forward``)."""
    nbrs: dict[str, set[str]] = {}
    for s, t in edges:
        a, b = (s, t) if forward else (t, s)
        nbrs.setdefault(a, set()).add(b)
    seen, stack = {root}, [root]
    while stack:
        for n in nbrs.get(stack.pop(), ()):
            if n not in seen:
                seen.add(n)
                stack.append(n)
    return seen


def _check(share: float, what: str) -> None:
    if not 0 <= share <= 1:
        from procatlas.errors import InputError
        raise InputError(f"{what} must be a share between 0 and 1 (or a percentage 0..100), not {share}")
