"""Layered (Sugiyama) layout of directed graphs: boxes and edge polylines, no system binary.

The pipeline follows the classic papers, written from scratch:

1. cycle breaking: greedy feedback arc set of Eades, Lin and Smyth (1993), with the
   ``fixed_first`` / ``fixed_last`` nodes pinned to the front / back of the vertex sequence;
2. layering: longest path, then the network simplex of Gansner et al. (1993) minimising the
   weighted total edge span, with the pinned nodes alone on the first / last layer;
3. dummy nodes on every layer a long edge crosses (parallel edges share one chain);
4. crossing reduction: weighted median (Gansner et al.) with barycenter tie-break, alternating
   down/up sweeps with adjacent transposition, best order kept (never worse than the start);
5. coordinates: Brandes and Koepf (2001), four alignments balanced by the median, with a
   block-graph compaction that respects every node's width;
6. routing: polylines through the dummy positions, clipped to the box borders.

Everything is deterministic: the input is put in id order first, and ties are broken by id, so
the same nodes and edges give the same floats whatever order the lists come in.
Internally everything is laid out top to bottom; ``direction="LR"`` transposes at the end.
See docs/layout.md for the choices made.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Layout", "LayoutEdge", "LayoutNode", "layered_layout"]

EdgeKey = tuple[str, str, int]
Point = tuple[float, float]

# Geometry constants in layout units (pixels for the SVG renderer).
_PARALLEL_SPACING = 6.0  # distance between parallel edges sharing one route
_LOOP_BASE = 14.0  # how far the first self-loop reaches beside its node
_LOOP_STEP = 8.0  # extra reach of each further self-loop on the same node
_MAX_ORDER_ITERATIONS = 24
_ORDER_PATIENCE = 6  # stop the sweeps after this many iterations without improvement
# Transposition compares adjacent pairs until nothing improves; on a map of hundreds of
# activities with every path (BPIC 2015: 75,612 nodes with the long-edge dummies) that is tens
# of millions of pair counts. One crossing reduction stops transposing after this many (a count,
# not a clock, so the layout stays deterministic); the 24-activity map of BPIC 2012 needs
# about 18,000, the BPMN diagram of the BPIC 2015 model 1.4 million.
_TRANSPOSE_BUDGET = 3_000_000


@dataclass(frozen=True)
class LayoutNode:
    """A box to place: its id and its size (width and height in layout units)."""

    id: str
    width: float
    height: float


@dataclass(frozen=True)
class LayoutEdge:
    """A directed edge; parallel edges between the same nodes are told apart by ``key``."""

    source: str
    target: str
    key: int = 0


@dataclass(frozen=True)
class Layout:
    """Placed boxes and routed edges.

    ``nodes`` maps id -> (x, y, w, h) with (x, y) the top-left corner; ``edges`` maps
    (source, target, key) -> polyline from the source box border to the target box border;
    the bounding box of everything starts at (0, 0) and is ``width`` x ``height``.
    ``reversed_edges`` are the edges drawn against the flow (the loops back).
    """

    nodes: dict[str, tuple[float, float, float, float]]
    edges: dict[tuple[str, str, int], tuple[tuple[float, float], ...]]
    width: float
    height: float
    reversed_edges: frozenset[tuple[str, str, int]]


# --------------------------------------------------------------------------------------------
# public entry point


def layered_layout(
    nodes: Sequence[LayoutNode],
    edges: Sequence[LayoutEdge],
    *,
    direction: str = "TB",
    node_gap: float = 30.0,
    layer_gap: float = 60.0,
    fixed_first: Sequence[str] = (),
    fixed_last: Sequence[str] = (),
) -> Layout:
    """Lay out a directed graph in layers.

    ``direction`` is ``"TB"`` (flow top to bottom) or ``"LR"`` (left to right); ``node_gap`` is
    the free space between neighbouring boxes of one layer, ``layer_gap`` between layers.
    ``fixed_first`` / ``fixed_last`` nodes are put alone on the first / last layer (process
    start and end). Edges between two nodes of the same fixed group are drawn straight inside
    that layer. Raises ``ValueError`` for a malformed graph (a caller's bug, not user input).

    >>> lay = layered_layout([LayoutNode("a", 40, 20), LayoutNode("b", 40, 20)],
    ...                      [LayoutEdge("a", "b")])
    >>> lay.nodes["a"][1] < lay.nodes["b"][1]
    True
    >>> lay.edges[("a", "b", 0)]
    ((20.0, 20.0), (20.0, 80.0))
    """
    if direction not in ("TB", "LR"):
        raise ValueError(f"direction must be 'TB' or 'LR', not {direction!r}")
    for name, value in (("node_gap", node_gap), ("layer_gap", layer_gap)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, not {value!r}")

    ordered = sorted(nodes, key=lambda n: n.id)
    ids = [n.id for n in ordered]
    index = {nid: i for i, nid in enumerate(ids)}
    if len(index) != len(ids):
        dup = next(a for a, b in zip(ids, ids[1:]) if a == b)
        raise ValueError(f"duplicate node id {dup!r}")
    for n in ordered:
        for dim in (n.width, n.height):
            if not (isinstance(dim, (int, float)) and math.isfinite(dim) and dim >= 0):
                raise ValueError(f"node {n.id!r} has an invalid size {n.width!r} x {n.height!r}")
    keys = sorted({(e.source, e.target, e.key) for e in edges})
    if len(keys) != len(edges):
        seen: set[EdgeKey] = set()
        for e in edges:
            k = (e.source, e.target, e.key)
            if k in seen:
                raise ValueError(f"duplicate edge {k!r}")
            seen.add(k)
    for s, t, _ in keys:
        for end in (s, t):
            if end not in index:
                raise ValueError(f"edge ({s!r}, {t!r}) names an unknown node {end!r}")
    first = sorted(set(fixed_first))
    last = sorted(set(fixed_last))
    for nid in first + last:
        if nid not in index:
            raise ValueError(f"fixed node {nid!r} is not a node of the graph")
    if set(first) & set(last):
        both = sorted(set(first) & set(last))[0]
        raise ValueError(f"node {both!r} cannot be both fixed_first and fixed_last")

    transpose = direction == "LR"
    # Internally the flow runs downwards; "width" is the extent along a layer.
    widths = [float(n.height if transpose else n.width) for n in ordered]
    heights = [float(n.width if transpose else n.height) for n in ordered]
    engine = _Engine(
        widths, heights, [(index[s], index[t], k) for s, t, k in keys],
        [index[f] for f in first], [index[f] for f in last], float(node_gap), float(layer_gap),
    )
    boxes, routes, reversed_idx = engine.run()

    node_out = {}
    for i, nid in enumerate(ids):
        x, y, w, h = boxes[i]
        node_out[nid] = (y, x, h, w) if transpose else (x, y, w, h)
    edge_out = {}
    for (s, t, k), pts in routes.items():
        key = (ids[s], ids[t], k)
        edge_out[key] = tuple((py, px) for px, py in pts) if transpose else tuple(pts)
    return _normalised(
        node_out,
        {k: edge_out[k] for k in sorted(edge_out)},
        frozenset((ids[s], ids[t], k) for s, t, k in reversed_idx),
    )


def _normalised(nodes, edges, reversed_edges) -> Layout:
    """Shift everything so the bounding box starts at (0, 0)."""
    xs: list[float] = []
    ys: list[float] = []
    for x, y, w, h in nodes.values():
        xs += (x, x + w)
        ys += (y, y + h)
    for pts in edges.values():
        for px, py in pts:
            xs.append(px)
            ys.append(py)
    if not xs:
        return Layout({}, {}, 0.0, 0.0, frozenset())
    x0, y0 = min(xs), min(ys)

    def sx(v: float) -> float:
        return _clean(v - x0)

    def sy(v: float) -> float:
        return _clean(v - y0)

    out_nodes = {nid: (sx(x), sy(y), w, h) for nid, (x, y, w, h) in nodes.items()}
    out_edges = {k: tuple((sx(px), sy(py)) for px, py in pts) for k, pts in edges.items()}
    return Layout(out_nodes, out_edges, _clean(max(xs) - x0), _clean(max(ys) - y0), reversed_edges)


def _clean(v: float) -> float:
    # Drop float noise (1e-13) so coordinates print the same way everywhere; keep -0.0 out.
    r = round(v, 6)
    return 0.0 if r == 0 else r


# --------------------------------------------------------------------------------------------
# 1. cycle breaking


def _feedback_order(n: int, arcs: dict[tuple[int, int], float], candidates: list[int]) -> list[int]:
    """Eades-Lin-Smyth vertex sequence of ``candidates``; arcs going backwards form the
    feedback set. Weighted: an arc of weight w counts as w parallel arcs. Ties by index."""
    cand = set(candidates)
    out_adj: dict[int, list[tuple[int, float]]] = defaultdict(list)
    in_adj: dict[int, list[tuple[int, float]]] = defaultdict(list)
    outw = dict.fromkeys(candidates, 0.0)
    inw = dict.fromkeys(candidates, 0.0)
    for (u, v), w in arcs.items():
        if u in cand and v in cand and u != v:
            out_adj[u].append((v, w))
            in_adj[v].append((u, w))
            outw[u] += w
            inw[v] += w
    remaining = set(candidates)
    s1: list[int] = []
    s2: list[int] = []
    sinks = [v for v in candidates if outw[v] == 0]
    sources = [v for v in candidates if inw[v] == 0]
    heapq.heapify(sinks)
    heapq.heapify(sources)

    def remove(v: int) -> None:
        remaining.discard(v)
        for u, w in out_adj[v]:
            if u in remaining:
                inw[u] -= w
                if inw[u] <= 1e-12:
                    heapq.heappush(sources, u)
        for u, w in in_adj[v]:
            if u in remaining:
                outw[u] -= w
                if outw[u] <= 1e-12:
                    heapq.heappush(sinks, u)

    while remaining:
        progress = True
        while progress:
            progress = False
            while sinks:
                v = heapq.heappop(sinks)
                if v in remaining:
                    s2.append(v)
                    remove(v)
                    progress = True
            while sources:
                v = heapq.heappop(sources)
                if v in remaining:
                    s1.append(v)
                    remove(v)
                    progress = True
        if remaining:
            best = max(remaining, key=lambda v: (outw[v] - inw[v], -v))
            s1.append(best)
            remove(best)
    return s1 + s2[::-1]


# --------------------------------------------------------------------------------------------
# 2. layering: network simplex (Gansner, Koutsofios, North and Vo 1993)


def _assign_ranks(n: int, arcs: dict[tuple[int, int], float], first: list[int], last: list[int]) -> list[int]:
    """Layer of every node minimising the weighted total edge span (fewest dummies).

    ``arcs`` must be acyclic. ``first`` nodes share layer 0 alone, ``last`` nodes share the
    last layer alone: each group is merged into one node joined to every other node by a
    weightless arc, so the optimisation sees the constraint exactly.
    """
    fset, lset = set(first), set(last)
    others = [v for v in range(n) if v not in fset and v not in lset]
    # simplex node ids: others keep a dense id, then F (first group) and E (last group)
    sid = {v: i for i, v in enumerate(others)}
    m = len(others)
    f_id = e_id = None
    if first:
        f_id = m
        m += 1
        for v in first:
            sid[v] = f_id
    if last:
        e_id = m
        m += 1
        for v in last:
            sid[v] = e_id
    w_of: dict[tuple[int, int], float] = {}
    for (u, v), w in sorted(arcs.items()):
        a, b = sid[u], sid[v]
        if a != b:
            w_of[(a, b)] = w_of.get((a, b), 0.0) + w
    for x in range(len(others)):
        if f_id is not None:
            w_of.setdefault((f_id, x), 0.0)
        if e_id is not None:
            w_of.setdefault((x, e_id), 0.0)
    if f_id is not None and e_id is not None:
        w_of.setdefault((f_id, e_id), 0.0)
    rank_s = _network_simplex(m, w_of)
    rank = [rank_s[sid[v]] for v in range(n)]
    # An empty layer only lengthens the edges across it: close the gaps.
    dense = {r: i for i, r in enumerate(sorted(set(rank)))}
    return [dense[r] for r in rank]


def _network_simplex(n: int, weights: dict[tuple[int, int], float], max_iter: int | None = None) -> list[int]:
    """Integer ranks minimising sum(w * (rank[v] - rank[u])) with rank[v] - rank[u] >= 1 for
    every arc (u, v) of an acyclic graph; each connected component starts at rank 0."""
    out_adj: list[list[int]] = [[] for _ in range(n)]
    in_adj: list[list[int]] = [[] for _ in range(n)]
    for u, v in sorted(weights):
        out_adj[u].append(v)
        in_adj[v].append(u)
    rank = [0] * n
    comp = [-1] * n
    for start in range(n):
        if comp[start] >= 0:
            continue
        members = []
        stack = [start]
        comp[start] = start
        while stack:
            u = stack.pop()
            members.append(u)
            for w in out_adj[u] + in_adj[u]:
                if comp[w] < 0:
                    comp[w] = start
                    stack.append(w)
        members.sort()
        _simplex_component(members, out_adj, in_adj, weights, rank,
                           max_iter if max_iter is not None else 30 * len(members) + 100)
        low = min(rank[v] for v in members)
        for v in members:
            rank[v] -= low
    return rank


def _simplex_component(nodes, out_adj, in_adj, weights, rank, max_iter) -> None:
    # longest path from the sources: a feasible start
    indeg = {v: len(in_adj[v]) for v in nodes}
    heap = [v for v in nodes if indeg[v] == 0]
    heapq.heapify(heap)
    for v in nodes:
        rank[v] = 0
    while heap:
        u = heapq.heappop(heap)
        for v in out_adj[u]:
            rank[v] = max(rank[v], rank[u] + 1)
            indeg[v] -= 1
            if indeg[v] == 0:
                heapq.heappush(heap, v)
    if len(nodes) == 1:
        return
    arcs = [(u, v) for u in nodes for v in out_adj[u]]

    # feasible spanning tree of tight arcs
    tree_adj: dict[int, list[int]] = {v: [] for v in nodes}
    in_tree = {nodes[0]}
    while True:
        stack = sorted(in_tree)
        while stack:
            u = stack.pop()
            for w in out_adj[u]:
                if w not in in_tree and rank[w] - rank[u] == 1:
                    in_tree.add(w)
                    tree_adj[u].append(w)
                    tree_adj[w].append(u)
                    stack.append(w)
            for w in in_adj[u]:
                if w not in in_tree and rank[u] - rank[w] == 1:
                    in_tree.add(w)
                    tree_adj[u].append(w)
                    tree_adj[w].append(u)
                    stack.append(w)
        if len(in_tree) == len(nodes):
            break
        best = None
        for u, v in arcs:
            if (u in in_tree) != (v in in_tree):
                sl = rank[v] - rank[u] - 1
                if best is None or sl < best[0]:
                    best = (sl, u, v)
        assert best is not None
        sl, u, v = best
        delta = sl if u in in_tree else -sl
        for x in in_tree:
            rank[x] += delta

    root = nodes[0]
    parent: dict[int, int] = {}
    low: dict[int, int] = {}
    lim: dict[int, int] = {}
    cut: dict[int, float] = {}  # cut value of the tree edge (child, parent[child]), by child

    def number() -> list[int]:
        """low/lim postorder numbers and parents from the root; returns the preorder."""
        parent.clear()
        pre = []
        counter = 1
        stack: list[tuple[int, int, int]] = [(root, -1, 0)]
        lows = {}
        while stack:
            v, p, i = stack.pop()
            if i == 0:
                pre.append(v)
                lows[v] = counter
                if p >= 0:
                    parent[v] = p
            nbrs = tree_adj[v]
            while i < len(nbrs) and nbrs[i] == p:
                i += 1
            if i < len(nbrs):
                stack.append((v, p, i + 1))
                stack.append((nbrs[i], v, 0))
            else:
                low[v] = lows[v]
                lim[v] = counter
                counter += 1
        return pre

    def cut_values() -> None:
        for v in sorted(parent, key=lim.__getitem__):  # children before parents
            p = parent[v]
            child_is_tail = (v, p) in weights
            value = weights[(v, p)] if child_is_tail else weights[(p, v)]
            for other, is_out in [(x, True) for x in out_adj[v]] + [(x, False) for x in in_adj[v]]:
                if other == p:
                    continue
                to_head = is_out == child_is_tail
                w = weights[(v, other)] if is_out else weights[(other, v)]
                value += w if to_head else -w
                if parent.get(other) == v:
                    value += -cut[other] if to_head else cut[other]
            cut[v] = value

    def update_ranks(pre: list[int]) -> None:
        for v in pre[1:]:
            p = parent[v]
            rank[v] = rank[p] - 1 if (v, p) in weights else rank[p] + 1

    number()
    cut_values()
    for _ in range(max_iter):
        leaving = None
        for v in sorted(parent):
            if cut[v] < -1e-9:
                leaving = v
                break
        if leaving is None:
            break
        p = parent[leaving]
        sub_low, sub_lim = low[leaving], lim[leaving]
        tail_in_sub = (leaving, p) in weights  # the subtree holds the leaving arc's tail
        best = None
        for u, v in arcs:
            u_in = sub_low <= lim[u] <= sub_lim
            v_in = sub_low <= lim[v] <= sub_lim
            # entering arc goes from the head component to the tail component
            if (tail_in_sub and v_in and not u_in) or (not tail_in_sub and u_in and not v_in):
                sl = rank[v] - rank[u] - 1
                if best is None or sl < best[0]:
                    best = (sl, u, v)
        if best is None:  # pragma: no cover - a negative cut value always has a candidate
            break
        _sl, u, v = best
        tree_adj[leaving].remove(p)
        tree_adj[p].remove(leaving)
        tree_adj[u].append(v)
        tree_adj[v].append(u)
        pre = number()
        cut_values()
        update_ranks(pre)


# --------------------------------------------------------------------------------------------
# 4. crossing reduction


def _bilayer_crossings(upper: Sequence[int], down: Sequence[Sequence[tuple[int, float]]],
                       pos: Sequence[int], lower_size: int) -> float:
    """Weighted crossings between two adjacent layers (Fenwick-tree inversion count)."""
    entries = sorted((pos[u], pos[v], w) for u in upper for v, w in down[u])
    tree = [0.0] * (lower_size + 1)
    seen = 0.0
    total = 0.0
    for _pu, pv, w in entries:
        i = pv + 1
        prefix = 0.0
        while i > 0:
            prefix += tree[i]
            i -= i & -i
        total += w * (seen - prefix)
        i = pv + 1
        while i <= lower_size:
            tree[i] += w
            i += i & -i
        seen += w
    return total


def _total_crossings(layers: Sequence[Sequence[int]], down, pos) -> float:
    return sum(
        _bilayer_crossings(layers[i], down, pos, len(layers[i + 1])) for i in range(len(layers) - 1)
    )


def _median(ps: list[int]) -> float:
    """Weighted median of Gansner et al.: interpolated towards the denser side."""
    m = len(ps) // 2
    if len(ps) % 2 == 1:
        return float(ps[m])
    if len(ps) == 2:
        return (ps[0] + ps[1]) / 2
    left = ps[m - 1] - ps[0]
    right = ps[-1] - ps[m]
    if left + right == 0:
        return (ps[m - 1] + ps[m]) / 2
    return (ps[m - 1] * right + ps[m] * left) / (left + right)


def _reorder(layer: list[int], nbrs, pos: list[int], flip: bool) -> None:
    """Sort one layer by the median (then barycenter) of its neighbours in the fixed layer;
    nodes without neighbours there keep their slots."""
    slots = []
    items = []
    for idx, v in enumerate(layer):
        ns = nbrs[v]
        if not ns:
            continue
        if len(ns) == 1:
            med = bary = float(pos[ns[0][0]])
        else:
            ps = sorted([pos[u] for u, _w in ns])
            total = 0.0
            acc = 0.0
            for u, w in ns:
                total += w
                acc += pos[u] * w
            med, bary = _median(ps), acc / total
        slots.append(idx)
        items.append((med, bary, -idx if flip else idx, v))
    items.sort()
    for slot, item in zip(slots, items):
        layer[slot] = item[3]
    for i, v in enumerate(layer):
        pos[v] = i


def _pair_crossings(v: int, w: int, nbrs, pos) -> tuple[float, float]:
    """Crossings among the edges of v and w towards one neighbour layer: with v left of w,
    and with w left of v."""
    ev, ew = nbrs[v], nbrs[w]
    if len(ev) == 1 and len(ew) == 1:  # the common case: dummies and simple chains
        pa, pb = pos[ev[0][0]], pos[ew[0][0]]
        if pa == pb:
            return 0.0, 0.0
        ww = ev[0][1] * ew[0][1]
        return (ww, 0.0) if pa > pb else (0.0, ww)
    left = right = 0.0
    nw = [(pos[b], wb) for b, wb in ew]
    for a, wa in nbrs[v]:
        pa = pos[a]
        for pb, wb in nw:
            if pa > pb:
                left += wa * wb
            elif pa < pb:
                right += wa * wb
    return left, right


def _transpose(layers: list[list[int]], up, down, pos: list[int], budget: list[int], max_passes: int = 12,
               equal_swaps: bool = False) -> None:
    """Swap adjacent nodes while that strictly reduces crossings (Gansner et al.); a layer
    is looked at again only when it or a neighbouring layer changed. With ``equal_swaps``,
    pairs whose swap keeps a non-zero crossing count are swapped too. ``budget`` (a one-item
    list, shared by the calls of one crossing reduction) is the number of pairs still allowed
    to be compared; at zero the transposition stops."""
    dirty = [True] * len(layers)
    for _ in range(max_passes):
        again = [False] * len(layers)
        improved = False
        for li, layer in enumerate(layers):
            if not dirty[li]:
                continue
            if budget[0] <= 0:
                return
            budget[0] -= len(layer) - 1
            for j in range(len(layer) - 1):
                v, w = layer[j], layer[j + 1]
                b1, a1 = _pair_crossings(v, w, up, pos)
                b2, a2 = _pair_crossings(v, w, down, pos)
                before, after = b1 + b2, a1 + a2
                if after < before:
                    layer[j], layer[j + 1] = w, v
                    pos[v], pos[w] = j + 1, j
                    improved = True
                    for k in (li - 1, li, li + 1):
                        if 0 <= k < len(layers):
                            again[k] = True
                elif equal_swaps and after == before and before > 0:
                    # sideways move to leave a plateau (Gansner et al.); not counted as progress
                    layer[j], layer[j + 1] = w, v
                    pos[v], pos[w] = j + 1, j
        if not improved:
            return
        dirty = again


def _positions(layers: Sequence[Sequence[int]], size: int) -> list[int]:
    pos = [0] * size
    for layer in layers:
        for i, v in enumerate(layer):
            pos[v] = i
    return pos


def _sweeps(layers, up, down, size: int, iterations: int, upward_first: bool, budget: list[int]):
    work = [list(layer) for layer in layers]
    pos = _positions(work, size)
    best = [list(layer) for layer in work]
    best_c = _total_crossings(work, down, pos)
    stale = 0
    for it in range(iterations):
        if best_c == 0:
            break
        flip = (it // 2) % 2 == 1
        if (it % 2 == 0) != upward_first:
            for i in range(1, len(work)):
                _reorder(work[i], up, pos, flip)
        else:
            for i in range(len(work) - 2, -1, -1):
                _reorder(work[i], down, pos, flip)
        _transpose(work, up, down, pos, budget, equal_swaps=flip)
        c = _total_crossings(work, down, pos)
        if c < best_c:
            best, best_c, stale = [list(layer) for layer in work], c, 0
        else:
            stale += 1
            if stale >= _ORDER_PATIENCE:
                break
    return best, best_c


def _reduce_crossings(layers: list[list[int]], up, down,
                      iterations: int = _MAX_ORDER_ITERATIONS) -> tuple[list[list[int]], float]:
    """Median sweeps plus transposition, once starting downwards and once upwards; returns
    the best order seen (the initial one included) and its weighted crossing count."""
    size = 1 + max((v for layer in layers for v in layer), default=-1)
    budget = [_TRANSPOSE_BUDGET]
    best, best_c = _sweeps(layers, up, down, size, iterations, upward_first=False, budget=budget)
    if best_c > 0:
        other, other_c = _sweeps(layers, up, down, size, iterations, upward_first=True, budget=budget)
        if other_c < best_c:
            best, best_c = other, other_c
    return best, best_c


# --------------------------------------------------------------------------------------------
# 5. coordinates: Brandes and Koepf


def _type1_conflicts(layers, up, is_dummy) -> set[tuple[int, int]]:
    """Non-inner segments crossing an inner segment (between two dummies) are marked so the
    alignment keeps long edges straight."""
    marked: set[tuple[int, int]] = set()
    pos = {}
    for layer in layers:
        for i, v in enumerate(layer):
            pos[v] = i
    for li in range(1, len(layers)):
        prev, layer = layers[li - 1], layers[li]
        k0 = 0
        scan = 0
        last = layer[-1] if layer else None
        for i, v in enumerate(layer):
            w = None
            if is_dummy[v]:
                for u, _wt in up[v]:
                    if is_dummy[u]:
                        w = u
                        break
            k1 = pos[w] if w is not None else len(prev)
            if w is not None or v == last:
                for s in layer[scan:i + 1]:
                    for u, _wt in up[s]:
                        pu = pos[u]
                        if (pu < k0 or k1 < pu) and not (is_dummy[u] and is_dummy[s]):
                            marked.add((min(u, s), max(u, s)))
                scan = i + 1
                k0 = k1
    return marked


def _vertical_alignment(seq, nbrs, conflicts, pos, size):
    root = list(range(size))
    align = list(range(size))
    for layer in seq:
        r = -1
        for v in layer:
            ws = nbrs[v]
            if not ws:
                continue
            ws = sorted((u for u, _w in ws), key=lambda u: pos[u])
            d = len(ws)
            for m in sorted({(d - 1) // 2, d // 2}):
                w = ws[m]
                if align[v] == v and r < pos[w] and (min(v, w), max(v, w)) not in conflicts:
                    align[w] = v
                    root[v] = root[w]
                    align[v] = root[v]
                    r = pos[w]
    return root


def _horizontal_compaction(seq, root, sep, size) -> list[float]:
    """Place blocks by longest path in the block graph, then pull each block towards its
    right neighbour where there is slack (the compaction used by dagre)."""
    succ: dict[int, dict[int, float]] = defaultdict(dict)
    indeg: dict[int, int] = defaultdict(int)
    blocks = set()
    for layer in seq:
        prev = None
        for v in layer:
            rv = root[v]
            blocks.add(rv)
            if prev is not None:
                ru = root[prev]
                s = sep(prev, v)
                old = succ[ru].get(rv)
                if old is None:
                    succ[ru][rv] = s
                    indeg[rv] += 1
                elif s > old:
                    succ[ru][rv] = s
            prev = v
    order = []
    heap = [b for b in blocks if indeg[b] == 0]
    heapq.heapify(heap)
    while heap:
        b = heapq.heappop(heap)
        order.append(b)
        for c in succ[b]:
            indeg[c] -= 1
            if indeg[c] == 0:
                heapq.heappush(heap, c)
    xs = dict.fromkeys(blocks, 0.0)
    for b in order:
        for c, s in succ[b].items():
            if xs[b] + s > xs[c]:
                xs[c] = xs[b] + s
    for b in reversed(order):
        if succ[b]:
            m = min(xs[c] - s for c, s in succ[b].items())
            if m > xs[b]:
                xs[b] = m
    out = [0.0] * size
    for layer in seq:
        for v in layer:
            out[v] = xs[root[v]]
    return out


def _brandes_koepf(layers, up, down, widths, gaps, is_dummy) -> list[float]:
    """Centre x of every node: four alignments (up/down x left/right), aligned to the
    narrowest one and balanced by the average of the two median candidates."""
    size = len(widths)
    conflicts = _type1_conflicts(layers, up, is_dummy)

    def sep(u: int, v: int) -> float:
        return (widths[u] + widths[v]) / 2 + (gaps[u] + gaps[v]) / 2

    results = []
    for vertical in ("up", "down"):
        base = layers if vertical == "up" else layers[::-1]
        nbrs = up if vertical == "up" else down
        for horizontal in ("left", "right"):
            seq = base if horizontal == "left" else [layer[::-1] for layer in base]
            pos = [0] * size
            for layer in seq:
                for i, v in enumerate(layer):
                    pos[v] = i
            root = _vertical_alignment(seq, nbrs, conflicts, pos, size)
            xs = _horizontal_compaction(seq, root, sep, size)
            if horizontal == "right":
                xs = [-x for x in xs]
            results.append((horizontal, xs))
    nodes = [v for layer in layers for v in layer]
    if not nodes:
        return [0.0] * size

    def extent(xs):
        return (min(xs[v] - widths[v] / 2 for v in nodes), max(xs[v] + widths[v] / 2 for v in nodes))

    spans = [extent(xs) for _h, xs in results]
    narrowest = min(range(4), key=lambda i: (spans[i][1] - spans[i][0], i))
    lo, hi = spans[narrowest]
    shifted = []
    for (horizontal, xs), (a, b) in zip(results, spans):
        delta = lo - a if horizontal == "left" else hi - b
        shifted.append([x + delta for x in xs])
    out = [0.0] * size
    for v in nodes:
        vals = sorted(s[v] for s in shifted)
        out[v] = (vals[1] + vals[2]) / 2
    return out


# --------------------------------------------------------------------------------------------
# 6. routing helpers


def _clip(box: tuple[float, float, float, float], origin: Point, toward: Point) -> Point:
    """Where the ray from ``origin`` (inside ``box``) towards ``toward`` leaves the box."""
    x, y, w, h = box
    ox, oy = origin
    dx, dy = toward[0] - ox, toward[1] - oy
    best = None
    if dx > 0:
        best = ((x + w - ox) / dx, "x", x + w)
    elif dx < 0:
        best = ((x - ox) / dx, "x", x)
    if dy != 0:
        edge = y + h if dy > 0 else y
        t = (edge - oy) / dy
        if best is None or t <= best[0]:
            best = (t, "y", edge)
    if best is None:
        return (ox, y + h)
    t, axis, value = best
    if axis == "x":
        return (value, min(max(oy + t * dy, y), y + h))
    return (min(max(ox + t * dx, x), x + w), value)


# --------------------------------------------------------------------------------------------
# the pipeline on integer node ids


class _Engine:
    def __init__(self, widths, heights, edges, first, last, node_gap, layer_gap):
        self.n = len(widths)
        self.widths = widths
        self.heights = heights
        self.edges = edges
        self.first = first
        self.last = last
        self.node_gap = node_gap
        self.layer_gap = layer_gap

    def run(self):
        n = self.n
        fset, lset = set(self.first), set(self.last)
        loops: dict[int, list[int]] = defaultdict(list)
        pair_w: dict[tuple[int, int], float] = defaultdict(float)
        for s, t, k in self.edges:
            if s == t:
                loops[s].append(k)
            else:
                pair_w[(s, t)] += 1.0
        others = [v for v in range(n) if v not in fset and v not in lset]
        seq = self.first + _feedback_order(n, pair_w, others) + self.last
        seq_pos = {v: i for i, v in enumerate(seq)}

        groups: dict[tuple[int, int], list[tuple[int, int, int]]] = defaultdict(list)
        flat: dict[tuple[int, int], list[tuple[int, int, int]]] = defaultdict(list)
        reversed_idx = set()
        for s, t, k in self.edges:
            if s == t:
                continue
            if (s in fset and t in fset) or (s in lset and t in lset):
                flat[(min(s, t), max(s, t))].append((s, t, k))
            elif seq_pos[s] < seq_pos[t]:
                groups[(s, t)].append((s, t, k))
            else:
                groups[(t, s)].append((s, t, k))
                reversed_idx.add((s, t, k))
        dag_w = {pair: float(len(es)) for pair, es in groups.items()}
        rank = _assign_ranks(n, dag_w, self.first, self.last)

        # layered graph with dummies
        lw = list(self.widths)
        for v, keys in loops.items():
            lw[v] += 2 * (_LOOP_BASE + (len(keys) - 1) * _LOOP_STEP)
        ranks = list(rank)
        is_dummy = [False] * n
        gaps = [self.node_gap] * n
        up: list[list[tuple[int, float]]] = [[] for _ in range(n)]
        down: list[list[tuple[int, float]]] = [[] for _ in range(n)]
        chains: dict[tuple[int, int], list[int]] = {}
        for (u, v) in sorted(groups):
            k = len(groups[(u, v)])
            chain = [u]
            for r in range(rank[u] + 1, rank[v]):
                d = len(ranks)
                ranks.append(r)
                lw.append((k - 1) * _PARALLEL_SPACING)
                is_dummy.append(True)
                gaps.append(self.node_gap / 3)
                up.append([])
                down.append([])
                chain.append(d)
            chain.append(v)
            for a, b in zip(chain, chain[1:]):
                down[a].append((b, float(k)))
                up[b].append((a, float(k)))
            chains[(u, v)] = chain
        size = len(ranks)
        depth = 1 + max(ranks, default=-1)

        # initial order: depth-first from the top, so trees start crossing-free
        layers: list[list[int]] = [[] for _ in range(depth)]
        seen = [False] * size
        for start in sorted(range(n), key=lambda v: (rank[v], v)):
            if seen[start]:
                continue
            stack = [start]
            while stack:
                v = stack.pop()
                if seen[v]:
                    continue
                seen[v] = True
                layers[ranks[v]].append(v)
                for w, _wt in sorted(down[v], reverse=True):
                    if not seen[w]:
                        stack.append(w)
        layers, _crossings = _reduce_crossings(layers, up, down)

        xs = _brandes_koepf(layers, up, down, lw, gaps, is_dummy)
        band_h = [0.0] * depth
        for v in range(n):
            band_h[rank[v]] = max(band_h[rank[v]], self.heights[v])
        top = [0.0] * depth
        for r in range(1, depth):
            top[r] = top[r - 1] + band_h[r - 1] + self.layer_gap

        boxes = []
        for v in range(n):
            r = rank[v]
            w, h = self.widths[v], self.heights[v]
            boxes.append((xs[v] - w / 2, top[r] + (band_h[r] - h) / 2, w, h))

        def centre(v: int) -> Point:
            x, y, w, h = boxes[v]
            return (x + w / 2, y + h / 2)

        routes: dict[tuple[int, int, int], list[Point]] = {}
        for (u, v), es in groups.items():
            chain = chains[(u, v)]
            es = sorted(es)
            k = len(es)
            spacing = _PARALLEL_SPACING
            if k > 1:
                room = 0.8 * min(self.widths[u], self.widths[v])
                spacing = min(spacing, room / (k - 1))
            for j, e in enumerate(es):
                dx = (j - (k - 1) / 2) * spacing if k > 1 else 0.0
                inner: list[Point] = []
                for d in chain[1:-1]:
                    r = ranks[d]
                    inner.append((xs[d] + dx, top[r]))
                    if band_h[r] > 0:
                        inner.append((xs[d] + dx, top[r] + band_h[r]))
                cu, cv = centre(u), centre(v)
                ou, ov = (cu[0] + dx, cu[1]), (cv[0] + dx, cv[1])
                start = _clip(boxes[u], ou, inner[0] if inner else ov)
                end = _clip(boxes[v], ov, inner[-1] if inner else ou)
                pts = [start, *inner, end]
                if e in reversed_idx:
                    pts.reverse()
                routes[e] = pts
        for (a, b), es in flat.items():
            es = sorted(es)
            k = len(es)
            for j, (s, t, key) in enumerate(es):
                dy = (j - (k - 1) / 2) * min(_PARALLEL_SPACING, 0.8 * min(self.heights[a], self.heights[b]) / max(k - 1, 1))
                cs, ct = centre(s), centre(t)
                os_, ot = (cs[0], cs[1] + dy), (ct[0], ct[1] + dy)
                routes[(s, t, key)] = [_clip(boxes[s], os_, ot), _clip(boxes[t], ot, os_)]
        for v, keys in loops.items():
            x, y, w, h = boxes[v]
            cy = y + h / 2
            for j, key in enumerate(sorted(keys)):
                reach = _LOOP_BASE + j * _LOOP_STEP
                a = min(h / 2, h / 4 + j * 2.0)
                routes[(v, v, key)] = [
                    (x + w, cy - a), (x + w + reach, cy - a), (x + w + reach, cy + a), (x + w, cy + a)
                ]
        return boxes, {k: tuple(p) for k, p in routes.items()}, reversed_idx
