"""People networks as SVG: a circular-by-group layout, groups as colours, highlights for
watering-hole members (ring) and brokers (larger, labelled).  Consumes edge/node lists; never
recomputes statistics.

Circular by group (not force-directed): deterministic, readable for tens to a few hundred
people, and groups stay contiguous arcs so cross-group ties are the chords across the circle.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from procatlas.render.svg import element, escape, fmt

PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#bab0ac", "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#17becf")
NO_GROUP = "#cccccc"
MAX_EDGES = 4000


def network_svg(nodes: list[dict], edges: list[dict], *, directed: bool = True, title: str = "",
                highlight: Iterable[str] = (), brokers: Iterable[str] = (), size: float = 720.0) -> str:
    """Standalone SVG of a network (``nodes``: node, group; ``edges``: source, target, weight)."""
    highlight, brokers = set(highlight), set(brokers)
    names = sorted({n["node"] for n in nodes} | {e["source"] for e in edges} | {e["target"] for e in edges})
    group = {n["node"]: n.get("group") for n in nodes}
    groups = sorted({g for g in group.values() if g}, key=str)
    colour = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}
    order = sorted(names, key=lambda n: (group.get(n) is None, str(group.get(n) or ""), n))
    cx = cy = size / 2
    radius = size / 2 - 90
    pos = {}
    gap = 2 * math.pi / max(1, len(order) + len(groups))
    angle, prev = -math.pi / 2, None
    for n in order:
        if prev is not None and group.get(n) != group.get(prev):
            angle += gap  # a gap between groups
        pos[n] = (cx + radius * math.cos(angle), cy + radius * math.sin(angle))
        angle += gap
        prev = n
    shown = sorted(edges, key=lambda e: -abs(float(e.get("weight") or 0)))[:MAX_EDGES]
    top = max((abs(float(e.get("weight") or 0)) for e in shown), default=1.0) or 1.0
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {fmt(size)} {fmt(size + 40)}" '
             f'width="{fmt(size)}" height="{fmt(size + 40)}" font-family="Helvetica, Arial, sans-serif">',
             element("title", title or "network"), element("rect", width=size, height=size + 40, fill="white")]
    if directed:
        parts.append('<defs><marker id="arr" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
                     'markerHeight="6" orient="auto"><path d="M0,0L10,5L0,10z" fill="#888"/></marker></defs>')
    for e in shown:
        if e["source"] == e["target"]:
            continue
        (x1, y1), (x2, y2) = pos[e["source"]], pos[e["target"]]
        w = abs(float(e.get("weight") or 0)) / top
        cross = group.get(e["source"]) != group.get(e["target"])
        parts.append(element("line", x1=x1, y1=y1, x2=x2, y2=y2, stroke="#d9534f" if cross else "#888",
                             stroke_width=0.4 + 3 * w, stroke_opacity=0.15 + 0.6 * w,
                             marker_end="url(#arr)" if directed else None))
    for n in order:
        x, y = pos[n]
        g = group.get(n)
        r = 9 if n in brokers else 5
        label = f"{n} ({g or 'no group'})"
        parts.append('<g class="node">' + element("title", label)
                     + element("circle", cx=x, cy=y, r=r, fill=colour.get(g, NO_GROUP),
                               stroke="#111" if n in highlight else "white",
                               stroke_width=2.5 if n in highlight else 1) + "</g>")
        if n in brokers or len(order) <= 60:
            a = math.atan2(y - cy, x - cx)
            lx, ly = cx + (radius + 14) * math.cos(a), cy + (radius + 14) * math.sin(a)
            anchor = "start" if math.cos(a) >= 0 else "end"
            parts.append(element("text", n + (" (broker)" if n in brokers else ""), x=lx, y=ly + 3,
                                 font_size=10 if n not in brokers else 11, text_anchor=anchor,
                                 font_weight="bold" if n in brokers else None))
    lx = 10
    for g in groups[:16]:
        parts.append(element("rect", x=lx, y=size + 14, width=10, height=10, fill=colour[g]))
        parts.append(element("text", g, x=lx + 14, y=size + 23, font_size=10))
        lx += 24 + 6.2 * len(str(g))
    parts.append(element("text", title, x=10, y=18, font_size=13, font_weight="bold"))
    parts.append("</svg>")
    return "\n".join(parts)


__all__ = ["network_svg", "escape"]
