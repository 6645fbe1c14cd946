"""atlas.html: one self-contained, offline HTML report from the atlas contents (jinja2 + plotly).

Rendering reads the results the atlas collected and never recomputes them; plotly's offline
bundle is inlined once, SVG pictures are inlined, nothing is fetched from the network.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from markupsafe import Markup

from procatlas.render.map_svg import fmt_duration

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>\s*")


def inline_svg(svg: str | None) -> Markup:
    """An SVG document as inline HTML (without its XML declaration)."""
    return Markup(_XML_DECL.sub("", svg or ""))


def pct(x: float | None, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x * 100:.{digits}f}%"


def num(n: Any) -> str:
    if n is None:
        return "–"
    if isinstance(n, float):
        return f"{n:,.2f}"
    return f"{n:,}"


def duration(s: float | None) -> str:
    return fmt_duration(s) or "–"


def _figure_html(fig, div_id: str) -> Markup:
    fig.update_layout(margin=dict(l=40, r=10, t=40, b=40), height=320, template="plotly_white",
                      font=dict(family="Helvetica, Arial, sans-serif", size=12))
    return Markup(fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                              config={"displaylogo": False, "responsive": True}))


def volume_chart(inventory) -> Markup | None:
    """Cases started per month, one bar series per process."""
    import plotly.graph_objects as go
    if inventory is None or not inventory.processes:
        return None
    fig = go.Figure()
    for c in inventory.processes:
        if not c.volume:
            continue
        months, counts = zip(*c.volume)
        fig.add_bar(x=list(months), y=list(counts), name=c.process)
    fig.update_layout(barmode="stack", title="Cases started per month", xaxis_title="month",
                      yaxis_title="cases started")
    return _figure_html(fig, "chart-volume")


def variant_chart(section, index: int, top: int = 10) -> Markup | None:
    import plotly.graph_objects as go
    if section.discovery is None:
        return None
    rows = section.discovery.variants.table.slice(0, top).to_pylist()
    if not rows:
        return None
    labels = [f"variant {r['variant']}" if "variant" in r else f"variant {i + 1}" for i, r in enumerate(rows)]
    share = [r.get("share", 0) * 100 for r in rows]
    hover = [" → ".join(r["activities"])[:400] for r in rows]
    fig = go.Figure(go.Bar(x=share, y=labels, orientation="h", hovertext=hover, hoverinfo="text+x",
                           marker_color="#3182bd"))
    fig.update_layout(title=f"Share of cases per variant (top {len(rows)})", xaxis_title="% of cases",
                      yaxis=dict(autorange="reversed"))
    return _figure_html(fig, f"chart-variants-{index}")


def duration_chart(section, index: int) -> Markup | None:
    import plotly.graph_objects as go
    if section.durations is None or not len(section.durations.table):
        return None
    days = [d / 86400 for d in section.durations.table["duration_s"].to_pylist() if d is not None]
    fig = go.Figure(go.Histogram(x=days, nbinsx=40, marker_color="#6baed6"))
    fig.update_layout(title="Case durations", xaxis_title="days from first to last event", yaxis_title="cases")
    return _figure_html(fig, f"chart-durations-{index}")


def map_widget(section, index: int) -> dict | None:
    """Unique SVGs of the precomputed slider positions and which position shows which one."""
    from procatlas.atlas import ACTIVITY_LEVELS, PATH_LEVELS, VIEWS
    if not section.maps:
        return None
    unique: list[str] = []
    seen: dict[str, int] = {}
    keys: dict[str, int] = {}
    for key, svg in section.maps.items():
        if svg not in seen:
            seen[svg] = len(unique)
            unique.append(svg)
        keys[key] = seen[svg]
    config = {"activities": sorted(round(a * 100) for a in ACTIVITY_LEVELS),
              "paths": sorted(round(p * 100) for p in PATH_LEVELS), "views": list(VIEWS), "keys": keys}
    return {"id": f"map-{index}", "svgs": [inline_svg(s) for s in unique],
            "config": Markup(json.dumps(config).replace("</", "<\\/"))}


def affected_cases(exceptions) -> int:
    """Distinct cases with at least one exception."""
    import pyarrow.compute as pc
    return int(pc.count_distinct(exceptions.table["case_id"]).as_py()) if len(exceptions) else 0


def process_story(section) -> str:
    """Plain sentences about one process for a manager."""
    d = section.discovery
    parts = [f"{section.name} has {section.cases:,} cases and {section.events:,} events."]
    if d is not None and len(d.variants):
        top = d.variants.table.slice(0, 1).to_pylist()[0]
        parts.append(f"The most common path is followed by {pct(top.get('share'))} of the cases; "
                     f"there are {len(d.variants):,} distinct paths in all.")
    c = section.candidate
    if c is not None and c.duration_median_s is not None:
        parts.append(f"Half of the cases take less than {duration(c.duration_median_s)}, "
                     f"one in ten takes more than {duration(c.duration_p90_s)}.")
    if section.exceptions is not None and section.cases:
        affected = affected_cases(section.exceptions)
        parts.append(f"{affected:,} cases ({pct(affected / section.cases)}) show at least one exception.")
    if section.hotspots is not None:
        n = len(section.hotspots)
        parts.append(f"{n} hot spot{'s' if n != 1 else ''} where exceptions pile up together."
                     if n else "No hot spot: exceptions do not cluster beyond chance.")
    return " ".join(parts)


def trigger_sentence(t) -> str:
    share = pct(t.share)
    if t.kind == "external":
        return f"{share} of cases start from outside ({t.source}) with “{t.activity}”."
    if t.kind == "process":
        lag = f" after a median {duration(t.lag_median_s)}" if t.lag_median_s is not None else ""
        return f"{share} of cases start when {t.source} does “{t.activity}”{lag}."
    if t.kind == "schedule":
        return f"{share} of cases start on a schedule ({t.source})."
    if t.kind == "manual":
        return f"{share} of cases are started by hand by a {t.source}."
    return f"{share} of cases start in a way not recognised ({t.source})."


def social_actions(contents) -> list[dict]:
    """Hot spots and watering holes ranked by impact, each with the KPI that shows an improvement."""
    items: list[dict] = []
    for s in contents.processes:
        if s.hotspots is None:
            continue
        for h in s.hotspots.hotspots:
            where = f"{h.kind} “{h.value}”"
            items.append({
                "kind": "hot spot", "process": s.name, "where": where, "impact_hours": h.impact_hours,
                "why": h.explanation,
                "action": f"Open a shared channel between the people working at {where} so that "
                          f"{' and '.join(h.exception_types)} are settled together, not passed back and forth.",
                "kpi": f"share of {s.name} cases with {' + '.join(h.exception_types)} at {where} "
                       f"(now {pct(h.co_rate, 1)}) and their median duration"})
    holes = contents.watering_holes
    for h in (holes.holes if holes is not None else ()):
        outcome = h.case_outcome or {}
        ref, comp = outcome.get("referenced") or {}, outcome.get("comparable") or {}
        gain = None
        if ref.get("median_duration_hours") is not None and comp.get("median_duration_hours") is not None:
            gain = (comp["median_duration_hours"] - ref["median_duration_hours"]) * ref.get("cases", 0)
        items.append({
            "kind": "watering hole", "process": ", ".join(h.groups), "where": h.venue,
            "impact_hours": gain if gain is not None else 0.0, "why": h.explanation,
            "action": f"Keep {h.venue} alive and invite the groups that hand work over but do not meet there.",
            "kpi": "median duration and rework rate of cases referenced in " + h.venue
                   + (f" (now {ref.get('median_duration_hours'):.0f} h and {pct(ref.get('rework_rate'))})"
                      if ref.get("median_duration_hours") is not None else "")})
    links = contents.post_links
    if links is not None and links.posts:
        items.append({
            "kind": "social posts", "process": "customer care", "where": "public social media",
            "impact_hours": (links.first_response_median_s or 0) / 3600 * links.posts, "why":
                f"{links.posts:,} public posts, {links.linked:,} linked to a case; the median first response "
                f"takes {duration(links.first_response_median_s)}.",
            "action": "Answer public posts from the care queue and link each to its case on arrival.",
            "kpi": f"median first response to public posts (now {duration(links.first_response_median_s)}) "
                   f"and share of posts linked to a case (now {pct(links.linked / links.posts)})"})
    items.sort(key=lambda i: -(i["impact_hours"] or 0))
    return items


def render_report(contents, *, title: str = "Process atlas") -> str:
    """The whole atlas as one HTML string (inline plotly bundle, inline SVGs, no external request)."""
    import jinja2
    from plotly.offline import get_plotlyjs

    env = jinja2.Environment(loader=jinja2.PackageLoader("procatlas.render", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]), trim_blocks=True,
                             lstrip_blocks=True)
    env.filters.update(pct=pct, num=num, duration=duration, svg=inline_svg)
    sections = []
    for i, s in enumerate(contents.processes):
        sections.append({"s": s, "index": i, "anchor": f"process-{i}", "story": process_story(s),
                         "map": map_widget(s, i), "variants_chart": variant_chart(s, i),
                         "durations_chart": duration_chart(s, i),
                         "variants": s.discovery.variants.table.slice(0, 10).to_pylist() if s.discovery else [],
                         "triggers": [(t, trigger_sentence(t)) for t in s.triggers],
                         "exception_counts": sorted(s.exceptions.counts().items(), key=lambda kv: -kv[1]["cases"])
                         if s.exceptions is not None else [],
                         "affected": affected_cases(s.exceptions) if s.exceptions is not None else None,
                         "hotspots": s.hotspots.top(5) if s.hotspots is not None else ()})
    info = contents.info
    template = env.get_template("atlas.html.j2")
    return template.render(
        title=title, c=contents, info=info, sections=sections, volume_chart=volume_chart(contents.inventory),
        actions=social_actions(contents), plotly_js=Markup(get_plotlyjs().replace("</script", "<\\/script")),
        span=(duration((info.last - info.first).total_seconds()) if info.first and info.last else "–"))
