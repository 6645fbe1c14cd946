"""Node sizes and layered left-to-right layout of Petri nets and BPMN models (shared by the
SVG drawing and the PNML/BPMN-DI writers, so files and pictures agree)."""

from __future__ import annotations

from procatlas.render.layout import Layout, LayoutEdge, LayoutNode, layered_layout
from procatlas.render.svg import text_width

PLACE_SIZE = 30.0
SILENT_WIDTH = 12.0
TRANSITION_HEIGHT = 36.0
LABEL_FONT = 11.0
TASK_SIZE = (100.0, 80.0)
EVENT_SIZE = 36.0
GATEWAY_SIZE = 50.0


def transition_size(label: str | None) -> tuple[float, float]:
    if label is None:
        return SILENT_WIDTH, TRANSITION_HEIGHT
    return max(44.0, min(220.0, text_width(label, LABEL_FONT) + 16.0)), TRANSITION_HEIGHT


def task_size(name: str) -> tuple[float, float]:
    # bpmn.io wraps labels inside a 100 x 80 task; widen only for very long names
    w = text_width(name, LABEL_FONT)
    width = TASK_SIZE[0] if w <= 240 else min(180.0, w / 3 + 20)
    return width, TASK_SIZE[1]


def petri_layout(net) -> Layout:
    """Left-to-right layout of a Petri net: source place first, sink places last."""
    nodes = [LayoutNode(p.id, PLACE_SIZE, PLACE_SIZE) for p in net.places]
    nodes += [LayoutNode(t.id, *transition_size(t.label)) for t in net.transitions]
    seen: dict[tuple[str, str], int] = {}
    edges = []
    for a in net.arcs:
        k = seen.get((a.source, a.target), 0)
        seen[(a.source, a.target)] = k + 1
        edges.append(LayoutEdge(a.source, a.target, k))
    first = [p for p, _ in net.initial_marking]
    last = [p for p, _ in net.final_marking if p not in first]
    return layered_layout(nodes, edges, direction="LR", node_gap=24.0, layer_gap=40.0,
                          fixed_first=first, fixed_last=last)


def bpmn_size(node) -> tuple[float, float]:
    kind = node.kind.value
    if kind in ("startEvent", "endEvent"):
        return EVENT_SIZE, EVENT_SIZE
    if kind.endswith("Gateway"):
        return GATEWAY_SIZE, GATEWAY_SIZE
    return task_size(node.name)


def bpmn_layout(model) -> Layout:
    """Left-to-right layout of a BPMN model; edge keys are the flows' order among parallel flows."""
    nodes = [LayoutNode(n.id, *bpmn_size(n)) for n in model.nodes]
    edges = [LayoutEdge(f.source, f.target, k) for f, k in zip(model.flows, flow_keys(model))]
    first = [n.id for n in model.nodes if n.kind.value == "startEvent"]
    last = [n.id for n in model.nodes if n.kind.value == "endEvent"]
    return layered_layout(nodes, edges, direction="LR", node_gap=30.0, layer_gap=50.0,
                          fixed_first=first, fixed_last=last)


def flow_keys(model) -> list[int]:
    """Key of each flow among flows with the same source and target (0, 1, ...)."""
    seen: dict[tuple[str, str], int] = {}
    keys = []
    for f in model.flows:
        k = seen.get((f.source, f.target), 0)
        seen[(f.source, f.target)] = k + 1
        keys.append(k)
    return keys
