"""Hot spots: locations where two or more exception types co-occur in the same cases more than
chance explains (lift, hypergeometric test, Benjamini-Hochberg, minimum support), by impact."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from procatlas.hotspots.settings import ExceptionSettings
from procatlas.model.exceptions import Hotspot

CONTEXT = ("attribute", "resource", "group", "week", "month")

# {lm}: case membership of every candidate location (kind, value, cid)
_LOCATIONS = {
    "activity": "SELECT DISTINCT 'activity' AS kind, activity AS value, cid FROM {st}",
    "edge": "SELECT DISTINCT 'edge', activity || ' -> ' || next_activity, cid FROM {st} WHERE next_activity IS NOT NULL",
    "resource": "SELECT DISTINCT 'resource', resource, cid FROM {st} WHERE resource IS NOT NULL",
    "group": "SELECT DISTINCT 'group', grp, cid FROM {st} WHERE grp IS NOT NULL",
    "week": "SELECT 'week', strftime(first_ts, '%G-W%V'), cid FROM {cases}",
    "month": "SELECT 'month', strftime(first_ts, '%Y-%m'), cid FROM {cases}",
}

# attribute values of the case object and of its events (string and boolean attributes with few values)
_ATTRIBUTES = """
WITH kv AS (
    SELECT DISTINCT cid, k AS key, json_extract_string(attributes, '$."' || k || '"') AS value FROM (
        SELECT st.cid, e.attributes, unnest(json_keys(e.attributes)) AS k
        FROM {st} st JOIN event e ON e.eid = st.eid WHERE e.attributes IS NOT NULL
        UNION ALL
        SELECT o.oid, o.attributes, unnest(json_keys(o.attributes)) FROM object o
        WHERE o.oid IN (SELECT cid FROM {cases}) AND o.attributes IS NOT NULL)
), keys AS (
    SELECT key FROM kv WHERE value IS NOT NULL GROUP BY key
    HAVING count(DISTINCT value) BETWEEN 2 AND ? AND NOT bool_and(TRY_CAST(value AS DOUBLE) IS NOT NULL)
)
SELECT 'attribute', key || '=' || value, cid FROM kv WHERE key IN (SELECT key FROM keys) AND value IS NOT NULL
  -- attributes the detectors report as an exception's own detail (reason=..., result=...) are symptoms
  -- sparse event attributes (on fewer than half of the events) describe single events, often the exception itself
  AND key NOT IN (SELECT k FROM (SELECT unnest(json_keys(e.attributes)) AS k FROM {st} st JOIN event e ON e.eid = st.eid)
                  GROUP BY k HAVING count(*) < 0.5 * (SELECT count(*) FROM {st}))
  AND key NOT IN (SELECT DISTINCT split_part(unnest(string_split(detail, ', ')), '=', 1) FROM {ex} WHERE detail IS NOT NULL)
"""


def _bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values)."""
    n = len(p)
    if not n:
        return p
    order = np.argsort(p)
    ranked = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1.0)
    return out


