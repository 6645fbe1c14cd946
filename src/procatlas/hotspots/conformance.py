"""Conformance deviations: log and model moves of optimal alignments of each variant against
the discovered model (IMf) or a normative model the user supplies (PNML or BPMN file)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

from procatlas.errors import InputError
from procatlas.hotspots.alignments import LOG, MODEL, VariantAlignments, align_variants
from procatlas.hotspots.settings import ExceptionSettings
from procatlas.mining.petri import Arc, PetriNet, Place, Transition

Variant = tuple[int, tuple[str, ...], int]


def bpmn_to_petri(model) -> PetriNet:
    """Workflow net of a BPMN model: a place per sequence flow, a transition per task, silent
    transitions for gateways (exclusive: one per incoming/outgoing pair; parallel: one)."""
    from procatlas.mining.bpmn import NodeKind
    places = [Place("i"), Place("o")] + [Place(f"f_{f.id}") for f in model.flows]
    trans: list[Transition] = []
    arcs: list[Arc] = []
    ins = {n.id: [f for f in model.flows if f.target == n.id] for n in model.nodes}
    outs = {n.id: [f for f in model.flows if f.source == n.id] for n in model.nodes}

    def t(tid: str, label, pre: list[str], post: list[str]) -> None:
        trans.append(Transition(tid, label))
        arcs.extend(Arc(p, tid) for p in pre)
        arcs.extend(Arc(tid, p) for p in post)

    for n in model.nodes:
        pre = [f"f_{f.id}" for f in ins[n.id]]
        post = [f"f_{f.id}" for f in outs[n.id]]
        if n.kind is NodeKind.START:
            t(f"t_{n.id}", None, ["i"], post)
        elif n.kind is NodeKind.END:
            t(f"t_{n.id}", None, pre, ["o"])
        elif n.kind is NodeKind.XOR:
            for a in pre or ["i"]:
                for b in post or ["o"]:
                    t(f"t_{n.id}_{a}_{b}", None, [a], [b])
        elif n.kind is NodeKind.AND:
            t(f"t_{n.id}", None, pre, post)
        else:  # task: several incoming flows merge like an exclusive join
            if len(pre) <= 1 and len(post) <= 1:
                t(f"t_{n.id}", n.name or n.id, pre, post)
            else:
                mid_in, mid_out = f"in_{n.id}", f"out_{n.id}"
                places.extend([Place(mid_in), Place(mid_out)])
                for a in pre:
                    t(f"t_{n.id}_j_{a}", None, [a], [mid_in])
                t(f"t_{n.id}", n.name or n.id, [mid_in], [mid_out])
                t(f"t_{n.id}_s", None, [mid_out], post)
    return PetriNet(tuple(places), tuple(trans), tuple(arcs), (("i", 1),), (("o", 1),), model.name)


def load_model(path: str | Path) -> PetriNet:
    """A normative model from a .pnml or .bpmn file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".pnml":
        from procatlas.io.pnml import read_pnml
        return read_pnml(path)
    if suffix in (".bpmn", ".xml"):
        from procatlas.io.bpmn import read_bpmn
        return bpmn_to_petri(read_bpmn(path))
    raise InputError("a model must be a .pnml or .bpmn file", path=path)


def discovered_model(variants: Sequence[Variant], noise: float) -> PetriNet:
    from procatlas.mining.inductive import discover_tree
    from procatlas.mining.petri import tree_to_petri
    return tree_to_petri(discover_tree({acts: n for _v, acts, n in variants}, noise=noise))


def align(variants: Sequence[Variant], net: PetriNet, s: ExceptionSettings) -> VariantAlignments:
    return align_variants(net, {acts: n for _v, acts, n in variants}, time_budget_s=s.alignment_time_budget_s,
                          max_states=s.alignment_max_states)


def deviation_rows(variants: Sequence[Variant], result: VariantAlignments) -> list[dict]:
    rows = []
    for v, acts, _n in variants:
        a = result.alignments.get(acts)
        if a is None:
            continue
        for m in a.deviations:
            if m.kind == LOG:
                rows.append({"variant": v, "pos": m.position + 1, "type": "conformance", "activity": m.log,
                             "target": None, "delay_s": None, "detail": "log move",
                             "explanation": f"'{m.log}' happened where the model does not allow it (log move)"})
            elif m.kind == MODEL:
                pos = min(m.position, len(acts) - 1) + 1
                rows.append({"variant": v, "pos": pos, "type": "conformance", "activity": m.model,
                             "target": None, "delay_s": None, "detail": "model move",
                             "explanation": f"'{m.model}' required by the model did not happen (model move)"})
    return rows


def case_fitness_table(variants: Sequence[Variant], result: VariantAlignments) -> pa.Table:
    """Per variant: fitness and cost (cases join on variant)."""
    rows = [{"variant": v, "fitness": result.alignments[acts].fitness, "cost": result.alignments[acts].cost}
            for v, acts, _n in variants if acts in result.alignments]
    return pa.Table.from_pylist(rows, schema=pa.schema([("variant", pa.int64()), ("fitness", pa.float64()),
                                                        ("cost", pa.int64())]))
