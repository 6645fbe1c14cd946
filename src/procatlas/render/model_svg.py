"""SVG drawing of process models (Petri nets and BPMN) with the layered layout; no Graphviz."""

from __future__ import annotations

from procatlas.mining.bpmn import BpmnModel, NodeKind
from procatlas.mining.petri import PetriNet
from procatlas.mining.tree import ProcessTree
from procatlas.render.model_layout import LABEL_FONT, bpmn_layout, flow_keys, petri_layout
from procatlas.render.svg import SvgDoc, arrow_marker, element, escape, fmt, polyline_path, text_width

__all__ = ["model_svg"]

_INK = "#2f3b4c"
_FILL = "#f4f7fb"
# Scoped to the drawing's own root class: an SVG's <style> applies to the whole HTML page
# it is inlined in (the atlas), and must not recolour the text of the maps beside it.
_ROOT = "pa-model"
_CSS = (
    f".{_ROOT} text{{font-family:Helvetica,Arial,sans-serif;fill:#1d2633}}"
    f" .{_ROOT} .edge{{fill:none;stroke:#5b6b80;stroke-width:1.3}}"
    f" .{_ROOT} .node{{stroke:#2f3b4c;stroke-width:1.4}}"
)


def model_svg(model: PetriNet | BpmnModel | ProcessTree, *, title: str | None = None) -> str:
    """Draw a Petri net or a BPMN model (a process tree is drawn as its BPMN model).

    The output is deterministic: the same model gives the same bytes.
    """
    if isinstance(model, ProcessTree):
        from procatlas.mining.bpmn import tree_to_bpmn
        model = tree_to_bpmn(model)
    if isinstance(model, PetriNet):
        return _petri_svg(model, title)
    if isinstance(model, BpmnModel):
        return _bpmn_svg(model, title)
    raise TypeError(f"model_svg draws a PetriNet, BpmnModel or ProcessTree, not {type(model).__name__}")


def _label_lines(text: str, width: float, font: float) -> list[str]:
    words, lines, cur = text.split(), [], ""
    for w in words:
        cand = f"{cur} {w}".strip()
        if cur and text_width(cand, font) > width:
            lines.append(cur)
            cur = w
        else:
            cur = cand
    if cur:
        lines.append(cur)
    return lines[:4] or [""]


def _text_block(lines: list[str], cx: float, cy: float, font: float) -> str:
    step = font * 1.2
    y0 = cy - step * (len(lines) - 1) / 2 + font * 0.35
    return "".join(element("text", line, x=cx, y=y0 + i * step, font_size=font,
                           text_anchor="middle") for i, line in enumerate(lines))


def _edges(doc: SvgDoc, lay, keys) -> None:
    for key in keys:
        pts = lay.edges.get(key)
        if pts:
            doc.add(element("path", d=polyline_path(pts), class_="edge", marker_end="url(#arr)"))


def _petri_svg(net: PetriNet, title: str | None) -> str:
    lay = petri_layout(net)
    doc = SvgDoc(lay.width, lay.height, padding=12, title=title or net.name, background="#ffffff",
                 attrs={"class": _ROOT})
    doc.add_style(_CSS)
    doc.add_def(arrow_marker("arr", "#5b6b80"))
    seen: dict[tuple[str, str], int] = {}
    keys = []
    for a in net.arcs:
        k = seen.get((a.source, a.target), 0)
        seen[(a.source, a.target)] = k + 1
        keys.append((a.source, a.target, k))
    _edges(doc, lay, keys)
    initial = dict(net.initial_marking)
    final = dict(net.final_marking)
    for p in net.places:
        x, y, w, h = lay.nodes[p.id]
        cx, cy, r = x + w / 2, y + h / 2, w / 2
        doc.add(f'<g id="{escape(p.id)}"><title>{escape(p.name or p.id)}</title>')
        doc.add(element("circle", cx=cx, cy=cy, r=r, fill="#ffffff", class_="node"))
        if p.id in final:
            doc.add(element("circle", cx=cx, cy=cy, r=r - 4, fill="none", class_="node"))
        if initial.get(p.id):
            doc.add(element("circle", cx=cx, cy=cy, r=4.5, fill=_INK))
        doc.add("</g>")
    for t in net.transitions:
        x, y, w, h = lay.nodes[t.id]
        doc.add(f'<g id="{escape(t.id)}"><title>{escape(t.label or "tau (silent)")}</title>')
        if t.label is None:
            doc.add(element("rect", x=x, y=y, width=w, height=h, fill=_INK, class_="node"))
        else:
            doc.add(element("rect", x=x, y=y, width=w, height=h, rx=3, fill=_FILL, class_="node"))
            doc.add(element("text", t.label, x=x + w / 2, y=y + h / 2 + LABEL_FONT * 0.35,
                            font_size=LABEL_FONT, text_anchor="middle"))
        doc.add("</g>")
    return doc.to_string()


def _bpmn_svg(model: BpmnModel, title: str | None) -> str:
    lay = bpmn_layout(model)
    doc = SvgDoc(lay.width, lay.height, padding=12, title=title or model.name, background="#ffffff",
                 attrs={"class": _ROOT})
    doc.add_style(_CSS)
    doc.add_def(arrow_marker("arr", "#5b6b80"))
    _edges(doc, lay, [(f.source, f.target, k) for f, k in zip(model.flows, flow_keys(model))])
    for n in model.nodes:
        x, y, w, h = lay.nodes[n.id]
        cx, cy = x + w / 2, y + h / 2
        doc.add(f'<g id="{escape(n.id)}"><title>{escape(n.name or n.kind.value)}</title>')
        if n.kind in (NodeKind.START, NodeKind.END):
            doc.add(element("circle", cx=cx, cy=cy, r=w / 2, fill="#ffffff", class_="node",
                            stroke_width=3.5 if n.kind is NodeKind.END else 1.5))
        elif n.kind is NodeKind.TASK:
            doc.add(element("rect", x=x, y=y, width=w, height=h, rx=8, fill=_FILL, class_="node"))
            doc.add(_text_block(_label_lines(n.name, w - 10, LABEL_FONT), cx, cy, LABEL_FONT))
        else:
            pts = f"{fmt(cx)},{fmt(y)} {fmt(x + w)},{fmt(cy)} {fmt(cx)},{fmt(y + h)} {fmt(x)},{fmt(cy)}"
            doc.add(element("polygon", points=pts, fill="#fffbea", class_="node"))
            d = w * 0.18
            if n.kind is NodeKind.XOR:
                path = f"M{fmt(cx - d)},{fmt(cy - d)} L{fmt(cx + d)},{fmt(cy + d)} " \
                       f"M{fmt(cx + d)},{fmt(cy - d)} L{fmt(cx - d)},{fmt(cy + d)}"
            else:
                path = f"M{fmt(cx)},{fmt(cy - d * 1.3)} L{fmt(cx)},{fmt(cy + d * 1.3)} " \
                       f"M{fmt(cx - d * 1.3)},{fmt(cy)} L{fmt(cx + d * 1.3)},{fmt(cy)}"
            doc.add(element("path", d=path, stroke=_INK, stroke_width=3, fill="none"))
        doc.add("</g>")
    return doc.to_string()
