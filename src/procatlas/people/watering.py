"""Watering holes: venues or recurring groups of people where functional groups meet outside the workflow.

Candidates are venues (chat channels, threads, meeting series) and, for messages without a
venue (plain e-mail, edge lists), the recurring set of participants.  Per candidate, SQL over
the message table computes messages, people, weeks active, group participation (a person
in two groups counts half in each) and the informal share: a message referring to a case is
*formal* for each referenced case where a formal handover between the sender's and a
recipient's groups happened around it (from one day before the handing-over event to one day
after the receiving event); messages without case references are informal.  A candidate
qualifies when it joins two or more groups (the second largest has at least ``min_second_group``
of the participation), recurs (``min_weeks`` weeks, active in at least ``min_regularity`` of
the weeks of its span) and is mostly informal (``min_informal``).  See docs/people.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from procatlas.model.people import WateringHole, WateringHoles
from procatlas.people.networks import PRIMARY_GROUP_SQL
from procatlas.workspace.core import Workspace

GENERIC_VENUES = ("email", "e-mail", "mail")


@dataclass(frozen=True)
class Criteria:
    min_second_group: float = 0.15
    min_weeks: int = 4
    min_regularity: float = 0.5
    min_informal: float = 0.5
    min_messages: int = 8
    window_days: float = 1.0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _venue_key() -> str:
    generic = ", ".join(f"'{v}'" for v in GENERIC_VENUES)
    return f"""CASE WHEN venue IS NULL OR lower(venue) IN ({generic}) OR lower(venue) = lower(kind)
                    THEN 'people:' || array_to_string(list_sort(list_distinct(
                         list_filter(list_prepend(sender, recipients), lambda x: x IS NOT NULL))), ',')
                    ELSE venue END"""


def _tables(ws: Workspace, cases_patterns: tuple[str, ...] = ()) -> None:
    """TEMP tables: wh_msg (mid, key, ts, kind, refs), wh_part (mid, key, person, role), wh_pgroup."""
    ws.execute(f"""CREATE OR REPLACE TEMP TABLE wh_msg AS
        SELECT mid, {_venue_key()} AS key, timestamp AS ts, kind, case_refs AS refs, sender
        FROM message WHERE kind <> 'edge' OR timestamp IS NOT NULL""")
    ws.execute("""CREATE OR REPLACE TEMP TABLE wh_part AS
        SELECT mid, key, sender AS person, true AS is_sender FROM wh_msg WHERE sender IS NOT NULL
        UNION ALL
        SELECT m.mid, m.key, r.person, false FROM (
            SELECT mid, unnest(recipients) AS person FROM message) r JOIN wh_msg m USING (mid)
        WHERE r.person IS NOT NULL""")
    # every group of a person (people.csv may list two); weight 1/n so each person counts once
    ws.execute("""CREATE OR REPLACE TEMP TABLE wh_pgroup AS
        SELECT id AS person, "group" AS grp, 1.0 / count(*) OVER (PARTITION BY id) AS w
        FROM (SELECT DISTINCT id, "group" FROM person WHERE "group" IS NOT NULL)""")
    # a person in two groups takes, at each candidate, the group most of the others there are in
    # (a care agent who also works in the social team is "care" at the care-quality coffee)
    ws.execute("""CREATE OR REPLACE TEMP TABLE wh_ctx AS
        WITH pp AS (SELECT key, person, count(*) AS n FROM wh_part GROUP BY 1, 2),
        single AS (SELECT person, any_value(grp) AS grp FROM wh_pgroup GROUP BY person HAVING count(*) = 1),
        tally AS (SELECT pp.key, s.grp, sum(pp.n) AS t FROM pp JOIN single s USING (person) GROUP BY 1, 2),
        multi AS (
            SELECT pp.key, pp.person, g.grp, coalesce(t.t, 0) AS t
            FROM pp JOIN wh_pgroup g USING (person)
            LEFT JOIN tally t ON t.key = pp.key AND t.grp = g.grp
            WHERE g.w < 1)
        SELECT pp.key, pp.person, s.grp, pp.n FROM pp JOIN single s USING (person)
        UNION ALL
        SELECT m.key, m.person, arg_max(m.grp, m.t), any_value(pp.n)
        FROM multi m JOIN pp ON pp.key = m.key AND pp.person = m.person GROUP BY m.key, m.person""")


def _formal_handovers(ws: Workspace) -> None:
    """TEMP wh_ho: group-level handovers between resourced events of every case (any process)."""
    ws.execute(f"""CREATE OR REPLACE TEMP TABLE wh_ho AS
        WITH s AS (
            SELECT eo.oid AS cid, e.eid, e.timestamp AS ts, coalesce(e."group", pg.grp) AS grp
            FROM event e JOIN event_object eo ON eo.eid = e.eid
            LEFT JOIN ({PRIMARY_GROUP_SQL}) pg ON pg.id = e.resource
            WHERE e.resource IS NOT NULL
              AND eo.oid IN (SELECT o.oid FROM object o WHERE o.id IN (SELECT DISTINCT unnest(refs) FROM wh_msg))
        ), h AS (
            SELECT cid, grp AS g1, lead(grp) OVER w AS g2, ts AS t1, lead(ts) OVER w AS t2
            FROM s WINDOW w AS (PARTITION BY cid ORDER BY ts, eid)
        )
        SELECT * FROM h WHERE g2 IS NOT NULL AND g1 IS NOT NULL""")


CANDIDATES_SQL = """
WITH ref1 AS (SELECT DISTINCT mid, key, ts, unnest(refs) AS ref FROM wh_msg WHERE array_length(refs) > 0),
near AS (
    -- each case reference of a message next to each cross-group handover of that case in the window
    SELECT r.mid, r.ref, least(h.g1, h.g2) AS g_lo, greatest(h.g1, h.g2) AS g_hi
    FROM ref1 r
    JOIN object o ON o.id = r.ref
    JOIN wh_ho h ON h.cid = o.oid AND h.g1 <> h.g2
         AND r.ts BETWEEN h.t1 - INTERVAL {window_us} MICROSECOND AND h.t2 + INTERVAL {window_us} MICROSECOND
), side AS (
    -- groups on each side of a message: the sender's and the recipients' (all participants when
    -- the sender is unknown, as in simplicial e-mail data)
    SELECT p.mid, g.grp, p.is_sender FROM wh_part p JOIN wh_ctx g ON g.key = p.key AND g.person = p.person
    WHERE p.mid IN (SELECT mid FROM near)
), pairs AS (
    -- the pairs of groups a message connects: a on the sending side (any participant when the
    -- sender is unknown), b a recipient, in different groups; unordered, as a handover between
    -- the two groups in either direction makes the reference formal
    SELECT DISTINCT a.mid, least(a.grp, b.grp) AS g_lo, greatest(a.grp, b.grp) AS g_hi
    FROM side a JOIN side b ON b.mid = a.mid JOIN wh_msg s ON s.mid = a.mid
    WHERE (a.is_sender OR s.sender IS NULL) AND NOT b.is_sender AND a.grp <> b.grp
), formal AS (
    -- a join, not a correlated EXISTS: Spark resolves no column two query levels up
    SELECT DISTINCT n.mid, n.ref FROM near n JOIN pairs p USING (mid, g_lo, g_hi)
), msg_informal AS (
    SELECT m.mid, m.key,
           CASE WHEN array_length(coalesce(m.refs, [])) = 0 THEN 1.0
                ELSE 1.0 - (SELECT count(*) FROM formal f WHERE f.mid = m.mid) / array_length(list_distinct(m.refs)) END AS informal
    FROM wh_msg m
)
SELECT m.key, mode(m.kind ORDER BY m.kind) AS main_kind, count(*) AS messages,
       count(DISTINCT date_trunc('week', m.ts)) AS weeks_active,
       min(m.ts) AS first_ts, max(m.ts) AS last_ts,
       sum(i.informal) / count(*) AS informal_share,
       count(DISTINCT m.refs) FILTER (WHERE array_length(m.refs) > 0) AS ref_sets
