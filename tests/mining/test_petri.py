"""Process tree -> workflow net: soundness, language, silent-transition reduction."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from procatlas.mining.petri import Arc, PetriNet, Place, Transition, reduce_silent, tree_to_petri
from procatlas.mining.soundness import can_replay, check_soundness, is_workflow_net
from procatlas.mining.tree import TAU, Operator, ProcessTree, activity, parse_tree

TREES = [
    "a",
    "tau",
    "seq(a, b, c)",
    "xor(a, b, tau)",
    "and(a, b, c)",
    "loop(a, b)",
    "loop(seq(a, b), tau)",
    "seq(a, and(b, c), d)",
    "seq(xor(tau, a), loop(b, c), and(loop(d, tau), e), xor(tau, f))",
    "xor(loop(a, b), c)",
    "loop(and(a, b), xor(tau, c))",
    "and(loop(a, tau), loop(b, tau))",
    "loop(loop(a, b), c)",
    "and(xor(a, tau), seq(b, loop(c, tau)))",
]


def language(tree: ProcessTree, max_len: int = 5) -> set[tuple[str, ...]]:
    """Traces of a tree up to ``max_len`` events (direct semantics, for comparison)."""
    op = tree.operator
    if op is None:
        return {()} if tree.label is None else {(tree.label,)}
    kids = [language(c, max_len) for c in tree.children]
    if op is Operator.XOR:
        return set().union(*kids)
    if op is Operator.SEQ:
        out = {()}
        for k in kids:
            out = {a + b for a in out for b in k if len(a + b) <= max_len}
        return out
    if op is Operator.AND:
        out = {()}
        for k in kids:
            out = {m for a in out for b in k for m in _shuffles(a, b) if len(m) <= max_len}
        return out
    do, redo = kids
    out = set(do)
    frontier = set(do)
    while frontier:
        frontier = {a + r + d for a in frontier for r in redo for d in do
                    if len(a + r + d) <= max_len} - out
        out |= frontier
    return out


def _shuffles(a, b):
    if not a:
        return {b}
    if not b:
        return {a}
    return {(a[0],) + s for s in _shuffles(a[1:], b)} | {(b[0],) + s for s in _shuffles(a, b[1:])}


@pytest.mark.parametrize("text", TREES)
@pytest.mark.parametrize("reduce", [False, True])
def test_tree_nets_are_sound_workflow_nets_with_the_tree_language(text, reduce):
    tree = parse_tree(text)
    net = tree_to_petri(tree, reduce=reduce)
    report = check_soundness(net)
    assert report.sound, report
    assert is_workflow_net(net)
    lang = language(tree)
    alphabet = sorted(tree.activities())
    for n in range(0, 5):
        for trace in itertools.product(alphabet, repeat=n):
            assert can_replay(net, trace) == (trace in lang), (text, trace)


def test_reduction_removes_delaying_taus_only():
    full = tree_to_petri(parse_tree("seq(a, and(b, c), d)"), reduce=False)
    small = tree_to_petri(parse_tree("seq(a, and(b, c), d)"))
    assert sum(t.silent for t in full.transitions) == 2
    assert sum(t.silent for t in small.transitions) == 0
    assert [t.label for t in small.transitions if not t.silent] == ["a", "b", "c", "d"]


def test_silent_transitions_and_markings():
    net = tree_to_petri(parse_tree("xor(a, tau)"))
    assert sum(t.silent for t in net.transitions) == 1
    assert net.initial_marking == (("p0", 1),)
    assert net.final_marking == (("p1", 1),)


def test_soundness_check_detects_unsound_nets():
    # a deadlocking AND-join fed by an XOR-split
    net = PetriNet(
        places=(Place("i"), Place("p"), Place("q"), Place("o")),
        transitions=(Transition("a", "a"), Transition("b", "b"), Transition("j", None)),
        arcs=(Arc("i", "a"), Arc("i", "b"), Arc("a", "p"), Arc("b", "q"),
              Arc("p", "j"), Arc("q", "j"), Arc("j", "o")),
        initial_marking=(("i", 1),), final_marking=(("o", 1),),
    )
    r = check_soundness(net)
    assert not r.sound and not r.option_to_complete and not r.no_dead_transitions
    # an AND-split without join leaves tokens behind: no proper completion
    net2 = PetriNet(
        places=(Place("i"), Place("p"), Place("o")),
        transitions=(Transition("s", None), Transition("a", "a")),
        arcs=(Arc("i", "s"), Arc("s", "p"), Arc("s", "o"), Arc("p", "a")),
        initial_marking=(("i", 1),), final_marking=(("o", 1),),
    )
    assert not check_soundness(net2).sound


trees = st.recursive(
    st.sampled_from([activity(x) for x in "abcd"] + [TAU]),
    lambda kids: st.one_of(
        st.lists(kids, min_size=2, max_size=3).map(lambda ks: ProcessTree(Operator.SEQ, tuple(ks))),
        st.lists(kids, min_size=2, max_size=3).map(lambda ks: ProcessTree(Operator.XOR, tuple(ks))),
        st.lists(kids, min_size=2, max_size=2).map(lambda ks: ProcessTree(Operator.AND, tuple(ks))),
        st.tuples(kids, kids).map(lambda ks: ProcessTree(Operator.LOOP, ks)),
    ),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None)
@given(trees)
def test_reduction_keeps_soundness_and_language(tree):
    full = tree_to_petri(tree, reduce=False)
    small = reduce_silent(full)
    assert check_soundness(small, max_states=20_000).sound
    lang = language(tree, 4)
    alphabet = sorted(tree.activities())
    for n in range(0, 4):
        for trace in itertools.product(alphabet, repeat=n):
            assert can_replay(small, trace, max_states=20_000) == (trace in lang), (tree.to_string(), trace)