def find(d, s: ExceptionSettings) -> tuple[list[Hotspot], int, list[str]]:
    """Hot spots of a kept detection run ``d`` (see detect.run(keep=True))."""
    from scipy.stats import hypergeom

    ws, fmt = d.ws, dict(d.fmt)
    n = d.sel.cases
    notes: list[str] = []
    if not n:
        return [], 0, notes
    lm, ct = d.st + "_lm", d.st + "_ct"
    fmt.update(lm=lm, ct=ct)
    try:
        # exception types per case, without types so common they are the rule
        ws.execute(f"""CREATE TEMP TABLE {ct} AS
            WITH t AS (SELECT DISTINCT cid, type, activity, target FROM {d.ex})
            SELECT * FROM t WHERE type IN (SELECT type FROM t GROUP BY type
                                           HAVING count(DISTINCT cid) <= ? * ?)""", [s.hotspot_max_type_share, n])
        dropped = [r[0] for r in ws.rows(f"""SELECT DISTINCT type FROM {d.ex} EXCEPT SELECT DISTINCT type FROM {ct}""")]
        if dropped:
            notes.append(f"not counted for hot spots (in more than {s.hotspot_max_type_share:.0%} of cases): "
                         + ", ".join(sorted(dropped)))
        parts = [_LOCATIONS[k].format(**fmt) for k in s.hotspot_kinds if k in _LOCATIONS]
        params: list = []
        if "attribute" in s.hotspot_kinds:
            parts.append(_ATTRIBUTES.format(**fmt))
            params.append(s.hotspot_max_attribute_values)
        ws.execute(f"CREATE TEMP TABLE {lm} AS SELECT * FROM ("
                   + " UNION ALL ".join(f"({p})" for p in parts) + ") u(kind, value, cid)", params)
        # per case: distinct types; per location: cases with >= 2 types not located at the location itself
        ws.execute(f"""CREATE OR REPLACE TEMP TABLE {ct}_n AS
            SELECT cid, count(DISTINCT type) AS k FROM {ct} GROUP BY cid""")
        multi_all = ws.scalar(f"SELECT count(*) FROM {ct}_n WHERE k >= 2") or 0
        if multi_all == 0:
            return [], 0, notes + ["no case has two or more exception types"]
        stats = ws.arrow(f"""
            WITH here AS (
                SELECT lm.kind, lm.value, lm.cid, count(DISTINCT ct.type) AS k
                FROM {lm} lm LEFT JOIN {ct} ct ON ct.cid = lm.cid
                     AND NOT (lm.kind = 'activity' AND (ct.activity = lm.value OR ct.target = lm.value))
                     AND NOT (lm.kind = 'edge' AND ct.activity || ' -> ' || coalesce(ct.target, '') = lm.value)
                GROUP BY ALL)
            SELECT kind, value, count(*) AS n, count(*) FILTER (k >= 2) AS k FROM here GROUP BY kind, value""")
        cand = stats.to_pydict()
        kinds, values = cand["kind"], cand["value"]
        nn = np.array(cand["n"], float)
        kk = np.array(cand["k"], float)
        # pairs of the best context locations
        if s.hotspot_pairs:
            base = multi_all / n
            lift = np.where(nn > 0, kk / np.maximum(nn, 1) / base, 0)
            ok = [i for i in range(len(kinds)) if kinds[i] in CONTEXT and kk[i] >= s.hotspot_min_cases
                  and nn[i] <= s.hotspot_max_location_share * n]
            ok.sort(key=lambda i: -lift[i])
            best = ok[: s.hotspot_pair_candidates]
            if len(best) >= 2:
                sel = pa.table({"kind": [kinds[i] for i in best], "value": [values[i] for i in best]})
                ws.execute(f"CREATE TEMP TABLE {lm}_sel AS SELECT * FROM sel", register={"sel": sel})
                pairs = ws.rows(f"""
                    WITH b AS (SELECT lm.* FROM {lm} lm JOIN {lm}_sel USING (kind, value))
                    SELECT x.kind AS k1, x.value AS v1, y.kind AS k2, y.value AS v2, count(*) AS n,
                           count(*) FILTER (coalesce(m.k, 0) >= 2) AS k
                    FROM b x JOIN b y ON x.cid = y.cid AND x.kind < y.kind
                    LEFT JOIN {ct}_n m ON m.cid = x.cid
                    GROUP BY ALL""")
                lift_of = {(kinds[i], values[i]): lift[i] for i in best}
                for k1, v1, k2, v2, pn, pk in pairs:
                    if pn and pk / pn / base >= s.hotspot_pair_gain * max(lift_of[(k1, v1)], lift_of[(k2, v2)]):
                        kinds.append("pair")
                        values.append(f"{k1}:{v1} & {k2}:{v2}")
                        nn = np.append(nn, pn)
                        kk = np.append(kk, pk)
        m = len(kinds)
        p = hypergeom.sf(kk - 1, n, multi_all, nn)
        q = _bh(p)
        rate = np.where(nn > 0, kk / np.maximum(nn, 1), 0)
        base = multi_all / n
        lift = rate / base
        keep = [i for i in range(m) if kk[i] >= s.hotspot_min_cases and lift[i] >= s.hotspot_min_lift
                and q[i] <= s.hotspot_alpha and nn[i] <= s.hotspot_max_location_share * n]
        spots = [_describe(d, fmt, kinds[i], values[i], int(nn[i]), int(kk[i]), float(rate[i]), base, float(lift[i]),
                           float(p[i]), float(q[i]), s) for i in keep]
        spots = [h for h in spots if h is not None]
        spots.sort(key=lambda h: (-h.impact_hours, -h.co_cases, h.p_value))
        return _merge(d, fmt, spots, s), m, notes
    finally:
        for t in (lm, lm + "_sel", ct, ct + "_n"):
            ws.execute(f"DROP TABLE IF EXISTS {t}")


def _members(fmt: dict, kind: str, value: str) -> tuple[str, list]:
    """SQL selecting the cids of a location (pairs: both parts)."""
    if kind == "pair":
        (k1, v1), (k2, v2) = (part.split(":", 1) for part in value.split(" & ", 1))
        return (f"SELECT cid FROM {fmt['lm']} WHERE kind = ? AND value = ? "
                f"INTERSECT SELECT cid FROM {fmt['lm']} WHERE kind = ? AND value = ?", [k1, v1, k2, v2])
    return f"SELECT cid FROM {fmt['lm']} WHERE kind = ? AND value = ?", [kind, value]


