"""Alignments: optimal costs on small nets; fitness equal to pm4py's on real logs (oracle)."""

from __future__ import annotations

import warnings

import pytest

from procatlas.hotspots.alignments import align_variants
from procatlas.mining.petri import tree_to_petri
from procatlas.mining.tree import parse_tree
from tests.conftest import data_file


def test_costs_on_small_net():
    net = tree_to_petri(parse_tree("seq('a', and('b', 'c'), loop('d', 'e'))"))
    r = align_variants(net, {("a", "b", "c", "d"): 5, ("a", "c", "b", "d", "e", "d"): 2, ("a", "d"): 1,
                             ("x", "a", "b", "c", "d"): 1})
    cost = {v: a.cost for v, a in r.alignments.items()}
    assert cost == {("a", "b", "c", "d"): 0, ("a", "c", "b", "d", "e", "d"): 0, ("a", "d"): 2,
                    ("x", "a", "b", "c", "d"): 1}
    assert r.best_worst_cost == 4 and r.note is None


def test_budget_is_reported():
    net = tree_to_petri(parse_tree("seq('a', 'b')"))
    r = align_variants(net, {("a", "b"): 1, ("b", "a"): 1}, time_budget_s=0.0)
    assert r.note and "time budget" in r.note and r.missing


@pytest.mark.parametrize("rel", ["compressed_input_data/08_receipt.xes.gz", "helpdesk.xes.gz",
                                 "compressed_input_data/07_bpic2013_incidents.xes.gz"])
def test_fitness_equals_pm4py(rel, tmp_path):
    pm4py = pytest.importorskip("pm4py")
    from procatlas import api
    from procatlas.io.pnml import to_pnml
    from procatlas.mining._models import mine_models
    path = data_file(f"pm4py__pm4py-core/{rel}")
    ws = api.open_workspace(tmp_path / "ws.duckdb")
    api.ingest([path], workspace=ws, process="p")
    variants = ws.process("p").variants().counts
    _tree, net, _ = mine_models(variants, noise=0.2)
    ours = align_variants(net, variants, time_budget_s=None, max_states=5_000_000)
    (tmp_path / "net.pnml").write_text(to_pnml(net), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pn, im, fm = pm4py.read_pnml(str(tmp_path / "net.pnml"))
        theirs = pm4py.fitness_alignments(pm4py.read_xes(str(path)), pn, im, fm)
    assert abs(ours.average_trace_fitness - theirs["average_trace_fitness"]) <= 0.001
    assert abs(ours.log_fitness - theirs["log_fitness"]) <= 0.001
