"""Process tree -> BPMN: structure, and the same language as the tree (checked on a Petri
net translation of the BPMN model using the standard gateway semantics)."""

from __future__ import annotations

import itertools

import pytest

from procatlas.mining.bpmn import BpmnModel, NodeKind, tree_to_bpmn
from procatlas.mining.petri import Arc, PetriNet, Place, Transition
from procatlas.mining.soundness import can_replay, check_soundness
from procatlas.mining.tree import parse_tree
from tests.mining.test_petri import TREES, language


def bpmn_to_petri(model: BpmnModel) -> PetriNet:
    """Flows are places; tasks and AND gateways are transitions; XOR gateways are one silent
    transition per (incoming, outgoing) pair; start/end events add source and sink."""
    places = [Place("source"), Place("sink")] + [Place(f.id) for f in model.flows]
    ins = {n.id: [f.id for f in model.flows if f.target == n.id] for n in model.nodes}
    outs = {n.id: [f.id for f in model.flows if f.source == n.id] for n in model.nodes}
    transitions, arcs = [], []

    def trans(tid, label, pre, post):
        transitions.append(Transition(tid, label))
        arcs.extend(Arc(p, tid) for p in pre)
        arcs.extend(Arc(tid, p) for p in post)

    for n in model.nodes:
        if n.kind is NodeKind.START:
            trans(n.id, None, ["source"], outs[n.id])
        elif n.kind is NodeKind.END:
            trans(n.id, None, ins[n.id], ["sink"])
        elif n.kind is NodeKind.TASK:
            trans(n.id, n.name, ins[n.id], outs[n.id])
        elif n.kind is NodeKind.AND:
            trans(n.id, None, ins[n.id], outs[n.id])
        else:
            for i, o in itertools.product(ins[n.id], outs[n.id]):
                trans(f"{n.id}_{i}_{o}", None, [i], [o])
    return PetriNet(tuple(places), tuple(transitions), tuple(arcs), (("source", 1),), (("sink", 1),))


@pytest.mark.parametrize("text", TREES)
def test_bpmn_has_the_tree_language_and_is_sound(text):
    tree = parse_tree(text)
    model = tree_to_bpmn(tree)
    net = bpmn_to_petri(model)
    assert check_soundness(net).sound
    lang = language(tree)
    alphabet = sorted(tree.activities())
    for n in range(0, 5):
        for trace in itertools.product(alphabet, repeat=n):
            assert can_replay(net, trace) == (trace in lang), (text, trace)


def test_structure_of_a_bpmn_model():
    model = tree_to_bpmn(parse_tree("seq(a, xor(b, tau), and(c, d))"))
    kinds = [n.kind for n in model.nodes]
    assert kinds.count(NodeKind.START) == 1 and kinds.count(NodeKind.END) == 1
    assert sorted(model.tasks()) == ["a", "b", "c", "d"]
    assert kinds.count(NodeKind.XOR) == 2 and kinds.count(NodeKind.AND) == 2
    ids = {n.id for n in model.nodes}
    assert len(ids) == len(model.nodes)
    assert len({f.id for f in model.flows}) == len(model.flows)
    for f in model.flows:
        assert f.source in ids and f.target in ids
    # gateways are split or join, never both
    for n in model.nodes:
        if n.kind in (NodeKind.XOR, NodeKind.AND):
            n_in = sum(f.target == n.id for f in model.flows)
            n_out = sum(f.source == n.id for f in model.flows)
            assert (n_in == 1 and n_out >= 2 and n.direction == "Diverging") or \
                   (n_in >= 2 and n_out == 1 and n.direction == "Converging")


def test_tau_only_tree_is_start_to_end():
    model = tree_to_bpmn(parse_tree("tau"))
    assert [n.kind for n in model.nodes] == [NodeKind.START, NodeKind.END]
    assert len(model.flows) == 1
