"""Cross-process dependencies, relation cardinalities, synchronisation points and the OC-DFG."""

from __future__ import annotations

from procatlas.model.triggers import (Dependencies, Dependency, OcDfg, Relation, SyncPoint, SyncSide)
from procatlas.triggers._base import ObjectTables, object_tables
from procatlas.workspace.core import Workspace

# OC-DFG with pm4py's counts: per object type, consecutive events of one object (ordered by
# timestamp, then file order); event_couples = distinct (event, next event), unique_objects =
# distinct objects, total_objects = (event, next event, object) triples.
OCDFG_EDGES_SQL = """
WITH x AS (
    SELECT type, oid, eid, activity, lag(eid) OVER w AS peid, lag(activity) OVER w AS pact,
           date_diff('microsecond', lag(ts) OVER w, ts) / 1e6 AS d
    FROM {ev} WINDOW w AS (PARTITION BY oid ORDER BY ts, eid))
SELECT type AS object_type, pact AS source, activity AS target,
       count(DISTINCT (peid, eid)) AS event_couples, count(DISTINCT oid) AS unique_objects,
       count(*) AS total_objects, median(d) AS median_s
FROM x WHERE peid IS NOT NULL GROUP BY ALL ORDER BY object_type, total_objects DESC, source, target
"""

OCDFG_ACTS_SQL = """
SELECT type AS object_type, activity, count(DISTINCT eid) AS events, count(DISTINCT oid) AS unique_objects,
       count(*) AS total_objects
FROM {ev} {where} GROUP BY ALL ORDER BY object_type, total_objects DESC, activity
"""

RELATIONS_SQL = """
WITH l AS (
    SELECT DISTINCT oo.source_oid, oo.target_oid, s.type AS st, t.type AS tt, oo.qualifier
    FROM object_object oo JOIN object s ON s.oid = oo.source_oid JOIN object t ON t.oid = oo.target_oid),
agg AS (
    SELECT st, tt, qualifier, count(*) AS links, count(DISTINCT source_oid) AS sources,
           count(DISTINCT target_oid) AS targets
    FROM l GROUP BY st, tt, qualifier),
ps AS (SELECT st, tt, qualifier, max(k) AS k FROM (
           SELECT st, tt, qualifier, source_oid, count(*) AS k FROM l GROUP BY ALL) GROUP BY ALL),
pt AS (SELECT st, tt, qualifier, max(k) AS k FROM (
           SELECT st, tt, qualifier, target_oid, count(*) AS k FROM l GROUP BY ALL) GROUP BY ALL)
SELECT agg.st, agg.tt, agg.qualifier, agg.links, agg.sources, agg.targets, ps.k, pt.k
FROM agg
JOIN ps ON ps.st = agg.st AND ps.tt = agg.tt AND ps.qualifier IS NOT DISTINCT FROM agg.qualifier
JOIN pt ON pt.st = agg.st AND pt.tt = agg.tt AND pt.qualifier IS NOT DISTINCT FROM agg.qualifier
ORDER BY agg.links DESC, agg.st, agg.tt, agg.qualifier
"""

# For every step e of an object b: the latest earlier event q of a related object a of another
# type (o2o link either way, or a shared event) that involves no object of b's type and came
# after b's previous step: the step q that b waited for.  Ties over several related objects
# keep direct (o2o) relations when there are any.
# the related objects of each object, and the events of related objects each type may wait
# for: temporary tables, as both are read twice below (Spark would compute a CTE twice)
RELATED_SQL = """
CREATE TEMP TABLE {t}_relt AS
WITH rel AS (
    SELECT b, a, max(direct) AS direct FROM (
        SELECT source_oid AS b, target_oid AS a, 1 AS direct FROM object_object
        UNION ALL SELECT target_oid, source_oid, 1 FROM object_object
        UNION ALL SELECT x.oid, y.oid, 0 FROM {eo} x JOIN {eo} y ON y.eid = x.eid AND y.oid <> x.oid) r
    GROUP BY b, a),
relt AS (
    SELECT rel.b, rel.a, ob.type AS btype, oa.type AS atype, rel.direct FROM rel
    JOIN object ob ON ob.oid = rel.b JOIN object oa ON oa.oid = rel.a
    WHERE ob.type <> oa.type AND ob.type IN (SELECT type FROM {role} WHERE role <> 'master data')
      AND oa.type IN (SELECT type FROM {role} WHERE role <> 'master data')
    -- an object related to very many objects of one type (an employee to thousands of items)
    -- does not wait for any one of them: such hub relations are left out
    QUALIFY count(*) OVER (PARTITION BY rel.b, oa.type) <= {max_related})
SELECT * FROM relt
"""

