"""Hot spots: locations where two or more exception types co-occur in the same cases more than
chance explains (lift, hypergeometric test, Benjamini-Hochberg, minimum support), by impact."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from procatlas.hotspots.settings import ExceptionSettings
from procatlas.model.exceptions import Hotspot

CONTEXT = ("attribute", "resource", "group", "week", "month")
# exceptions that measure time: a wait is never a view of another exception, even a wait on a step
# that only follows it (the investigation after an escalation)
_TIMING = ("long_wait", "sla_breach")

# windows of 2..{max} consecutive calendar months (of the case start) inside the log's range
_PERIODS = """
WITH c AS (SELECT cid, date_trunc('month', first_ts) AS m FROM {cases}),
     r AS (SELECT min(m) AS lo, max(m) AS hi FROM c),
     w AS (SELECT c.cid, c.m - to_months(o) AS s, len FROM c, unnest(range(2, {months} + 1)) t(len), unnest(range(0, {months})) u(o) WHERE o < len)
SELECT 'period', strftime(s, '%Y-%m') || '..' || strftime(s + to_months(len - 1), '%Y-%m'), cid
FROM w, r WHERE s >= r.lo AND s + to_months(len - 1) <= r.hi
"""

# {lm}: case membership of every candidate location (kind, value, cid)
_LOCATIONS = {
    "activity": "SELECT DISTINCT 'activity' AS kind, activity AS value, cid FROM {st}",
    "edge": "SELECT DISTINCT 'edge', activity || ' -> ' || next_activity, cid FROM {st} WHERE next_activity IS NOT NULL",
    "resource": "SELECT DISTINCT 'resource', resource, cid FROM {st} WHERE resource IS NOT NULL",
    "group": "SELECT DISTINCT 'group', grp, cid FROM {st} WHERE grp IS NOT NULL",
    # the ISO week (strftime's %G-W%V) from its Thursday: Spark refuses week-based date patterns
    "week": """SELECT 'week', CAST(year(th) AS VARCHAR) || '-W' || lpad(CAST((dayofyear(th) - 1) // 7 + 1 AS VARCHAR), 2, '0'), cid
               FROM (SELECT cid, CAST(first_ts AS DATE) + CAST(4 - isodow(first_ts) AS INTEGER) AS th FROM {cases})""",
    "month": "SELECT 'month', strftime(first_ts, '%Y-%m'), cid FROM {cases}",
}

# attribute values of the case object and of its events (string and boolean attributes with few values)
_ATTRIBUTES = """
WITH ekv AS (
    SELECT cid, activity, k AS key, json_extract_string(attributes, '$."' || k || '"') AS value
    FROM (SELECT st.cid, st.activity, e.attributes, unnest(json_keys(e.attributes)) AS k
          FROM {st} st JOIN event e ON e.eid = st.eid WHERE e.attributes IS NOT NULL)
), kv AS (
    SELECT DISTINCT cid, key, value FROM (
        SELECT cid, key, value FROM ekv
        UNION ALL
        SELECT oid, k, json_extract_string(attributes, '$."' || k || '"')
        FROM (SELECT o.oid, o.attributes, unnest(json_keys(o.attributes)) AS k FROM object o
              WHERE o.oid IN (SELECT cid FROM {cases}) AND o.attributes IS NOT NULL))
), keys AS (
    SELECT key FROM kv WHERE value IS NOT NULL GROUP BY key
    HAVING count(DISTINCT value) BETWEEN 2 AND ? AND NOT bool_and(TRY_CAST(value AS DOUBLE) IS NOT NULL)
), ekeys AS (
    SELECT key, count(*) AS n, count(DISTINCT activity) AS acts, count(DISTINCT (activity, value)) AS pairs
    FROM ekv GROUP BY key
)
SELECT 'attribute', key || '=' || value, cid FROM kv WHERE key IN (SELECT key FROM keys) AND value IS NOT NULL
  -- sparse event attributes (on fewer than half of the events) describe single events, often the exception itself
  AND key NOT IN (SELECT key FROM ekeys WHERE n < 0.5 * (SELECT count(*) FROM {st}))
  -- event attributes with one value per activity (a task or step name, a role per step) are the
  -- activity again: co-occurrence there is structural, like at activity locations
  AND key NOT IN (SELECT key FROM ekeys WHERE pairs <= acts)
  -- attributes the detectors report as an exception's own detail (reason=..., result=...) are symptoms
  AND key NOT IN (SELECT DISTINCT split_part(part, '=', 1)
                  FROM (SELECT unnest(string_split(detail, ', ')) AS part FROM {ex} WHERE detail IS NOT NULL))
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


def hypergeom_sf(k: np.ndarray, total: int, good: int, drawn: np.ndarray) -> np.ndarray:
    """P(X >= k) for X ~ Hypergeometric(total, good, drawn), exact (sum of the upper tail in log
    space); scipy.special only, because importing scipy.stats costs seconds on a cold start."""
    from scipy.special import gammaln, logsumexp

    def lchoose(a, b):
        return gammaln(a + 1) - gammaln(b + 1) - gammaln(a - b + 1)

    k = np.asarray(k, float)
    drawn = np.asarray(drawn, float)
    out = np.ones(len(k))
    for i in range(len(k)):
        lo, hi = max(k[i], drawn[i] - (total - good), 0), min(drawn[i], good)
        if lo > hi:
            out[i] = 0.0
            continue
        if lo <= max(0, drawn[i] - (total - good)):
            continue
        x = np.arange(lo, hi + 1)
        logp = lchoose(good, x) + lchoose(total - good, drawn[i] - x) - lchoose(total, drawn[i])
        out[i] = min(1.0, float(np.exp(logsumexp(logp))))
    return out


def find(d, s: ExceptionSettings) -> tuple[list[Hotspot], int, list[str]]:
    """Hot spots of a kept detection run ``d`` (see detect.run(keep=True)).

    1. candidates: single locations (``hotspot_kinds``, calendar windows of 1..``hotspot_period_months``
       consecutive months) and pairs (an attribute/resource/group value x a calendar window) with at
       least ``hotspot_min_cases`` co-occurring cases;
    2. per candidate, exception types that are its symptoms (on >= ``hotspot_symptom_share`` of its
       cases, e.g. escalations at the group that handles escalations) are not counted for it;
    3. a case co-occurs when >= 2 distinct counted types hit it; hypergeometric upper tail against all
       cases, Benjamini-Hochberg over every candidate, lift and support thresholds;
    4. survivors ranked by impact (extra case-hours of their co-occurring cases); going down the
       ranking, a candidate is kept only if it is still significant once the cases of the hot spots
       above it are removed (otherwise it is an alias of the one it overlaps most).
    """
    ws, fmt = d.ws, dict(d.fmt)
    n = d.sel.cases
    notes: list[str] = []
    if not n:
        return [], 0, notes
    lm, ct = d.st + "_lm", d.st + "_ct"
    fmt.update(lm=lm, ct=ct)
    temps = (lm, ct, ct + "_n", ct + "_t", ct + "_m", ct + "_who", ct + "_wm", lm + "_symm", lm + "_sym", lm + "_here",
             lm + "_pair")
    try:
        # exception types per case, without outcome types (an SLA breach is the delay that the other
        # exceptions cause, measured again: impact counts it) and types so common they are the rule
        ws.execute(f"""CREATE TEMP TABLE {ct} AS
            WITH t AS (SELECT DISTINCT cid, type, activity, target FROM {d.ex} WHERE NOT list_contains(?, type))
            SELECT * FROM t WHERE type IN (SELECT type FROM t GROUP BY type
                                           HAVING count(DISTINCT cid) <= ? * ?)""",
                   [list(s.hotspot_outcome_types), s.hotspot_max_type_share, n])
        dropped = [r[0] for r in ws.rows(f"""SELECT DISTINCT type FROM {d.ex} EXCEPT SELECT DISTINCT type FROM {ct}""")
                   if r[0] not in s.hotspot_outcome_types]
        if dropped:
            notes.append(f"not counted for hot spots (in more than {s.hotspot_max_type_share:.0%} of cases): "
                         + ", ".join(sorted(dropped)))
        views = _drop_views(ws, ct, d.st, s)
        if views:
            notes.append(f"{views:,} exception(s) not counted for hot spots: views of another exception of the same "
                         f"case that (almost) always comes with them (hotspot_implied_share)")
        kinds = [k for k in s.hotspot_kinds if k in _LOCATIONS]
        parts = [_LOCATIONS[k].format(**fmt) for k in kinds]
        params: list = []
        if "attribute" in s.hotspot_kinds:
            parts.append(_ATTRIBUTES.format(**fmt))
            params.append(s.hotspot_max_attribute_values)
        if s.hotspot_period_months >= 2:
            # an integer in the text: Spark binds no parameters inside a table function's arguments
            parts.append(_PERIODS.format(**fmt, months=int(s.hotspot_period_months)))
        ws.execute(f"CREATE TEMP TABLE {lm} AS SELECT * FROM ("
                   + " UNION ALL ".join(f"({p})" for p in parts) + ") u(kind, value, cid)", params)
        ws.execute(f"""CREATE OR REPLACE TEMP TABLE {ct}_n AS
            SELECT cid, count(DISTINCT type) AS k FROM {ct} GROUP BY cid""")
        multi_all = ws.scalar(f"SELECT count(*) FROM {ct}_n WHERE k >= 2") or 0
        if multi_all == 0:
            return [], 0, notes + ["no case has two or more exception types"]
        untested_pairs = 0
        if s.hotspot_pairs and s.hotspot_pair_kinds:
            # place x period: a value of the case (or its people) in a window of consecutive months.
            # Pairs with fewer than hotspot_min_cases co-occurring cases are not materialised, but
            # those of testable size still count in the Benjamini-Hochberg correction.
            ws.execute(f"""CREATE TEMP TABLE {lm}_pair AS
                WITH x AS (SELECT * FROM {lm} WHERE list_contains(?, kind)),
                     y AS (SELECT * FROM {lm} WHERE kind IN ('month', 'period')),
                     j AS (SELECT x.kind || ':' || x.value || ' & ' || y.kind || ':' || y.value AS value, x.cid,
                                  coalesce(m.k, 0) >= 2 AS co
                           FROM x JOIN y USING (cid) LEFT JOIN {ct}_n m USING (cid)),
                     sz AS (SELECT value, count(*) AS n, count(*) FILTER (co) AS k FROM j GROUP BY value)
                SELECT 'pair' AS kind, value, cid, NULL AS n FROM j SEMI JOIN (
                    SELECT value FROM sz WHERE k >= ? AND n <= ? * ?) ok USING (value)
                UNION ALL
                SELECT 'untested', NULL, NULL, count(*) FROM sz WHERE k < ? AND n >= ? AND n <= ? * ?""",
                       [list(s.hotspot_pair_kinds), s.hotspot_min_cases, s.hotspot_max_location_share, n,
                        s.hotspot_min_cases, s.hotspot_min_cases, s.hotspot_max_location_share, n])
            untested_pairs = ws.scalar(f"SELECT sum(n) FROM {lm}_pair WHERE kind = 'untested'") or 0
            ws.execute(f"INSERT INTO {lm} SELECT kind, value, cid FROM {lm}_pair WHERE kind = 'pair'")
        # each case's exception types as a bit mask (types are few): the per-location counts below
        # are then hash joins and bit counts over (location, case) rows, not a join with every row
        types = [r[0] for r in ws.rows(f"SELECT DISTINCT type FROM {ct} ORDER BY 1")][:62]
        bits = pa.table({"type": types, "bit": list(range(len(types)))})
        ws.execute(f"CREATE TEMP TABLE {ct}_t AS SELECT * FROM bits", register={"bits": bits})
        ws.execute(f"""CREATE TEMP TABLE {ct}_m AS SELECT c.cid, bit_or(CAST(1 AS BIGINT) << t.bit) AS mask
                       FROM (SELECT DISTINCT cid, type FROM {ct}) c JOIN {ct}_t t USING (type) GROUP BY c.cid""")
        # at a resource or group, the exceptions it did itself in the case (or did a view of) are not
        # counted: the clerk who returns requisitions is where rework happens by definition
        ws.execute(f"""CREATE TEMP TABLE {ct}_wm AS SELECT w.cid, w.kind, w.who, bit_or(CAST(1 AS BIGINT) << t.bit) AS mask
                       FROM {ct}_who w JOIN {ct}_t t USING (type) GROUP BY ALL""")
        # symptoms: a type on (almost) every case of a location says what the location is, not where
        per_bit = " + ".join(f"(CASE WHEN sum((coalesce(m.mask, 0) >> {b}) & 1) >= ? * count(*) "
                             f"THEN CAST(1 AS BIGINT) << {b} ELSE 0 END)" for b in range(len(types))) or "0"
        ws.execute(f"""CREATE TEMP TABLE {lm}_symm AS SELECT lm.kind, lm.value, CAST({per_bit} AS BIGINT) AS sym
                       FROM {lm} lm LEFT JOIN {ct}_m m USING (cid) GROUP BY lm.kind, lm.value""",
                   [s.hotspot_symptom_share] * len(types))
        ws.execute(f"""CREATE TEMP TABLE {lm}_sym AS SELECT y.kind, y.value, t.type FROM {lm}_symm y
                       JOIN {ct}_t t ON (y.sym >> t.bit) & 1 = 1 WHERE y.sym <> 0""")
        # per (location, case): distinct types, without the location's symptoms (and, at an activity
        # or edge, without the exceptions located there)
        ws.execute(f"""CREATE TEMP TABLE {lm}_here AS
            SELECT lm.kind, lm.value, lm.cid, bit_count(coalesce(m.mask, 0) & ~y.sym & ~coalesce(w.mask, 0)) AS k
            FROM {lm} lm JOIN {lm}_symm y USING (kind, value) LEFT JOIN {ct}_m m USING (cid)
                 LEFT JOIN {ct}_wm w ON w.cid = lm.cid AND w.kind = lm.kind AND w.who = lm.value
            WHERE lm.kind NOT IN ('activity', 'edge')
            UNION ALL
            SELECT lm.kind, lm.value, lm.cid, count(DISTINCT CASE WHEN y.type IS NULL THEN ct.type END) AS k
            FROM {lm} lm LEFT JOIN {ct} ct ON ct.cid = lm.cid
                 AND NOT (lm.kind = 'activity' AND (ct.activity = lm.value OR ct.target = lm.value))
                 AND NOT (lm.kind = 'edge' AND ct.activity || ' -> ' || coalesce(ct.target, '') = lm.value)
                 -- a type that is a symptom of the location does not count (a join, not a correlated
                 -- NOT EXISTS in the join condition: Spark refuses those)
                 LEFT JOIN {lm}_sym y ON y.kind = lm.kind AND y.value = lm.value AND y.type = ct.type
            WHERE lm.kind IN ('activity', 'edge')
            GROUP BY ALL""")
        median = ws.scalar(f"SELECT median(duration_s) FROM {fmt['cases']} WHERE cid NOT IN (SELECT cid FROM {ct})")
        if median is None:
            median = ws.scalar(f"SELECT median(duration_s) FROM {fmt['cases']}") or 0.0
        stats = ws.arrow(f"""
            SELECT h.kind, h.value, count(*) AS n, count(*) FILTER (h.k >= 2) AS k,
                   coalesce(sum(greatest(c.duration_s - ?, 0)) FILTER (h.k >= 2), 0) / 3600.0 AS impact
            FROM {lm}_here h JOIN {fmt['cases']} c USING (cid) GROUP BY h.kind, h.value""", [median]).to_pydict()
        kinds, values = stats["kind"], stats["value"]
        nn = np.array(stats["n"], float)
        kk = np.array(stats["k"], float)
        impact = np.array(stats["impact"], float)
        m = len(kinds)
        base = multi_all / n
        rate = np.where(nn > 0, kk / np.maximum(nn, 1), 0)
        lift = rate / base
        # testable: a size between hotspot_min_cases and the largest share (a filter independent of
        # co-occurrence under the null) whose most extreme outcome could be significant (Tarone);
        # only these (and the untested pairs of such sizes) count in the Benjamini-Hochberg correction
        sized = np.flatnonzero((nn >= s.hotspot_min_cases) & (nn <= s.hotspot_max_location_share * n))
        p_min = hypergeom_sf(np.minimum(nn[sized], multi_all), n, multi_all, nn[sized])
        testable = sized[p_min <= s.hotspot_alpha]
        p = np.ones(m)
        idx = testable[(kk[testable] >= s.hotspot_min_cases) & (lift[testable] >= s.hotspot_min_lift)]
        p[idx] = hypergeom_sf(kk[idx], n, multi_all, nn[idx])  # the rest cannot pass: p = 1 is conservative
        q = np.ones(m)
        q[testable] = _bh(np.concatenate([p[testable], np.ones(int(untested_pairs))]))[: len(testable)]
        keep = [i for i in idx if q[i] <= s.hotspot_alpha]
        keep.sort(key=lambda i: (-impact[i], -kk[i], p[i], kinds[i], values[i]))
        # the residual tests below use the Benjamini-Hochberg cut-off (the largest p-value rejected
        # over all candidates), not alpha itself: they are more tests of the same family
        cut = float(max(p[i] for i in keep)) if keep else 0.0
        chosen, aliases = _residual(d, fmt, keep, kinds, values, n, multi_all, cut, s)
        spots = []
        for i in chosen:
            h = _describe(d, fmt, kinds[i], values[i], int(nn[i]), int(kk[i]), float(rate[i]), base, float(lift[i]),
                          float(p[i]), float(q[i]), float(impact[i]), s)
            if h is not None:
                from dataclasses import replace
                spots.append(replace(h, aliases=tuple(aliases.get(i, ()))))
            if len(spots) >= s.hotspot_max_spots:
                break
        return spots, len(testable) + int(untested_pairs), notes
    finally:
        for t in temps:
            ws.execute(f"DROP TABLE IF EXISTS {t}")


def _kind_key(alias: str = "") -> str:
    """SQL of an exception's kind: its type at its activity (or edge)."""
    return f"{alias}type || '@' || coalesce({alias}activity, '') || '>' || coalesce({alias}target, '')"


def _drop_views(ws, ct: str, st: str, s: ExceptionSettings) -> int:
    """Remove, per case, exceptions that are views of another exception of the case.  Exception A
    (a type at an activity or edge) implies B when >= ``hotspot_implied_share`` of A's cases (at
    least ``hotspot_min_cases``) also have B; when A and B imply each other, two detectors saw one
    event (a requisition changed and approved again is a change and a rework; a reversed goods
    receipt is a reversal and a repeated receipt) and the rarer one (then the alphabetically later)
    is dropped where both are.  One-way implication is left alone: an investigation only follows an
    escalation, yet a long wait after it is a second exception.  Returns the rows removed."""
    key = _kind_key()
    ws.execute(f"""CREATE OR REPLACE TEMP TABLE {ct}_v AS
        WITH k AS (SELECT DISTINCT cid, {key} AS kind FROM {ct} WHERE NOT list_contains(?, type)),
             n AS (SELECT kind, count(*) AS n, row_number() OVER (ORDER BY count(*) DESC, kind) AS r FROM k GROUP BY kind),
             imp AS (SELECT a.kind AS a, b.kind AS b FROM k a JOIN k b ON a.cid = b.cid AND a.kind <> b.kind
                     JOIN n ON n.kind = a.kind WHERE n.n >= ?
                     GROUP BY a.kind, b.kind, n.n HAVING count(*) >= ? * n.n),
             dropped AS (SELECT i.a, i.b FROM imp i JOIN imp j ON j.a = i.b AND j.b = i.a
                      JOIN n na ON na.kind = i.a JOIN n nb ON nb.kind = i.b WHERE nb.r < na.r)
        SELECT DISTINCT ka.cid, ka.kind, split_part(dropped.b, '@', 1) AS b_type FROM k ka JOIN dropped ON dropped.a = ka.kind
        JOIN k kb ON kb.cid = ka.cid AND kb.kind = dropped.b""", [list(_TIMING), s.hotspot_min_cases, s.hotspot_implied_share])
    try:
        # who took part in each exception: the resources and groups that did its activity (or the
        # target of its edge) in the case, also for its dropped views (the clerk who returned a
        # requisition took part in the change it is a view of)
        ws.execute(f"""CREATE OR REPLACE TEMP TABLE {ct}_who AS
            WITH x AS (SELECT cid, type, activity, target FROM {ct}
                       UNION SELECT c.cid, v.b_type, c.activity, c.target FROM {ct} c JOIN {ct}_v v
                             ON v.cid = c.cid AND v.kind = {_kind_key("c.")}),
                 p AS (SELECT x.cid, x.type, st.resource, st.grp FROM x JOIN {st} st
                       ON st.cid = x.cid AND (st.activity = x.activity OR st.activity = x.target))
            SELECT cid, 'resource' AS kind, resource AS who, type FROM p WHERE resource IS NOT NULL
            UNION SELECT cid, 'group', grp, type FROM p WHERE grp IS NOT NULL""")
        before = ws.scalar(f"SELECT count(*) FROM {ct}")
        # one text key, not a (cid, kind) row: Spark has no row-valued IN subquery
        ws.execute(f"""DELETE FROM {ct} WHERE CAST(cid AS VARCHAR) || '#' || {key}
                       IN (SELECT CAST(cid AS VARCHAR) || '#' || kind FROM {ct}_v)""")
        return before - ws.scalar(f"SELECT count(*) FROM {ct}")
    finally:
        ws.execute(f"DROP TABLE IF EXISTS {ct}_v")


def _residual(d, fmt, keep: list[int], kinds, values, n: int, multi_all: int, cut: float, s: ExceptionSettings):
    """Walk the ranking; keep a candidate only if its co-occurrence is still significant (p <= ``cut``)
    without the cases of the hot spots kept above it (a supplier's buyer, its product line, its
    id...); a kept candidate gives way to a smaller one that explains it (see ``specific``)."""
    if not keep:
        return [], {}
    limit = keep[: s.hotspot_residual_candidates]
    sel = pa.table({"kind": [kinds[i] for i in limit], "value": [values[i] for i in limit],
                    "i": np.array(limit, np.int64)})
    tmp = fmt["lm"] + "_sel"
    d.ws.execute(f"CREATE OR REPLACE TEMP TABLE {tmp} AS SELECT * FROM sel", register={"sel": sel})
    try:
        rows = d.ws.arrow(f"""SELECT s.i, h.cid, h.k >= 2 AS co FROM {fmt['lm']}_here h
                              JOIN {tmp} s ON s.kind = h.kind AND s.value = h.value""")
    finally:
        d.ws.execute(f"DROP TABLE IF EXISTS {tmp}")
    members: dict[int, set] = {i: set() for i in limit}
    co: dict[int, set] = {i: set() for i in limit}
    for i, cid, c in zip(rows["i"].to_pylist(), rows["cid"].to_pylist(), rows["co"].to_pylist()):
        members[i].add(cid)
        if c:
            co[i].add(cid)

    def test(rest: set, rest_co: set, out: int, out_co: int) -> float | None:
        """p-value of a residual location against the cases not yet explained, None if it fails."""
        total, good = n - out, multi_all - out_co
        if len(rest_co) < s.hotspot_min_cases or total <= 0 or good <= 0:
            return None
        if (len(rest_co) / len(rest)) / (good / total) < s.hotspot_min_lift:
            return None
        p = hypergeom_sf(np.array([len(rest_co)]), total, good, np.array([len(rest)]))[0]
        return p if p <= cut else None

    def specific(cur: int) -> int | None:
        """The most significant smaller candidate that explains ``cur``: ``cur`` is no longer
        significant without its cases (Outdoor as a whole, when only Outdoor in spring is hot)."""
        best, best_p = None, 2.0
        for j in limit:
            if j in done or len(members[j]) >= len(members[cur]) or len(co[j] & co[cur]) < s.hotspot_min_cases:
                continue
            p_j = test(members[j] - covered, co[j] - covered, len(covered), len(covered_co))
            if p_j is None or p_j >= best_p:
                continue
            out, out_co = covered | members[j], covered_co | co[j]
            if test(members[cur] - out, co[cur] - out, len(out), len(out_co)) is None:
                best, best_p = j, p_j
        return best

    covered: set = set()
    covered_co: set = set()
    chosen: list[int] = []
    done: set[int] = set()
    aliases: dict[int, list[str]] = {}
    for i in limit:
        if i in done:
            continue
        if test(members[i] - covered, co[i] - covered, len(covered), len(covered_co)) is not None:
            cur, explained = i, []
            while (j := specific(cur)) is not None:
                done.add(cur)
                explained.append(f"{kinds[cur]}:{values[cur]}")
                cur = j
            chosen.append(cur)
            done.add(cur)
            aliases.setdefault(cur, []).extend(explained)
            covered |= members[cur]
            covered_co |= co[cur]
        elif chosen:
            done.add(i)
            j = max(chosen, key=lambda c: len(members[c] & members[i]))
            aliases.setdefault(j, []).append(f"{kinds[i]}:{values[i]}")
    return chosen, aliases


def _members(fmt: dict, kind: str, value: str) -> tuple[str, list]:
    """SQL selecting the cids of a location (pairs are materialised too)."""
    return f"SELECT cid FROM {fmt['lm']} WHERE kind = ? AND value = ?", [kind, value]


def _describe(d, fmt, kind, value, n, k, rate, base, lift, p, q, impact, s: ExceptionSettings) -> Hotspot | None:
    members, params = _members(fmt, kind, value)
    ws = d.ws
    total = d.sel.cases
    typ = ws.rows(f"""
        WITH here AS ({members}),
        here_t AS (SELECT type, count(DISTINCT cid) AS c FROM {fmt['ct']} WHERE cid IN (SELECT cid FROM here)
                   AND type NOT IN (SELECT type FROM {fmt['lm']}_sym WHERE kind = ? AND value = ?) GROUP BY type),
        al AS (SELECT type, count(DISTINCT cid) AS c FROM {fmt['ct']} GROUP BY type)
        SELECT here_t.type, here_t.c, al.c FROM here_t JOIN al USING (type) ORDER BY here_t.c DESC, here_t.type""",
                   [*params, kind, value])
    involved = [(t, c, (c / n) / (a / total)) for t, c, a in typ if c >= 2 and (c / n) / (a / total) >= s.hotspot_type_lift]
    if len(involved) < 2:
        return None
    involved.sort(key=lambda r: -r[1])
    types = tuple(t for t, _c, _l in involved)
    examples = [r[0] for r in ws.rows(f"""
        SELECT c.case_id FROM {fmt['cases']} c JOIN {fmt['lm']}_here h ON h.cid = c.cid
        WHERE h.kind = ? AND h.value = ? AND h.k >= 2 ORDER BY c.duration_s DESC, c.case_id LIMIT ?""",
                                        [kind, value, s.hotspot_examples])]
    label = {"attribute": value.replace("=", " = ", 1), "pair": value.replace(" & ", " and ")}.get(kind, f"{kind} {value}")
    type_text = ", ".join(f"{t} ({c} cases, x{lf:.1f})" for t, c, lf in involved[:4])
    explanation = (f"At {label}, {k} of {n} cases ({rate:.0%}) have two or more exception types, against "
                   f"{base:.1%} of all cases (lift {lift:.1f}, p = {p:.1e}); mostly {type_text}; "
                   f"{impact:,.0f} extra case-hours")
    return Hotspot(kind, value, types, n, k, round(rate, 5), round(base, 5), round(lift, 3), p, q, round(impact, 1),
                   explanation, tuple(examples))


def load(d) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Exception rows per activity and per edge (long waits, rare paths, order pairs), most first
    (then by name: a total order, so that every engine lists them alike)."""
    acts = dict(d.ws.rows(f"""SELECT activity, count(*) AS n FROM {d.ex} WHERE activity IS NOT NULL AND target IS NULL
                              GROUP BY activity ORDER BY n DESC, activity"""))
    edges = {(a, b): c for a, b, c in d.ws.rows(
        f"""SELECT activity, target, count(*) AS n FROM {d.ex} WHERE target IS NOT NULL GROUP BY ALL
            ORDER BY n DESC, activity, target""")}
    return acts, edges