FROM wh_msg m JOIN msg_informal i USING (mid)
GROUP BY m.key
HAVING count(*) >= ?
"""

GROUPS_SQL = """
SELECT key, grp, sum(n) AS participation, count(DISTINCT person) AS people
FROM wh_ctx WHERE key IN (SELECT key FROM wh_cand)
GROUP BY 1, 2
"""


def _entropy(shares: list[float]) -> float:
    return -sum(s * math.log(s) for s in shares if s > 0)


def watering_holes(ws: Workspace, *, top: int | None = None, criteria: Criteria | None = None,
                   brokers: int = 10) -> WateringHoles:
    """Rank the qualified watering holes of the workspace's messages (see the module docstring)."""
    c = criteria or Criteria()
    total = int(ws.scalar("SELECT count(*) FROM message"))
    _tables(ws)
    _formal_handovers(ws)
    window_us = round(c.window_days * 86400e6)
    ws.execute("CREATE OR REPLACE TEMP TABLE wh_cand AS " + CANDIDATES_SQL.format(window_us=window_us),
               [c.min_messages])
    part: dict[str, dict[str, tuple[float, int]]] = {}
    for key, grp, w, n in ws.rows(GROUPS_SQL):
        part.setdefault(key, {})[grp] = (float(w), int(n))
    people = {k: sorted(v) for k, v in ws.rows("""
        SELECT key, list(DISTINCT person) FROM wh_part WHERE key IN (SELECT key FROM wh_cand) GROUP BY key""")}
    holes = []
    for key, kind, messages, weeks, first, last, informal, _refsets in ws.rows("SELECT * FROM wh_cand"):
        groups = part.get(key, {})
        total_w = sum(w for w, _ in groups.values()) or 1.0
        # largest participation first; equal ones by name (the query's row order differs by engine and run)
        ordered = sorted(groups.items(), key=lambda kv: (-kv[1][0], kv[0]))
        shares = [w / total_w for _, (w, _) in ordered]
        second = shares[1] if len(shares) > 1 else 0.0
        h = _entropy(shares)
        span = max(1, int(((last - first).days if first and last else 0) // 7) + 1)
        regularity = min(1.0, weeks / span) if weeks else 0.0
        informal = float(informal or 0.0)
        main = [g for g, (w, _) in ordered if w / total_w >= c.min_second_group]
        reasons = []
        if second < c.min_second_group:
            reasons.append("one group dominates" if ordered else "no known groups")
        if weeks < c.min_weeks:
            reasons.append(f"active {weeks} weeks only")
        elif regularity < c.min_regularity:
            reasons.append(f"bursty: active in {regularity:.0%} of its weeks")
        if informal < c.min_informal:
            reasons.append(f"mostly explained by formal handovers ({1 - informal:.0%})")
        diversity = h / math.log(2) if h else 0.0  # bits
        score = (informal * regularity * min(1.0, diversity) * (1 - math.exp(-messages / 50.0))
                 * min(1.0, weeks / max(c.min_weeks * 2, 1)))
        expl = (f"{len(main)} groups ({', '.join(g for g in main)}) "
                f"with {second:.0%} from the second; {messages} messages over {weeks} weeks "
                f"({regularity:.0%} of its weeks); {informal:.0%} not explained by formal handovers")
        if reasons:
            expl += "; not a watering hole: " + ", ".join(reasons)
        holes.append(WateringHole(
            venue=key, kind=kind, groups=tuple(main or [g for g, _ in ordered[:1]]),
            people=tuple(people.get(key, ())), messages=int(messages), weeks_active=int(weeks),
            regularity=regularity, diversity=diversity, informal_share=informal, cases=0, score=score,
            explanation=expl, qualified=not reasons))
    holes.sort(key=lambda x: (-x.score, x.venue))
    good = [x for x in holes if x.qualified][: top if top else None]
    near = [x for x in holes if not x.qualified and len(x.groups) >= 1][:5]
    good = [_with_cases(ws, x) for x in good]
    from procatlas.people.brokers import broker_ranking
    found_brokers, nodes, edges = broker_ranking(ws, top=brokers)
    for t in ("wh_msg", "wh_part", "wh_pgroup", "wh_ctx", "wh_ho", "wh_cand"):
        ws.execute(f"DROP TABLE IF EXISTS {t}")
    return WateringHoles(tuple(good), tuple(near), tuple(found_brokers), candidates=len(holes), messages=total,
                         criteria=c.to_dict(), graph_nodes=tuple(nodes), graph_edges=tuple(edges))


CASE_FATE_SQL = """
WITH refs AS (SELECT DISTINCT unnest(refs) AS ref FROM wh_msg WHERE key = ?),
hit AS (SELECT o.oid, o.type FROM object o JOIN refs ON refs.ref = o.id),
types AS (SELECT DISTINCT type FROM hit),
per AS (
    SELECT eo.oid, o.type, min(e.timestamp) AS first_ts,
           date_diff('second', min(e.timestamp), max(e.timestamp)) / 3600.0 AS hours,
           count(*) > count(DISTINCT e.activity) AS rework
    FROM event e JOIN event_object eo ON eo.eid = e.eid JOIN object o ON o.oid = eo.oid
    WHERE o.type IN (SELECT type FROM types)
    GROUP BY eo.oid, o.type
)
SELECT per.oid IN (SELECT oid FROM hit) AS referenced, count(*) AS cases,
       median(hours) AS median_hours, avg(rework::INTEGER) AS rework_rate
FROM per WHERE first_ts BETWEEN ? AND ?
GROUP BY 1
"""


def _with_cases(ws: Workspace, hole: WateringHole) -> WateringHole:
    """Cases the hole refers to, and how they fare against comparable cases (same type, same period)."""
    from dataclasses import replace
    refs = ws.scalar("SELECT count(DISTINCT r) FROM (SELECT unnest(refs) AS r FROM wh_msg WHERE key = ?)",
                     [hole.venue]) or 0
    span = ws.rows("SELECT min(ts), max(ts) FROM wh_msg WHERE key = ?", [hole.venue])[0]
    outcome: dict = {"referenced_ids": int(refs)}
    if refs and span[0] is not None:
        for referenced, n, med, rework in ws.rows(CASE_FATE_SQL, [hole.venue, span[0], span[1]]):
            side = "referenced" if referenced else "comparable"
            outcome[side] = {"cases": int(n), "median_duration_hours": None if med is None else round(float(med), 2),
                             "rework_rate": None if rework is None else round(float(rework), 4)}
    expl = hole.explanation
    r, o = outcome.get("referenced"), outcome.get("comparable")
    if r and o and r["median_duration_hours"] is not None and o["median_duration_hours"]:
        ratio = r["median_duration_hours"] / o["median_duration_hours"]
        expl += (f"; its {r['cases']} referenced cases take {ratio:.0%} of the median duration of "
                 f"{o['cases']} comparable cases")
    return replace(hole, cases=int(refs), case_outcome=outcome, explanation=expl)
