"""Tests of the layered layout: geometry invariants on random graphs, crossings, determinism."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procatlas.render.layout import (
    Layout,
    LayoutEdge,
    LayoutNode,
    _reduce_crossings,
    _total_crossings,
    layered_layout,
)

TOL = 1e-6


# ------------------------------------------------------------------------------------ helpers


def centre(box):
    x, y, w, h = box
    return (x + w / 2, y + h / 2)


def on_border(p, box, tol=1e-6):
    x, y, w, h = box
    px, py = p
    inside = x - tol <= px <= x + w + tol and y - tol <= py <= y + h + tol
    near_side = min(abs(px - x), abs(px - x - w), abs(py - y), abs(py - y - h)) <= tol
    return inside and near_side


def overlap(a, b):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw - TOL and bx < ax + aw - TOL and ay < by + bh - TOL and by < ay + ah - TOL


def check_invariants(nodes, edges, lay: Layout, *, direction="TB", first=(), last=()):
    ids = {n.id for n in nodes}
    assert set(lay.nodes) == ids
    assert set(lay.edges) == {(e.source, e.target, e.key) for e in edges}
    assert lay.reversed_edges <= set(lay.edges)
    sizes = {n.id: (n.width, n.height) for n in nodes}
    for nid, (x, y, w, h) in lay.nodes.items():
        assert (w, h) == sizes[nid]
        assert x >= -TOL and y >= -TOL
        assert x + w <= lay.width + TOL and y + h <= lay.height + TOL
    # no two boxes overlap
    items = sorted(lay.nodes.items())
    for (a, ba), (b, bb) in itertools.combinations(items, 2):
        assert not overlap(ba, bb), (a, ba, b, bb)
    axis = 1 if direction == "TB" else 0
    flow = {nid: centre(box)[axis] for nid, box in lay.nodes.items()}
    fset, lset = set(first), set(last)
    for key, pts in lay.edges.items():
        s, t, _k = key
        assert len(pts) >= 2
        for px, py in pts:
            assert -TOL <= px <= lay.width + TOL and -TOL <= py <= lay.height + TOL
        assert on_border(pts[0], lay.nodes[s]), (key, pts[0], lay.nodes[s])
        assert on_border(pts[-1], lay.nodes[t]), (key, pts[-1], lay.nodes[t])
        if s == t or (s in fset and t in fset) or (s in lset and t in lset):
            continue
        sb, tb = lay.nodes[s], lay.nodes[t]
        coords = [p[axis] for p in pts]
        if key in lay.reversed_edges:
            # a loop back: drawn against the flow, from a later layer to an earlier one
            assert flow[s] > flow[t]
            assert all(a >= b - TOL for a, b in zip(coords, coords[1:]))
        else:
            # target layer strictly after the source layer, path monotone along the flow
            assert tb[axis] >= sb[axis] + sb[axis + 2] - TOL, (key, sb, tb)
            assert all(a <= b + TOL for a, b in zip(coords, coords[1:])), (key, pts)
    if first:
        top = min(flow.values())
        assert all(abs(flow[f] - top) < TOL for f in first)
        # alone on the first layer
        assert all(flow[v] > top + TOL for v in ids - fset)
    if last:
        bottom = max(flow.values())
        assert all(abs(flow[f] - bottom) < TOL for f in last)
        assert all(flow[v] < bottom - TOL for v in ids - set(last))


@st.composite
def graphs(draw, max_nodes=18):
    n = draw(st.integers(1, max_nodes))
    ids = [f"n{i}" for i in range(n)]
    nodes = [
        LayoutNode(i, draw(st.sampled_from([0, 8, 20, 45.5, 120])), draw(st.sampled_from([0, 10, 24, 40])))
        for i in ids
    ]
    pairs = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=3 * n))
    counts: dict[tuple[str, str], int] = {}
    edges = []
    for s, t in pairs:  # repeated pairs become parallel edges; s == t are self-loops
        k = counts.get((s, t), 0)
        counts[(s, t)] = k + 1
        edges.append(LayoutEdge(s, t, k))
    pool = list(ids)
    first = draw(st.lists(st.sampled_from(pool), max_size=2, unique=True))
    last = draw(st.lists(st.sampled_from([i for i in pool if i not in first] or ["-"]), max_size=2, unique=True))
    last = [x for x in last if x != "-"]
    return nodes, edges, first, last


# ------------------------------------------------------------------------------------ properties


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.sampled_from(["TB", "LR"]))
def test_random_graphs_keep_the_geometric_invariants(g, direction):
    nodes, edges, first, last = g
    lay = layered_layout(nodes, edges, direction=direction, fixed_first=first, fixed_last=last)
    check_invariants(nodes, edges, lay, direction=direction, first=first, last=last)


@settings(max_examples=60, deadline=None)
@given(graphs(max_nodes=12), st.randoms(use_true_random=False))
def test_output_does_not_depend_on_input_order(g, rnd):
    nodes, edges, first, last = g
    a = layered_layout(nodes, edges, fixed_first=first, fixed_last=last)
    nodes2, edges2 = list(nodes), list(edges)
    rnd.shuffle(nodes2)
    rnd.shuffle(edges2)
    b = layered_layout(nodes2, edges2, fixed_first=first[::-1], fixed_last=last[::-1])
    assert a == b
    assert repr(a) == repr(layered_layout(nodes, edges, fixed_first=first, fixed_last=last))


@settings(max_examples=80, deadline=None)
@given(st.integers(2, 5), st.integers(1, 7), st.data())
def test_crossing_reduction_is_never_worse_than_the_initial_order(depth, width, data):
    layers, up, down = random_layered_graph(depth, width, data.draw(st.randoms(use_true_random=False)))
    pos = positions(layers)
    initial = _total_crossings(layers, down, pos)
    best, crossings = _reduce_crossings([list(layer) for layer in layers], up, down)
    assert crossings <= initial
    assert sorted(map(sorted, best)) == sorted(map(sorted, layers))  # same nodes per layer
    assert crossings == _total_crossings(best, down, positions(best))


# ------------------------------------------------------------------------------------ crossings


def positions(layers):
    pos = [0] * (1 + max((v for layer in layers for v in layer), default=0))
    for layer in layers:
        for i, v in enumerate(layer):
            pos[v] = i
    return pos


def random_layered_graph(depth, width, rnd, density=0.35):
    layers, nxt = [], 0
    for _ in range(depth):
        k = rnd.randint(1, width)
        layers.append(list(range(nxt, nxt + k)))
        nxt += k
    up = [[] for _ in range(nxt)]
    down = [[] for _ in range(nxt)]
    for a, b in zip(layers, layers[1:]):
        for u in a:
            for v in b:
                if rnd.random() < density:
                    down[u].append((v, 1.0))
                    up[v].append((u, 1.0))
    return layers, up, down


def build(layers, arcs):
    size = 1 + max(v for layer in layers for v in layer)
    up = [[] for _ in range(size)]
    down = [[] for _ in range(size)]
    for u, v in arcs:
        down[u].append((v, 1.0))
        up[v].append((u, 1.0))
    return up, down


def brute_force_min(layers, down):
    best = None
    for perms in itertools.product(*(itertools.permutations(layer) for layer in layers)):
        cand = list(map(list, perms))
        c = _total_crossings(cand, down, positions(cand))
        best = c if best is None else min(best, c)
    return best


def test_twisted_pair_is_untangled():
    # a->d, b->c in the initial order a b / c d crosses once; 0 is possible
    layers = [[0, 1], [2, 3]]
    up, down = build(layers, [(0, 3), (1, 2)])
    assert _total_crossings(layers, down, positions(layers)) == 1
    _best, c = _reduce_crossings(layers, up, down)
    assert c == 0


def test_k22_keeps_its_one_unavoidable_crossing():
    layers = [[0, 1], [2, 3]]
    up, down = build(layers, [(0, 2), (0, 3), (1, 2), (1, 3)])
    assert _reduce_crossings(layers, up, down)[1] == 1


def test_k22_with_a_tail_is_planar_after_reduction():
    # Two K2,2-like "X" patterns stacked with an inverted middle: every crossing is avoidable.
    layers = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    arcs = [(0, 5), (1, 4), (2, 3), (3, 8), (4, 7), (5, 6)]
    up, down = build(layers, arcs)
    assert _total_crossings(layers, down, positions(layers)) > 0
    assert _reduce_crossings(layers, up, down)[1] == 0


@pytest.mark.parametrize("seed", range(12))
def test_small_graphs_reach_the_brute_force_optimum(seed):
    rnd = random.Random(seed)
    layers, up, down = random_layered_graph(3, 4, rnd, density=0.4)
    _best, c = _reduce_crossings(layers, up, down)
    assert c == brute_force_min(layers, down)


def segments_cross(p1, p2, p3, p4):
    def orient(a, b, c):
        v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
        return (v > 1e-9) - (v < -1e-9)

    return (orient(p1, p2, p3) * orient(p1, p2, p4) < 0) and (orient(p3, p4, p1) * orient(p3, p4, p2) < 0)


def test_drawn_twisted_pair_has_no_geometric_crossing():
    nodes = [LayoutNode(x, 40, 20) for x in "abcd"]
    edges = [LayoutEdge("a", "d"), LayoutEdge("b", "c")]
    lay = layered_layout(nodes, edges)
    (p1, p2), (p3, p4) = lay.edges[("a", "d", 0)], lay.edges[("b", "c", 0)]
    assert not segments_cross(p1, p2, p3, p4)


# ------------------------------------------------------------------------------------ examples


def process_graph():
    names = ["start", "register", "check", "approve", "reject", "archive", "end"]
    nodes = [LayoutNode(n, 20 if n in ("start", "end") else 80, 20 if n in ("start", "end") else 36) for n in names]
    arcs = [("start", "register"), ("register", "check"), ("check", "approve"), ("check", "reject"),
            ("reject", "check"), ("approve", "archive"), ("reject", "archive"), ("archive", "end"),
            ("check", "check"), ("register", "end")]
    return nodes, [LayoutEdge(s, t) for s, t in arcs]


def test_process_map_layers_and_loop_back():
    nodes, edges = process_graph()
    lay = layered_layout(nodes, edges, fixed_first=["start"], fixed_last=["end"])
    check_invariants(nodes, edges, lay, first=["start"], last=["end"])
    assert lay.reversed_edges == frozenset({("reject", "check", 0)})
    ys = {k: centre(v)[1] for k, v in lay.nodes.items()}
    assert ys["start"] < ys["register"] < ys["check"] < ys["approve"] == ys["reject"] < ys["archive"] < ys["end"]


def test_lr_is_the_transpose_of_tb():
    nodes, edges = process_graph()
    tb = layered_layout(nodes, [e for e in edges], fixed_first=["start"], fixed_last=["end"])
    swapped = [LayoutNode(n.id, n.height, n.width) for n in nodes]
    lr = layered_layout(swapped, edges, direction="LR", fixed_first=["start"], fixed_last=["end"])
    for nid, (x, y, w, h) in tb.nodes.items():
        assert lr.nodes[nid] == (y, x, h, w)
    for key, pts in tb.edges.items():
        assert lr.edges[key] == tuple((b, a) for a, b in pts)
    assert (lr.width, lr.height) == (tb.height, tb.width)


def test_self_loops_sit_beside_their_node_and_parallel_edges_separate():
    nodes = [LayoutNode("a", 60, 30), LayoutNode("b", 60, 30), LayoutNode("c", 60, 30)]
    edges = [LayoutEdge("a", "a"), LayoutEdge("a", "a", 1), LayoutEdge("a", "b"),
             LayoutEdge("a", "b", 1), LayoutEdge("b", "a"), LayoutEdge("a", "c")]
    lay = layered_layout(nodes, edges)
    check_invariants(nodes, edges, lay)
    ax, ay, aw, ah = lay.nodes["a"]
    for key in [("a", "a", 0), ("a", "a", 1)]:
        pts = lay.edges[key]
        assert all(px >= ax + aw - TOL for px, _ in pts)  # beside, right of the box
        assert max(px for px, _ in pts) > ax + aw + 5
        for other in ("b", "c"):  # never through another box
            ox, oy, ow, oh = lay.nodes[other]
            assert not any(ox < px < ox + ow and oy < py < oy + oh for px, py in pts)
    assert lay.edges[("a", "a", 0)] != lay.edges[("a", "a", 1)]
    routes = {lay.edges[k] for k in [("a", "b", 0), ("a", "b", 1)]} | {lay.edges[("b", "a", 0)][::-1]}
    assert len(routes) == 3  # three distinct lines between a and b
    assert len(lay.reversed_edges) == 1


def test_long_edges_bend_through_dummy_positions_without_hitting_boxes():
    nodes = [LayoutNode(x, 50, 30) for x in "abcde"]
    edges = [LayoutEdge(s, t) for s, t in ["ab", "bc", "cd", "de", "ae"]]
    lay = layered_layout(nodes, edges)
    check_invariants(nodes, edges, lay)
    long = lay.edges[("a", "e", 0)]
    assert len(long) > 2
    for nid in "bcd":
        x, y, w, h = lay.nodes[nid]
        for px, py in long:
            assert not (x < px < x + w and y < py < y + h)


def test_disconnected_parts_and_isolated_nodes_do_not_overlap():
    nodes = [LayoutNode(f"n{i}", 30 + i, 20) for i in range(12)]
    edges = [LayoutEdge("n0", "n1"), LayoutEdge("n2", "n3"), LayoutEdge("n3", "n2"), LayoutEdge("n4", "n4")]
    lay = layered_layout(nodes, edges)
    check_invariants(nodes, edges, lay)


def test_gaps_are_respected():
    nodes = [LayoutNode(x, 40, 20) for x in "abc"]
    edges = [LayoutEdge("a", "b"), LayoutEdge("a", "c")]
    lay = layered_layout(nodes, edges, node_gap=25, layer_gap=70)
    b, c, a = lay.nodes["b"], lay.nodes["c"], lay.nodes["a"]
    left, right = sorted([b, c])
    assert right[0] - (left[0] + left[2]) >= 25 - TOL
    assert b[1] - (a[1] + a[3]) == pytest.approx(70)


def test_empty_and_single_node():
    assert layered_layout([], []) == Layout({}, {}, 0.0, 0.0, frozenset())
    lay = layered_layout([LayoutNode("x", 10, 5)], [])
    assert lay.nodes == {"x": (0.0, 0.0, 10, 5)} and (lay.width, lay.height) == (10, 5)


def test_fixed_nodes_alone_on_the_outer_layers_even_when_edges_point_against_them():
    nodes = [LayoutNode(x, 30, 20) for x in ["s", "a", "b", "e"]]
    edges = [LayoutEdge("a", "s"), LayoutEdge("e", "b"), LayoutEdge("s", "a"), LayoutEdge("b", "e"), LayoutEdge("a", "b")]
    lay = layered_layout(nodes, edges, fixed_first=["s"], fixed_last=["e"])
    check_invariants(nodes, edges, lay, first=["s"], last=["e"])
    assert lay.reversed_edges == {("a", "s", 0), ("e", "b", 0)}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"direction": "BT"}, "direction"),
        ({"fixed_first": ["zz"]}, "zz"),
        ({"fixed_first": ["a"], "fixed_last": ["a"]}, "both"),
        ({"node_gap": -1}, "node_gap"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layered_layout([LayoutNode("a", 1, 1)], [], **kwargs)


def test_bad_graphs_raise_value_error():
    a = LayoutNode("a", 1, 1)
    with pytest.raises(ValueError, match="duplicate node"):
        layered_layout([a, a], [])
    with pytest.raises(ValueError, match="unknown node"):
        layered_layout([a], [LayoutEdge("a", "b")])
    with pytest.raises(ValueError, match="duplicate edge"):
        layered_layout([a], [LayoutEdge("a", "a"), LayoutEdge("a", "a")])


# ------------------------------------------------------------------------------------ layering


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.data())
def test_network_simplex_layering_is_optimal_on_small_dags(n, data):
    from procatlas.render.layout import _network_simplex

    pairs = data.draw(st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=10))
    weights = {(u, v): float(data.draw(st.integers(1, 3))) for u, v in pairs if u < v}  # acyclic
    rank = _network_simplex(n, weights)
    assert all(rank[v] - rank[u] >= 1 for u, v in weights)

    def cost(r):
        return sum(w * (r[v] - r[u]) for (u, v), w in weights.items())

    best = min(
        cost(r) for r in itertools.product(range(n), repeat=n) if all(r[v] - r[u] >= 1 for u, v in weights)
    )
    assert cost(rank) == best
