"""Process map SVG: valid, deterministic, every kept node and path drawn, readable when large."""

from __future__ import annotations

import random
import re

import pytest
from lxml import etree

from procatlas import api
from procatlas.model.discovery import END, START, MapEdge, MapNode, ProcessMap
from procatlas.render.map_svg import fmt_duration, render_map
from procatlas.render.svg import text_width
from procatlas.workspace import Workspace
from tests.conftest import data_file

SVG = "{http://www.w3.org/2000/svg}"


def big_map(n: int = 45, seed: int = 7) -> ProcessMap:
    rnd = random.Random(seed)
    names = [f"Activity {i:02d} {'x' * rnd.randint(0, 25)}" for i in range(n)]
    nodes = tuple(MapNode(a, rnd.randint(1, 5000), rnd.randint(1, 900), rnd.random() * 9000) for a in names)
    edges = {(START, names[0]), (names[-1], END)}
    for a, b in zip(names, names[1:]):
        edges.add((a, b))
    for _ in range(2 * n):
        edges.add((rnd.choice(names), rnd.choice(names)))
    medges = tuple(MapEdge(s, t, rnd.randint(1, 3000), rnd.randint(1, 800), rnd.random() * 1e5, rnd.random() * 1e5,
                           rnd.random() * 2e5, rnd.random() * 3e5) for s, t in sorted(edges))
    return ProcessMap("big", nodes, medges, cases=900, events=50_000, total_activities=n, total_paths=len(medges))


def boxes(svg: str) -> dict[str, tuple[float, float, float, float]]:
    root = etree.fromstring(svg.encode())
    out = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "activity":
            r = g.find(f"{SVG}rect")
            out[g.get("data-activity")] = tuple(float(r.get(k)) for k in ("x", "y", "width", "height"))
    return out


def test_large_map_is_valid_deterministic_and_boxes_do_not_overlap():
    pmap = big_map()
    svg = render_map(pmap)
    assert svg == render_map(big_map())  # same input -> same bytes
    b = boxes(svg)
    assert set(b) == {n.activity for n in pmap.nodes}
    items = sorted(b.values())
    for i, (x1, y1, w1, h1) in enumerate(items):
        for x2, y2, w2, h2 in items[i + 1:]:
            assert x1 + w1 <= x2 + 0.01 or x2 + w2 <= x1 + 0.01 or y1 + h1 <= y2 + 0.01 or y2 + h2 <= y1 + 0.01
    # boxes are sized to their labels
    for n in pmap.nodes:
        assert b[n.activity][2] >= text_width(n.activity, 12) + 10
    root = etree.fromstring(svg.encode())
    paths = [p for p in root.iter(f"{SVG}path") if p.get("marker-end")]
    assert len(paths) == len(pmap.edges)
    widths = sorted(float(p.get("stroke-width")) for p in paths)
    assert widths[0] >= 1 and widths[-1] <= 8 and widths[0] < widths[-1]


def test_performance_view_colours_by_duration_and_labels_durations():
    pmap = big_map(8)
    perf = ProcessMap(pmap.process, pmap.nodes, pmap.edges, view="performance", measure="median",
                      total_activities=8, total_paths=len(pmap.edges))
    svg = render_map(perf)
    assert re.search(r">\d+(\.\d)? (s|min|h|d)<", svg)
    assert "#bd0026" in svg or "#f03b20" in svg  # the heat ramp is used
    assert svg != render_map(pmap)


def test_fmt_duration():
    assert [fmt_duration(s) for s in (5, 600, 7200, 3 * 86400, None)] == ["5 s", "10 min", "2.0 h", "3.0 d", ""]


@pytest.fixture(scope="module")
def running_example(tmp_path_factory):
    path = tmp_path_factory.mktemp("ws") / "w.duckdb"
    api.ingest([data_file("pm4py__pm4py-core/running-example.xes")], workspace=path)
    return path


def test_real_map_shows_start_end_and_repr_svg(running_example):
    with Workspace(running_example, read_only=True) as ws:
        pmap = ws.process("running-example").map(activities=0.5, paths=0.0)
    svg = pmap._repr_svg_()
    assert 'class="start"' in svg and 'class="end"' in svg
    assert set(boxes(svg)) == {n.activity for n in pmap.nodes}
    assert len(pmap.nodes) == 4  # half of 8 activities
    # the skeleton keeps every kept activity on a path from start to end
    succ = {}
    for e in pmap.edges:
        succ.setdefault(e.source, set()).add(e.target)
    seen, stack = {START}, [START]
    while stack:
        for n in succ.get(stack.pop(), ()):
            if n not in seen:
                seen.add(n)
                stack.append(n)
    assert seen == {n.activity for n in pmap.nodes} | {START, END}