TARGETS_SQL = """
CREATE TEMP TABLE {t}_evt AS
WITH pairs AS (SELECT DISTINCT atype, btype FROM {t}_relt),
evtypes AS (SELECT DISTINCT eid, type FROM {eo})
SELECT ev.oid, ev.eid, ev.ts, ev.activity, pairs.btype FROM {ev} ev JOIN pairs ON pairs.atype = ev.type
ANTI JOIN evtypes et ON et.eid = ev.eid AND et.type = pairs.btype
"""

ENABLING_SQL = """
CREATE TEMP TABLE {t} AS
WITH relt AS (SELECT * FROM {t}_relt), evt AS (SELECT * FROM {t}_evt),
cand AS (
    SELECT ev.oid AS b, ev.type AS btype, ev.eid, ev.ts, ev.activity, ev.rn, ev.prev_ts, relt.a, relt.atype,
           relt.direct
    FROM {ev} ev JOIN relt ON relt.b = ev.oid),
-- the latest q with q.ts <= cand.ts (an as-of join, written as a window so that Spark runs it
-- too): steps and candidate events in one sequence per (a, btype), ordered by time with events
-- before steps at equal times; each step takes the last event id seen so far
seq AS (
    SELECT b, btype, eid, ts, activity, rn, prev_ts, a, atype, direct, NULL AS q, 1 AS side FROM cand
    UNION ALL
    SELECT NULL, btype, eid, ts, NULL, NULL, NULL, oid, NULL, NULL, eid, 0 FROM evt),
latest_q AS (
    SELECT *, last_value(q IGNORE NULLS) OVER (PARTITION BY a, btype ORDER BY ts, side, eid
                                              ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS qeid
    FROM seq),
hit AS (
    SELECT s.b, s.btype, s.eid, s.ts, s.activity, s.rn, s.prev_ts, s.a, s.atype, s.direct,
           q.eid AS qeid, q.ts AS qts, q.activity AS qact
    FROM latest_q s JOIN evt q ON q.oid = s.a AND q.btype = s.btype AND q.eid = s.qeid
    WHERE s.side = 1),
ok AS (SELECT * FROM hit WHERE prev_ts IS NULL OR qts > prev_ts),
ranked AS (
    SELECT *, max(qts) OVER (PARTITION BY b, eid) AS mts FROM ok),
latest AS (
    SELECT *, max(direct) OVER (PARTITION BY b, eid) AS anydirect FROM ranked WHERE qts = mts)
SELECT DISTINCT b, btype, eid, ts, activity, rn = 1 AS starts, atype, qeid, qts, qact,
       date_diff('microsecond', qts, ts) / 1e6 AS lag_s, date_diff('microsecond', prev_ts, ts) / 1e6 AS gap_s
FROM latest WHERE direct = anydirect
"""