def _describe(d, fmt, kind, value, n, k, rate, base, lift, p, q, s: ExceptionSettings) -> Hotspot | None:
    members, params = _members(fmt, kind, value)
    ws = d.ws
    total = d.sel.cases
    typ = ws.rows(f"""
        WITH here AS ({members}),
        here_t AS (SELECT type, count(DISTINCT cid) AS c FROM {fmt['ct']} WHERE cid IN (SELECT cid FROM here) GROUP BY type),
        al AS (SELECT type, count(DISTINCT cid) AS c FROM {fmt['ct']} GROUP BY type)
        SELECT here_t.type, here_t.c, al.c FROM here_t JOIN al USING (type) ORDER BY here_t.c DESC""", params)
    involved = [(t, c, (c / n) / (a / total)) for t, c, a in typ if c >= 2 and (c / n) / (a / total) >= s.hotspot_type_lift]
    if len(involved) < 2:
        return None
    involved.sort(key=lambda r: -r[1])
    types = tuple(t for t, _c, _l in involved)
    median = ws.scalar(f"SELECT median(duration_s) FROM {fmt['cases']} WHERE cid NOT IN (SELECT cid FROM {fmt['ct']})")
    if median is None:
        median = ws.scalar(f"SELECT median(duration_s) FROM {fmt['cases']}") or 0.0
    rows = ws.rows(f"""
        WITH here AS ({members}),
        co AS (SELECT cid FROM {fmt['ct']} WHERE cid IN (SELECT cid FROM here) AND type IN ({', '.join('?' * len(types))})
               GROUP BY cid HAVING count(DISTINCT type) >= 2)
        SELECT c.case_id, greatest(c.duration_s - ?, 0) AS extra FROM {fmt['cases']} c
        WHERE c.cid IN (SELECT cid FROM co) ORDER BY extra DESC, c.case_id""", [*params, *types, median])
    impact = sum(r[1] for r in rows) / 3600
    label = {"attribute": value.replace("=", " = ", 1), "pair": value.replace(" & ", " and ")}.get(kind, f"{kind} {value}")
    type_text = ", ".join(f"{t} ({c} cases, x{lf:.1f})" for t, c, lf in involved[:4])
    explanation = (f"At {label}, {k} of {n} cases ({rate:.0%}) have two or more exception types, against "
                   f"{base:.1%} of all cases (lift {lift:.1f}, p = {p:.1e}); mostly {type_text}; "
                   f"{impact:,.0f} extra case-hours")
    return Hotspot(kind, value, types, n, k, round(rate, 5), round(base, 5), round(lift, 3), p, q, round(impact, 1),
                   explanation, tuple(r[0] for r in rows[: s.hotspot_examples]))


def _merge(d, fmt, spots: list[Hotspot], s: ExceptionSettings) -> list[Hotspot]:
    """Locations with (almost) the same cases (a supplier and its id) are one hot spot."""
    if len(spots) < 2:
        return spots
    sets = []
    for h in spots:
        sql, params = _members(fmt, h.kind, h.value)
        sets.append({r[0] for r in d.ws.rows(sql, params)})
    kept: list[int] = []
    aliases: dict[int, list[str]] = {}
    for i, h in enumerate(spots):
        for j in kept:
            inter = len(sets[i] & sets[j])
            # the same cases, or a pair mostly made of the cases of a single hot spot
            contained = (h.kind == "pair" and spots[j].kind != "pair"
                         and inter / max(1, len(sets[i])) >= s.hotspot_pair_containment)
            if contained or inter / max(1, len(sets[i] | sets[j])) >= s.hotspot_merge_jaccard:
                aliases.setdefault(j, []).append(f"{h.kind}:{h.value}")
                break
        else:
            kept.append(i)
    for i, h in enumerate(spots):  # pairs ranked above the single they belong to
        if i in kept and h.kind == "pair":
            for j in kept:
                if spots[j].kind != "pair" and len(sets[i] & sets[j]) / max(1, len(sets[i])) >= s.hotspot_pair_containment:
                    kept.remove(i)
                    aliases.setdefault(j, []).append(f"{h.kind}:{h.value}")
                    break
    from dataclasses import replace
    return [replace(spots[j], aliases=tuple(aliases.get(j, ()))) for j in kept]


def load(d) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Exception rows per activity and per edge (long waits, rare paths, order pairs)."""
    acts = dict(d.ws.rows(f"""SELECT activity, count(*) FROM {d.ex} WHERE activity IS NOT NULL AND target IS NULL
                              GROUP BY activity"""))
    edges = {(a, b): c for a, b, c in d.ws.rows(
        f"SELECT activity, target, count(*) FROM {d.ex} WHERE target IS NOT NULL GROUP BY ALL")}
    return acts, edges
