"""Drawing a ProcessMap as a standalone SVG (layered layout from render/layout.py, no Graphviz)."""

from __future__ import annotations

import math
from xml.sax.saxutils import escape, quoteattr

from procatlas.model.discovery import END, START, MapEdge, ProcessMap
from procatlas.render.layout import LayoutEdge, LayoutNode, layered_layout
from procatlas.render.svg import text_width

FONT = "Helvetica, Arial, sans-serif"
BOX_H = 40.0
BOX_MIN_W = 90.0
PAD = 20.0
ENDPOINT = 26.0
MARGIN = 24.0
# sequential colour ramps (light -> dark), ColorBrewer Blues and YlOrRd
BLUES = ["#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"]
HEAT = ["#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]  # without the lightest: edges stay visible


def fmt_count(n: float) -> str:
    """1234 -> '1,234'."""
    return f"{int(round(n)):,}"


def fmt_duration(s: float | None) -> str:
    """Seconds as a short human duration: '45 s', '12 min', '3.5 h', '2.1 d'."""
    if s is None or (isinstance(s, float) and math.isnan(s)):
        return ""
    if s < 90:
        return f"{s:.0f} s"
    if s < 90 * 60:
        return f"{s / 60:.0f} min"
    if s < 48 * 3600:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} d"


def _num(v: float) -> str:
    """Coordinates with at most two decimals and no '-0' (identical bytes for identical input)."""
    text = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _ramp(colours: list[str], t: float) -> str:
    t = 0.0 if math.isnan(t) else min(max(t, 0.0), 1.0)
    return colours[min(int(t * len(colours)), len(colours) - 1)]


def _label_width(text: str, size: float = 12) -> float:
    return text_width(text, size)