# the types each object is related to, made distinct before they meet the object's events: an
# object related to thousands of others (a customer, an employee) otherwise multiplies its
# events by them (29 M rows for ocpa's 18,211-event running example, the slowest step on Spark)
DEPENDENCY_SQL = """
WITH rtype AS (
    SELECT DISTINCT r.b, o.type AS atype FROM (
        SELECT source_oid AS b, target_oid AS a FROM object_object
        UNION ALL SELECT target_oid, source_oid FROM object_object
        UNION ALL SELECT x.oid, y.oid FROM {eo} x JOIN {eo} y ON y.eid = x.eid AND y.oid <> x.oid) r
    JOIN object o ON o.oid = r.a),
related AS (
    SELECT DISTINCT ev.oid, ev.type AS btype, ev.activity, rt.atype
    FROM {ev} ev JOIN rtype rt ON rt.b = ev.oid WHERE rt.atype <> ev.type),
base AS (SELECT btype, atype, activity, count(DISTINCT oid) AS n FROM related GROUP BY ALL),
e AS (
    SELECT atype, qact, btype, activity, bool_or(starts) AS starts, count(DISTINCT (b, eid)) AS events,
           count(DISTINCT b) AS objects, quantile_cont(lag_s, 0.1) AS p10, median(lag_s) AS p50,
           quantile_cont(lag_s, 0.9) AS p90, median(gap_s) AS gap
    FROM {t} GROUP BY atype, qact, btype, activity)
SELECT e.atype, e.qact, e.btype, e.activity, e.events, e.objects, e.objects / base.n AS share, e.starts,
       e.p50, e.p10, e.p90, e.gap, h.type AS home
FROM e JOIN base ON base.btype = e.btype AND base.atype = e.atype AND base.activity = e.activity
LEFT JOIN {home} h ON h.activity = e.activity
ORDER BY e.events DESC, e.atype, e.btype, e.qact, e.activity
"""

# Events joining objects of several types: when was each side ready (its previous step)?
SYNC_SQL = """
WITH j AS (SELECT eid FROM {eo} GROUP BY eid HAVING count(DISTINCT type) >= 2),
side0 AS (
    SELECT ev.eid, ev.activity, ev.type, max(ev.prev_ts) AS ready, arg_max(ev.prev_eid, ev.prev_ts) AS prev_eid,
           count(*) AS k, count(ev.prev_ts) AS k_ready
    FROM {ev} ev WHERE ev.eid IN (SELECT eid FROM j) GROUP BY ev.eid, ev.activity, ev.type),
-- sides made ready by one and the same step are one side: the type that step belongs to
side AS (
    SELECT s.* FROM side0 s LEFT JOIN event pe ON pe.eid = s.prev_eid LEFT JOIN {home} h ON h.activity = pe.activity
    QUALIFY row_number() OVER (PARTITION BY s.eid, s.prev_eid
                               ORDER BY (s.type = h.type) DESC, s.type) = 1 OR prev_eid IS NULL),
complete AS (SELECT eid FROM side GROUP BY eid HAVING count(*) >= 2 AND sum(k) = sum(k_ready)),
s AS (
    SELECT a.eid, a.activity, a.type, a.ready, max(b.ready) AS others_ready
    FROM side a JOIN side b ON b.eid = a.eid AND b.type <> a.type
    WHERE a.eid IN (SELECT eid FROM complete) GROUP BY a.eid, a.activity, a.type, a.ready),
w AS (SELECT s.*, max(ready) OVER (PARTITION BY eid) AS last_ready, min(ready) OVER (PARTITION BY eid) AS first_ready
      FROM s)
SELECT activity, type, count(*) AS events,
       avg(CASE WHEN ready = last_ready THEN 1.0 ELSE 0.0 END) AS last_share,
       median(CASE WHEN ready > others_ready THEN date_diff('microsecond', others_ready, ready) / 1e6 ELSE 0 END),
       median(date_diff('microsecond', first_ready, last_ready) / 1e6),
       count(DISTINCT eid)
FROM w GROUP BY activity, type ORDER BY activity, type
"""


def ocdfg(ws: Workspace, tables: ObjectTables | None = None) -> OcDfg:
    """The object-centric DFG of the workspace (counts equal pm4py's ``discover_ocdfg``)."""
    if tables is None:
        with object_tables(ws) as t:
            return ocdfg(ws, t)
    ev = tables.ev
    return OcDfg(edges=ws.arrow(OCDFG_EDGES_SQL.format(ev=ev)),
                 activities=ws.arrow(OCDFG_ACTS_SQL.format(ev=ev, where="")),
                 start_activities=ws.arrow(OCDFG_ACTS_SQL.format(ev=ev, where="WHERE rn = 1")),
                 end_activities=ws.arrow(OCDFG_ACTS_SQL.format(ev=ev, where="WHERE rn = n")))


