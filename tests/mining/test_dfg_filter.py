"""Map sliders: kept activities by frequency, kept paths by frequency plus a connected skeleton."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from procatlas.errors import InputError
from procatlas.mining.dfg_filter import END, START, graph_edges, keep_activities, keep_paths, reachable

traces_st = st.lists(st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=10), min_size=1, max_size=30)


def dfg_of(traces):
    dfg = Counter(p for t in traces for p in zip(t, t[1:]))
    return dfg, Counter(t[0] for t in traces), Counter(t[-1] for t in traces)


def project(traces, keep):
    return [p for p in ([a for a in t if a in keep] for t in traces) if p]


@settings(max_examples=300, deadline=None)
@given(traces_st, st.floats(0, 1), st.floats(0, 1))
def test_every_kept_activity_reachable_from_start_and_reaching_end(traces, act_share, path_share):
    events = Counter(a for t in traces for a in t)
    keep = set(keep_activities(events, act_share))
    graph = graph_edges(*dfg_of(project(traces, keep)))
    kept = keep_paths(graph, path_share)
    nodes = keep | {START, END}
    assert reachable(kept, START) == nodes
    assert reachable(kept, END, forward=False) == nodes
    assert set(kept) <= set(graph)
    # the most frequent paths are always in
    ranked = sorted(graph, key=lambda e: (-graph[e], e))
    assert set(ranked[:round(path_share * len(graph))]) <= set(kept)


@settings(max_examples=200, deadline=None)
@given(traces_st, st.floats(0, 1), st.floats(0, 1))
def test_more_paths_never_removes_a_path(traces, a, b):
    graph = graph_edges(*dfg_of(traces))
    lo, hi = sorted((a, b))
    assert set(keep_paths(graph, lo)) <= set(keep_paths(graph, hi))
    assert set(keep_paths(graph, 1.0)) == set(graph)


def test_skeleton_takes_the_widest_route_and_is_deterministic():
    # start -> a (10) -> b (9) -> end, and a rare detour a -> c (1) -> b (1)
    graph = {(START, "a"): 10, ("a", "b"): 9, ("a", "c"): 1, ("c", "b"): 1, ("b", END): 10, ("b", "a"): 1}
    kept = keep_paths(graph, 0.0)
    assert ("a", "b") in kept and ("b", "a") not in kept
    assert ("a", "c") in kept and ("c", "b") in kept  # c must stay connected
    assert kept == keep_paths(dict(reversed(list(graph.items()))), 0.0)


def test_keep_activities_by_frequency_then_name():
    events = {"x": 5, "y": 7, "z": 5, "w": 1}
    assert keep_activities(events, 0.5) == ["y", "x"]
    assert keep_activities(events, 0.0) == ["y"]
    assert keep_activities(events, 1.0) == ["y", "x", "z", "w"]
    assert keep_activities({}, 0.5) == []
    with pytest.raises(InputError):
        keep_activities(events, 1.5)
