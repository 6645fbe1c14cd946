"""The cut search on bit sets against a plain reading of the cut definitions.

The oracle below works on names and pairs, one activity at a time (the way the miner did
before the search moved to bit sets); the miner must find the same cut, with the same parts
in the same order, on any directly-follows graph.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procatlas.mining.inductive import Dfg, _Bits, _cut_of, _find_cut, _Flat, _merge_skip_chains, _reach
from procatlas.mining.tree import Operator


def _components(nodes: list[str], links) -> list[list[str]]:
    comp = {a: {a} for a in nodes}
    for a, b in links:
        if a in comp and b in comp and comp[a] is not comp[b]:
            merged = comp[a] | comp[b]
            for x in merged:
                comp[x] = merged
    groups = {id(c): sorted(c, key=nodes.index) for c in comp.values()}
    return sorted(groups.values(), key=lambda g: nodes.index(g[0]))


def _closure(acts: list[str], edges) -> dict[str, set[str]]:
    reach = {a: set() for a in acts}
    for a in acts:
        todo = [b for (x, b) in edges if x == a]
        while todo:
            b = todo.pop()
            if b not in reach[a]:
                reach[a].add(b)
                todo.extend(c for (x, c) in edges if x == b)
    return reach


def _seq(acts, dfg):
    reach = _closure(acts, dfg.edges)
    groups = [{a} for a in acts]

    def before(g, h):
        return all(h <= reach[a] for a in g) and all(not (reach[b] & g) for b in h)

    changed = True
    while changed and len(groups) > 1:
        changed = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                if not before(groups[i], groups[j]) and not before(groups[j], groups[i]):
                    groups[i] |= groups.pop(j)
                    changed = True
                    break
            if changed:
                break
    if len(groups) < 2:
        return None
    ordered = sorted(groups, key=lambda g: -sum(before(g, h) for h in groups if h is not g))
    parts = _merge_skip_chains(ordered, dfg)
    return [sorted(p) for p in parts] if len(parts) > 1 else None


def _par(acts, dfg):
    links = [(a, b) for i, a in enumerate(acts) for b in acts[i + 1:]
             if (a, b) not in dfg.edges or (b, a) not in dfg.edges]
    comps = _components(acts, links)
    if len(comps) < 2:
        return None
    good, only_start, only_end, neither = [], [], [], []
    for c in comps:
        s = any(a in dfg.start for a in c)
        e = any(a in dfg.end for a in c)
        (good if s and e else only_start if s else only_end if e else neither).append(list(c))
    while only_start and only_end:
        good.append(only_start.pop(0) + only_end.pop(0))
    if not good:
        return None
    for c in only_start + only_end + neither:
        good[0].extend(c)
    return [sorted(g) for g in sorted(good, key=min)] if len(good) > 1 else None


def _loop(acts, dfg):
    """Leemans' loop cut, his conditions checked activity by activity on sets: a part other than
    the body is entered only from end activities and left only to start activities; an activity
    entered from the body is entered from every end activity, one that leaves to the body leaves
    to every start activity; a part that breaks a condition joins the body."""
    start, end = set(dfg.start), set(dfg.end)
    if not start or not end:
        return None
    body = start | end
    others = [a for a in acts if a not in body]
    if not others:
        return None

    def breaks(b):
        entered = {a for a in body if (a, b) in dfg.edges}
        left = {c for c in body if (b, c) in dfg.edges}
        return bool(entered - end or left - start or (entered and not end <= entered)
                    or (left and not start <= left))

    redo, body_acts = [], sorted(body)
    for c in _components(others, dfg.edges):
        if any(breaks(b) for b in c):
            body_acts.extend(c)
        else:
            redo.append(sorted(c))
    return [sorted(body_acts)] + redo if redo else None


def _oracle(dfg: Dfg):
    acts = sorted(dfg.activities)
    if len(acts) < 2:
        return None
    xor = _components(acts, dfg.edges)
    if len(xor) > 1:
        return Operator.XOR, xor
    for op, finder in ((Operator.SEQ, _seq), (Operator.AND, _par), (Operator.LOOP, _loop)):
        parts = finder(acts, dfg)
        if parts:
            return op, parts
    return None


@st.composite
def graphs(draw):
    n = draw(st.integers(2, 9))
    acts = [chr(ord("a") + i) for i in range(n)]
    pairs = [(a, b) for a in acts for b in acts]
    edges = draw(st.lists(st.sampled_from(pairs), max_size=3 * n, unique=True))
    start = draw(st.lists(st.sampled_from(acts), min_size=1, max_size=n, unique=True))
    end = draw(st.lists(st.sampled_from(acts), min_size=1, max_size=n, unique=True))
    return Dfg({a: 1 for a in acts}, {e: 1 for e in edges}, {a: 1 for a in start}, {a: 1 for a in end})


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_cut_search_equals_the_definitions(dfg):
    assert _find_cut(dfg) == _oracle(dfg)


@settings(max_examples=300, deadline=None)
@given(graphs())
def test_reach_is_the_transitive_closure_both_ways(dfg):
    acts = sorted(dfg.activities)
    g = _Bits.of(acts, dfg)
    closure = _closure(acts, dfg.edges)
    reach, reached_by = _reach(g.n, g.rows, g.cols)
    assert [set(g.names(m)) for m in reach] == [closure[a] for a in acts]
    assert [set(g.names(m)) for m in reached_by] == [{b for b in acts if a in closure[b]} for a in acts]


def test_sequence_of_cycles_and_an_unordered_pair():
    # a <-> b form one group (they reach each other); c and d are unordered (neither
    # reaches the other) and share the last group
    dfg = Dfg({a: 1 for a in "abcd"}, {("a", "b"): 1, ("b", "a"): 1, ("b", "c"): 1, ("a", "d"): 1},
              {"a": 1}, {"c": 1, "d": 1})
    assert _find_cut(dfg) == (Operator.SEQ, [["a", "b"], ["c", "d"]])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.lists(st.sampled_from("abcdef"), min_size=1, max_size=7).map(tuple),
                       st.integers(1, 5), min_size=1, max_size=8))
def test_graph_without_an_activity_from_the_arrays_equals_the_one_by_name(log):
    # the activity-concurrent fall-through builds the graph without each activity straight
    # from the event arrays; it must give the same cut as the graph counted by name
    flat = _Flat(log)
    for code in range(len(flat.names)):
        assert _cut_of(flat.bits(code)) == _find_cut(flat.dfg(drop=code))


def test_loop_cut_checks_each_redo_activity_not_the_part():
    """A redo part is judged activity by activity: ``r`` never entered (the noise filter removed its
    entries) is still a redo; ``x`` and ``y`` each entered from one of the two end activities only
    are not, although together they are entered from both (the old, part-level check took them)."""
    never_entered = Dfg({a: 1 for a in "scer"}, {("c", "s"): 1, ("c", "e"): 1, ("r", "s"): 1},
                        {"s": 1}, {"s": 1, "e": 1})
    assert _find_cut(never_entered) == (Operator.LOOP, [["c", "e", "s"], ["r"]])
    split_entries = Dfg({a: 1 for a in "sefxy"},
                        {("s", "e"): 1, ("s", "f"): 1, ("e", "x"): 1, ("f", "y"): 1, ("x", "y"): 1,
                         ("y", "s"): 1, ("x", "s"): 1}, {"s": 1}, {"e": 1, "f": 1})
    assert _find_cut(split_entries) is None