def relations(ws: Workspace) -> tuple[Relation, ...]:
    """Object-to-object links per (source type, target type, qualifier) with their cardinality."""
    out = []
    for st, tt, q, links, sources, targets, max_t, max_s in ws.rows(RELATIONS_SQL):
        card = f"{'1' if max_s == 1 else 'm' if max_t > 1 else 'n'}:{'1' if max_t == 1 else 'n'}"
        card = {"m:n": "m:n", "1:1": "1:1", "1:n": "1:n", "n:1": "n:1"}[card]
        out.append(Relation(st, tt, q, int(links), int(sources), int(targets), int(max_t), int(max_s), card))
    return tuple(out)


MAX_RELATED = 50


def enabling(ws: Workspace, tables: ObjectTables, name: str, max_related: int = MAX_RELATED) -> str:
    """Build the temporary table ``name`` of steps and the related-object step each waited for.

    Objects related to more than ``max_related`` objects of one type are not searched for the
    step they waited for among those (a hub: a resource modelled as an object, a product).
    """
    names = dict(t=name, eo=tables.eo, ev=tables.ev, role=tables.role, max_related=int(max_related))
    try:
        for sql in (RELATED_SQL, TARGETS_SQL, ENABLING_SQL):
            ws.execute(sql.format(**names))
    finally:
        for part in ("evt", "relt"):
            ws.execute(f"DROP TABLE IF EXISTS {name}_{part}")
    return name


def dependencies(ws: Workspace, *, min_events: int = 5, min_share: float = 0.5, pace: float = 0.5,
                 include_within: bool = True) -> Dependencies:
    """What waits for what across object types.

    A dependency ``A.x -> B.y`` says: steps ``y`` of B objects came right after step ``x`` of a
    related A object (the latest such step, newer than B's own previous step), in at least
    ``min_share`` of the B objects with a ``y`` step and a related A object, and at least
    ``min_events`` times; a step that is not B's first must follow A's step within ``pace``
    times its own wait since B's previous step (median).  ``scope`` tells dependencies between two processes (``across``)
    from hand-overs between documents of one process (``within``: a purchase order and its
    goods receipt).  Master-data types (suppliers, customers) are left out.
    """
    with object_tables(ws) as t:
        name = enabling(ws, t, f"{t.p}_enab")
        try:
            rows = ws.rows(DEPENDENCY_SQL.format(t=name, ev=t.ev, eo=t.eo, home=t.home))
        finally:
            ws.execute(f"DROP TABLE IF EXISTS {name}")
        deps = []
        for atype, qact, btype, act, events, objects, share, starts, p50, p10, p90, gap, home in rows:
            if events < min_events or share < min_share:
                continue
            if (home == atype and t.roles.get(btype) != "batch") or (
                    home != btype and home != atype and t.family(home) != t.family(btype)):
                continue  # the step is A's own (B is made by it) or a third process's that B only joins
            if not starts and gap is not None and p50 is not None and p50 > pace * gap:
                continue  # B's step is not prompt after A's: B was merely slow, not waiting for A
            fa, fb = t.family(atype), t.family(btype)
            scope = "within" if fa == fb else "across"
            if scope == "within" and not include_within:
                continue
            deps.append(Dependency(atype, qact, btype, act, fa, fb, scope, int(events), int(objects),
                                   round(float(share), 4), bool(starts), p50, p10, p90))
        sync = _sync_points(ws, t)
        graph = ocdfg(ws, t)
    return Dependencies(tuple(deps), relations(ws), sync, graph)


def _sync_points(ws: Workspace, t: ObjectTables, min_events: int = 5) -> tuple[SyncPoint, ...]:
    by_act: dict[str, list] = {}
    for act, otype, events, last_share, caused, sync_s, n_events in ws.rows(SYNC_SQL.format(eo=t.eo, ev=t.ev, home=t.home)):
        by_act.setdefault(act, []).append((otype, int(events), float(last_share), caused, sync_s, int(n_events)))
    out = []
    for act, sides in sorted(by_act.items()):
        n = max(s[5] for s in sides)
        if n < min_events or len(sides) < 2:
            continue
        # a real wait: some side is regularly ready later than the others
        if max(s[4] or 0 for s in sides) <= 0:
            continue
        out.append(SyncPoint(act, n, max(s[4] for s in sides),
                             tuple(SyncSide(s[0], s[1], round(s[2], 4), s[3]) for s in sides)))
    return tuple(out)
