"""Drawing an object-centric DFG: one box per activity, one colour per object type (no Graphviz)."""

from __future__ import annotations

import math
from xml.sax.saxutils import escape, quoteattr

from procatlas.model.triggers import OcDfg
from procatlas.render.layout import LayoutEdge, LayoutNode, layered_layout
from procatlas.render.map_svg import FONT, fmt_count, fmt_duration
from procatlas.render.svg import text_width

# ColorBrewer Set1/Dark2, readable on white; types beyond the palette cycle
PALETTE = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#377eb8",
           "#e41a1c", "#984ea3", "#ff7f00", "#4d4d4d"]
BOX_H, PAD, MARGIN, ENDPOINT = 40.0, 20.0, 24.0, 22.0


def _num(v: float) -> str:
    text = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def colours(types: list[str]) -> dict[str, str]:
    return {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(sorted(types))}


def render_ocdfg(g: OcDfg, *, direction: str = "TB") -> str:
    """The OC-DFG as SVG text: edges coloured by object type, start/end circles per type."""
    types = g.object_types
    colour = colours(types)
    acts = sorted(set(g.activities.column("activity").to_pylist())) if g.activities.num_rows else []
    ids = {a: f"a{i}" for i, a in enumerate(acts)}
    events: dict[str, int] = {}
    for r in g.activities.to_pylist():
        events[r["activity"]] = max(events.get(r["activity"], 0), r["events"])
    nodes = [LayoutNode(ids[a], max(90.0, text_width(a, 12) + PAD), BOX_H) for a in acts]
    nodes += [LayoutNode(f"s{i}", ENDPOINT, ENDPOINT) for i, _ in enumerate(types)]
    nodes += [LayoutNode(f"e{i}", ENDPOINT, ENDPOINT) for i, _ in enumerate(types)]
    tix = {t: i for i, t in enumerate(types)}
    edges: list[tuple[str, str, int, str, dict]] = []
    for r in g.edges.to_pylist():
        edges.append((ids[r["source"]], ids[r["target"]], tix[r["object_type"]], r["object_type"], r))
    for r in g.start_activities.to_pylist():
        edges.append((f"s{tix[r['object_type']]}", ids[r["activity"]], tix[r["object_type"]], r["object_type"], r))
    for r in g.end_activities.to_pylist():
        edges.append((ids[r["activity"]], f"e{tix[r['object_type']]}", tix[r["object_type"]], r["object_type"], r))
    layout = layered_layout(nodes, [LayoutEdge(s, t, k) for s, t, k, _, _ in edges], direction=direction,
                            node_gap=36.0, layer_gap=64.0)
    max_n = max((r.get("total_objects", 1) for *_, r in edges), default=1) or 1
    width, height = layout.width + 2 * MARGIN, layout.height + 2 * MARGIN + 18 * (1 + len(types))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(width)}" height="{_num(height)}" '
           f'viewBox="0 0 {_num(width)} {_num(height)}" font-family="{FONT}" font-size="12">',
           "<title>Object-centric directly-follows graph</title><defs>"]
    for t in types:
        out.append(f'<marker id="arrow{tix[t]}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
                   f'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto">'
                   f'<path d="M0,0 L10,5 L0,10 z" fill="{colour[t]}"/></marker>')
    out.append("</defs>")
    out.append(f'<rect width="{_num(width)}" height="{_num(height)}" fill="#ffffff"/>')
    for i, t in enumerate(types):  # legend
        y = MARGIN + 18 * i
        out.append(f'<g class="legend"><rect x="{_num(MARGIN)}" y="{_num(y - 10)}" width="12" height="12" '
                   f'fill="{colour[t]}"/><text x="{_num(MARGIN + 18)}" y="{_num(y)}" fill="#333">{escape(t)}</text></g>')
    top = MARGIN + 18 * len(types) + 6
    out.append(f'<g transform="translate({_num(MARGIN)},{_num(top)})"><g class="edges" fill="none">')
    for s, t, k, otype, r in edges:
        pts = layout.edges[(s, t, k)]
        n = r.get("total_objects", 0)
        w = 1.0 + 5.0 * math.sqrt(n / max_n)
        d = "M" + " L".join(f"{_num(x)},{_num(y)}" for x, y in pts)
        if "source" in r:
            tip = (f"{otype}: {r['source']} -> {r['target']}: {fmt_count(r['event_couples'])} event pairs, "
                   f"{fmt_count(r['unique_objects'])} objects")
            if r.get("median_s") is not None:
                tip += f", median {fmt_duration(r['median_s'])}"
            dash = ""
        else:
            tip = f"{otype}: {'start' if s.startswith('s') else 'end'} {r['activity']} ({fmt_count(r['unique_objects'])} objects)"
            dash = ' stroke-dasharray="4,3"'
        out.append(f'<path d="{d}" stroke="{colour[otype]}" stroke-width="{_num(w)}"{dash} '
                   f'marker-end="url(#arrow{k})" data-type={quoteattr(otype)}><title>{escape(tip)}</title></path>')
    out.append('</g><g class="nodes">')
    for t in types:
        for prefix, glyph in (("s", "\u25b6"), ("e", "\u25a0")):
            x, y, w, h = layout.nodes[f"{prefix}{tix[t]}"]
            out.append(f'<g class="endpoint"><circle cx="{_num(x + w / 2)}" cy="{_num(y + h / 2)}" r="{_num(w / 2)}" '
                       f'fill="{colour[t]}"/><text x="{_num(x + w / 2)}" y="{_num(y + h / 2 + 4)}" '
                       f'text-anchor="middle" fill="#fff" font-size="10">{glyph}</text>'
                       f"<title>{escape(t)} {'start' if prefix == 's' else 'end'}</title></g>")
    for a in acts:
        x, y, w, h = layout.nodes[ids[a]]
        out.append(f'<g class="activity" data-activity={quoteattr(a)}><rect x="{_num(x)}" y="{_num(y)}" '
                   f'width="{_num(w)}" height="{_num(h)}" rx="5" fill="#f4f6f8" stroke="#31587a"/>'
                   f'<text x="{_num(x + w / 2)}" y="{_num(y + 16)}" text-anchor="middle" fill="#1b1b1b">{escape(a)}</text>'
                   f'<text x="{_num(x + w / 2)}" y="{_num(y + 31)}" text-anchor="middle" fill="#555" font-size="10">'
                   f"{fmt_count(events.get(a, 0))}</text><title>{escape(a)}</title></g>")
    out.append("</g></g></svg>")
    return "\n".join(out) + "\n"