def _midpoint(points: tuple[tuple[float, float], ...], fraction: float = 0.5) -> tuple[float, float]:
    lengths = [math.dist(a, b) for a, b in zip(points, points[1:])]
    half = sum(lengths) * fraction
    for (a, b), seg in zip(zip(points, points[1:]), lengths):
        if half <= seg and seg > 0:
            f = half / seg
            return a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f
        half -= seg
    return points[len(points) // 2]


def edge_label(edge: MapEdge, pmap: ProcessMap) -> str:
    if pmap.view == "performance":
        if edge.source == START or edge.target == END:
            return ""
        return fmt_duration(edge.value(pmap.measure))
    return fmt_count(edge.value(pmap.measure))


def render_map(pmap: ProcessMap, *, direction: str = "TB", heat: dict | None = None) -> str:
    """The map as SVG text; the same map always gives the same bytes.

    ``heat`` (``{"activities": {activity: load}, "edges": {(source, target): load}}``, e.g. the
    exception load of procatlas.hotspots) colours activities and edges on the heat ramp instead.
    """
    heat_acts = (heat or {}).get("activities", {})
    heat_edges = (heat or {}).get("edges", {})
    max_heat = max([*heat_acts.values(), *heat_edges.values(), 0]) or 1
    ids = {n.activity: f"a{i}" for i, n in enumerate(sorted(pmap.nodes, key=lambda n: n.activity))}
    ids[START], ids[END] = "start", "end"
    measure_count = "cases" if pmap.measure == "case" else "events"
    lines = {}
    for n in pmap.nodes:
        second = (fmt_duration(n.service_mean_s) if pmap.view == "performance" and n.service_mean_s is not None
                  else fmt_count(n.cases if pmap.measure == "case" else n.events))
        lines[n.activity] = second
    used = {e.source for e in pmap.edges} | {e.target for e in pmap.edges}
    lnodes = [LayoutNode(ids[n.activity], max(BOX_MIN_W, _label_width(n.activity) + PAD), BOX_H)
              for n in pmap.nodes]
    for endpoint in (START, END):
        if endpoint in used:
            lnodes.append(LayoutNode(ids[endpoint], ENDPOINT, ENDPOINT))
    ledges = [LayoutEdge(ids[e.source], ids[e.target]) for e in pmap.edges]
    layout = layered_layout(lnodes, ledges, direction=direction, node_gap=36.0, layer_gap=64.0,
                            fixed_first=[ids[START]] if START in used else (),
                            fixed_last=[ids[END]] if END in used else ())

    max_freq = max((e.frequency for e in pmap.edges), default=1) or 1
    max_events = max((n.cases if pmap.measure == "case" else n.events for n in pmap.nodes), default=1) or 1
    perf_values = [e.value(pmap.measure) for e in pmap.edges
                   if pmap.view == "performance" and e.source != START and e.target != END]
    perf_values = [v for v in perf_values if not math.isnan(v)]
    max_perf = max(perf_values, default=0.0) or 1.0

    width, height = layout.width + 2 * MARGIN, layout.height + 2 * MARGIN + 18
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(width)}" height="{_num(height)}" '
        f'viewBox="0 0 {_num(width)} {_num(height)}" font-family="{FONT}" font-size="12">',
        f"<title>{escape(f'Process map of {pmap.process}')}</title>",
        "<defs>"
        '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" '
        'markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker>'
        "</defs>",
        f'<rect width="{_num(width)}" height="{_num(height)}" fill="#ffffff"/>',
        f'<text x="{_num(MARGIN)}" y="{_num(MARGIN - 6)}" fill="#555" font-size="11">'
        f"{escape(_caption(pmap))}</text>",
        f'<g transform="translate({_num(MARGIN)},{_num(MARGIN + 12)})">',
        '<g class="edges" fill="none">',
    ]
    labels = []
    pairs = {(e.source, e.target) for e in pmap.edges}
    for e in pmap.edges:
        pts = layout.edges[(ids[e.source], ids[e.target], 0)]
        w = 1.0 + 7.0 * math.sqrt(e.frequency / max_freq)
        if pmap.view == "performance" and e.source != START and e.target != END:
            colour = _ramp(HEAT, math.sqrt(e.value(pmap.measure) / max_perf))
        else:
            colour = "#9aa6b2" if e.source == START or e.target == END else _ramp(BLUES[2:], e.frequency / max_freq)
        if heat is not None and (e.source, e.target) in heat_edges:
            colour = _ramp(HEAT, math.sqrt(heat_edges[(e.source, e.target)] / max_heat))
        d = "M" + " L".join(f"{_num(x)},{_num(y)}" for x, y in pts)
        tip = f"{e.source} -> {e.target}: {fmt_count(e.frequency)} times in {fmt_count(e.cases)} cases"
        if e.mean_s is not None:
            tip += f"; mean {fmt_duration(e.mean_s)}, median {fmt_duration(e.median_s)}, p90 {fmt_duration(e.p90_s)}"
        dash = ' stroke-dasharray="5,4"' if e.source == START or e.target == END else ""
        out.append(f'<path d="{d}" stroke="{colour}" stroke-width="{_num(w)}"{dash} marker-end="url(#arrow)">'
                   f"<title>{escape(tip)}</title></path>")
        text = edge_label(e, pmap)
        if text:
            # an edge and its reverse run side by side: put their labels at different heights
            x, y = _midpoint(pts, 0.3 if (e.target, e.source) in pairs and e.source != e.target else 0.5)
            at = f'x="{_num(x + 4)}" y="{_num(y - 3)}" font-size="10"'
            # a white halo drawn first (paint-order is not supported by every renderer)
            labels.append(f'<text {at} fill="#ffffff" stroke="#ffffff" stroke-width="3" '
                          f'stroke-linejoin="round">{escape(text)}</text><text {at} fill="#333">{escape(text)}</text>')
    out.append("</g>")
    out.append('<g class="nodes">')
    for endpoint, fill, glyph in ((START, "#3a9d23", "\u25b6"), (END, "#c0392b", "\u25a0")):
        if endpoint in used:
            x, y, w, h = layout.nodes[ids[endpoint]]
            out.append(f'<g class="{ids[endpoint]}"><circle cx="{_num(x + w / 2)}" cy="{_num(y + h / 2)}" '
                       f'r="{_num(w / 2)}" fill="{fill}"/><text x="{_num(x + w / 2)}" y="{_num(y + h / 2 + 4)}" '
                       f'text-anchor="middle" fill="#fff" font-size="11">{glyph}</text>'
                       f"<title>{'start' if endpoint == START else 'end'}</title></g>")
    for n in sorted(pmap.nodes, key=lambda n: ids[n.activity]):
        x, y, w, h = layout.nodes[ids[n.activity]]
        value = n.cases if pmap.measure == "case" else n.events
        t = value / max_events
        fill = _ramp(BLUES, t)
        if heat is not None:
            load = heat_acts.get(n.activity, 0)
            fill, t = ("#ffffff", 0.0) if not load else (_ramp(HEAT, math.sqrt(load / max_heat)), 0.5)
        ink = "#ffffff" if t > 0.66 else "#1b1b1b"
        tip = f"{n.activity}: {fmt_count(n.events)} events in {fmt_count(n.cases)} cases"
        if n.service_mean_s is not None:
            tip += f"; service mean {fmt_duration(n.service_mean_s)}, median {fmt_duration(n.service_median_s)}"
        out.append(
            f'<g class="activity" data-activity={quoteattr(n.activity)}>'
            f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" rx="5" fill="{fill}" '
            f'stroke="#31587a" stroke-width="1"/>'
            f'<text x="{_num(x + w / 2)}" y="{_num(y + 16)}" text-anchor="middle" fill="{ink}">{escape(n.activity)}</text>'
            f'<text x="{_num(x + w / 2)}" y="{_num(y + 31)}" text-anchor="middle" fill="{ink}" font-size="10">'
            f"{escape(lines[n.activity])}</text><title>{escape(tip)}</title></g>")
    out.append("</g>")
    out.append('<g class="labels">' + "".join(labels) + "</g>")
    out.append("</g></svg>")
    return "\n".join(out) + "\n"


def _caption(pmap: ProcessMap) -> str:
    what = {"absolute": "absolute frequency", "case": "case frequency", "mean": "mean duration",
            "median": "median duration", "p90": "p90 duration", "max": "maximum duration"}[pmap.measure]
    return (f"{pmap.process}: {fmt_count(pmap.cases)} cases, {fmt_count(pmap.events)} events; "
            f"{len(pmap.nodes)} of {pmap.total_activities} activities ({pmap.activities:.0%}), "
            f"{len(pmap.edges)} of {pmap.total_paths} paths ({pmap.paths:.0%}); {what}")
