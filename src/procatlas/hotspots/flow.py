"""Control-flow exceptions: rework, skipped steps, order violations and rare paths.

Rework runs on the step table (it needs lifecycles); the others run on the variant table
(one row per distinct trace), which is small whatever the number of events.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from procatlas.hotspots.settings import ExceptionSettings
from procatlas.hotspots.steps import hours

Variant = tuple[int, tuple[str, ...], int]  # (variant id, activities, cases)


def rework_sql(s: ExceptionSettings) -> str:
    # one hash aggregation keeping the first two (pos, eid, ts) of each activity in its case,
    # instead of three window functions sorting every event by (case, activity); grouped on the
    # activity's integer code, the name is looked up for the flagged groups only
    part = "cid, code, lifecycle" if s.rework_lifecycle_aware else "cid, code"
    gap = "date_diff('microsecond', r.f[1].ts, r.f[2].ts) / 1e6"
    return f"""
SELECT r.cid, r.f[2].eid, 'rework', a.activity, NULL, {gap},
       printf('%s done %d times in the case; first repeat %s after the first', a.activity, r.times, {hours(gap)}),
       CASE WHEN r.lifecycle IS NOT NULL THEN 'lifecycle=' || r.lifecycle END
FROM (SELECT cid, code, {"lifecycle" if s.rework_lifecycle_aware else "NULL AS lifecycle"},
             count(*) AS times, min({{{{'pos': pos, 'eid': eid, 'ts': ts}}}}, 2) AS f
      FROM {{steps}} GROUP BY {part} HAVING count(*) >= 2) r
JOIN {{acts}} a ON a.code = r.code
"""


def _firsts(acts: Sequence[str]) -> dict[str, int]:
    first: dict[str, int] = {}
    for i, a in enumerate(acts):
        first.setdefault(a, i)
    return first


def order_relations(variants: Sequence[Variant]) -> dict[tuple[str, str], tuple[int, int]]:
    """``{(a, b): (cases where a first precedes b first, cases with both)}``."""
    before: Counter = Counter()
    both: Counter = Counter()
    for _v, acts, n in variants:
        first = _firsts(acts)
        items = sorted(first.items(), key=lambda kv: kv[1])
        for x in range(len(items)):
            for y in range(x + 1, len(items)):
                a, b = items[x][0], items[y][0]
                before[(a, b)] += n
                key = (a, b) if a < b else (b, a)
                both[key] += n
    return {(a, b): (before[(a, b)], both[(a, b) if a < b else (b, a)]) for (a, b) in before}


def dominant_orders(rel, s: ExceptionSettings) -> dict[tuple[str, str], float]:
    """Pairs (a, b) where a precedes b in >= order_dominance of their co-occurring cases."""
    return {k: n / tot for k, (n, tot) in rel.items()
            if tot >= s.order_min_cases and n / tot >= s.order_dominance}


def order_violations(variants: Sequence[Variant], dom: dict[tuple[str, str], float]) -> list[dict]:
    rows = []
    for v, acts, _n in variants:
        first = _firsts(acts)
        for (a, b), share in dom.items():
            if a in first and b in first and first[b] < first[a]:
                rows.append({"variant": v, "pos": first[a] + 1, "type": "order_violation", "activity": a,
                             "target": b, "delay_s": None,
                             "explanation": f"'{a}' came after '{b}'; it comes before it in {share:.0%} of cases",
                             "detail": None})
    return rows


def _case_support(variants: Sequence[Variant]) -> Counter:
    """Cases containing each activity (a variant counts its cases once per activity)."""
    support: Counter = Counter()
    for _v, acts, n in variants:
        for a in set(acts):
            support[a] += n
    return support


def _after(dom: dict[tuple[str, str], float]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for a, b in dom:
        out[a].add(b)
    return out


def skipped_steps(variants: Sequence[Variant], dom, s: ExceptionSettings, total: int) -> list[dict]:
    """Activities in >= skipped_min_support of the cases, missing from a case that went past them."""
    support = _case_support(variants)
    after = _after(dom)
    rows = []
    for x, k in support.items():
        share = k / total
        if not (s.skipped_min_support <= share < 1) or not after.get(x):
            continue
        for v, acts, _n in variants:
            first = _firsts(acts)
            if x in first:
                continue
            later = [first[b] for b in after[x] if b in first]
            if later:
                rows.append({"variant": v, "pos": min(later) + 1, "type": "skipped_step", "activity": x,
                             "target": None, "delay_s": None,
                             "explanation": f"'{x}' is missing; {share:.0%} of cases have it", "detail": None})
    return rows


def conditional_candidates(variants: Sequence[Variant], dom, s: ExceptionSettings, total: int) -> list[str]:
    """Activities too rare overall to be required, but maybe required for a segment of cases."""
    support = _case_support(variants)
    after = _after(dom)
    return [a for a, k in support.items() if 0.02 <= k / total < s.skipped_min_support and after.get(a)]


def conditional_skips(x: str, attr: str, values: np.ndarray, has_x: np.ndarray, past: np.ndarray,
                      s: ExceptionSettings) -> tuple[np.ndarray, str] | None:
    """Cases missing ``x`` although nearly every case of their attribute segment has it.

    ``values``: the numeric case attribute per case (NaN when absent); ``has_x``: whether the
    case has ``x``; ``past``: whether it went past the point where ``x`` happens.  Returns the
    mask of flagged cases and the segment's description, or None.
    """
    ok = ~np.isnan(values) & past
    with_x = values[ok & has_x]
    if len(with_x) < 20:
        return None
    q = s.skipped_condition_quantile
    for side, thr in (("≥", float(np.quantile(with_x, q))), ("≤", float(np.quantile(with_x, 1 - q)))):
        seg = ok & ((values >= thr) if side == "≥" else (values <= thr))
        rest = ok & ~seg
        n_seg = int(seg.sum())
        if n_seg < 20 or not rest.any():
            continue
        sup_in = float(has_x[seg].mean())
        sup_out = float(has_x[rest].mean())
        if sup_in >= s.skipped_min_support and sup_out <= 1 - s.skipped_min_support:
            return seg & ~has_x, f"{attr} {side} {thr:,.2f}: {sup_in:.0%} of these {n_seg} cases have it"
    return None


def rare_paths(variants: Sequence[Variant], s: ExceptionSettings, total: int) -> list[dict]:
    edge_cases: Counter = Counter()
    for _v, acts, n in variants:
        for e in set(zip(acts, acts[1:])):
            edge_cases[e] += n
    rows = []
    for v, acts, n in variants:
        rare = [(i, e) for i, e in enumerate(zip(acts, acts[1:])) if edge_cases[e] / total < s.rare_edge_share]
        if rare:
            i, (a, b) = min(rare, key=lambda r: (edge_cases[r[1]], r[0]))
            rows.append({"variant": v, "pos": i + 2, "type": "rare_path", "activity": a, "target": b,
                         "delay_s": None, "detail": f"edge_cases={edge_cases[(a, b)]}",
                         "explanation": f"rare path '{a}' -> '{b}' ({edge_cases[(a, b)]} of {total} cases)"})
        elif n / total < s.rare_variant_share:
            rows.append({"variant": v, "pos": 1, "type": "rare_path", "activity": None, "target": None,
                         "delay_s": None, "detail": f"variant={v}",
                         "explanation": f"rare variant #{v}: {n} of {total} cases ({n / total:.3%})"})
    return rows
