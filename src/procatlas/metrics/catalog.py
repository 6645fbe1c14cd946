"""The built-in KPI catalog of a process, computed in the engine from one selection.

Event-level work is SQL over the selection's tables (see :mod:`procatlas.engine.queries`);
Python only turns the per-unit samples that come back (one value per case, event or week)
into KPI values, so a baseline can keep the samples and later tests use them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from procatlas.engine import DuckDBEngine, Selection
from procatlas.metrics.calendar import BusinessCalendar
from procatlas.model.discovery import Filters
from procatlas.model.metrics import KpiValue, Metrics, statistic
from procatlas.workspace.core import Workspace

PRIMARY_GROUP_SQL = 'SELECT id, arg_min("group", rowid) AS grp FROM person WHERE "group" IS NOT NULL GROUP BY id'

# All event-order work reads the selection's step table {steps} (engine.queries.STEPS_SQL: each
# event with the next one, and the next event with a resource), shared with the exception detectors.

# one row per case: timing, rework (an activity with the same lifecycle class again), handovers
# between consecutive events with a resource, and the cross-group ones among them (a resource's
# group: the event's group, else the person's primary group)
CASES_SQL = f"""
WITH again AS (
    SELECT cid, max(n) > 1 AS rework FROM (SELECT cid, count(*) AS n FROM {{steps}} GROUP BY cid, code, lc) GROUP BY cid
), per AS (
    SELECT st.cid, count(*) FILTER (WHERE st.resource <> st.after_r) AS handovers,
           count(*) FILTER (WHERE st.resource <> st.after_r
                            AND coalesce(st.grp, g1.grp) <> coalesce(st.after_g, g2.grp)) AS cross_group,
           count(st.resource) AS with_resource,
           count(coalesce(st.grp, g1.grp)) FILTER (WHERE st.resource IS NOT NULL) AS with_group
    FROM {{steps}} st LEFT JOIN ({PRIMARY_GROUP_SQL}) g1 ON g1.id = st.resource
    LEFT JOIN ({PRIMARY_GROUP_SQL}) g2 ON g2.id = st.after_r
    GROUP BY st.cid
)
SELECT c.cid, c.case_id, c.first_ts, c.last_ts, c.duration_s, again.rework,
       CAST(per.handovers AS DOUBLE) AS handovers, CAST(per.cross_group AS DOUBLE) AS cross_group,
       per.with_resource, per.with_group
FROM {{cases}} c JOIN per ON per.cid = c.cid JOIN again ON again.cid = c.cid
ORDER BY c.first_ts, c.cid
"""

# each transition a -> b of a case: the time between the two events (and both timestamps)
_TRANSITIONS = """(SELECT cid, code AS prev, next_code AS code, next_lc AS lc, ts AS t0, next_ts AS t1,
                          date_diff('microsecond', ts, next_ts) / 1e6 AS d
                   FROM {steps} WHERE next_code IS NOT NULL)"""

# waiting before an activity: time since the previous event of the case, measured at the
# activity's start events (or at every event of activities that have no start events)
WAITING_SQL = """
WITH hs AS (SELECT DISTINCT code FROM {ev} WHERE lc = 1)
SELECT a.activity, {measure}
FROM """ + _TRANSITIONS + """ w JOIN {acts} a ON a.code = w.code
WHERE w.lc = 1 OR w.code NOT IN (SELECT code FROM hs)
GROUP BY a.activity HAVING count(*) >= ?
ORDER BY count(*) DESC, a.activity LIMIT ?
"""

EDGE_WAITING_SQL = """
SELECT a.activity AS source, b.activity AS target, {measure}
FROM """ + _TRANSITIONS + """ st JOIN {acts} a ON a.code = st.prev JOIN {acts} b ON b.code = st.code
WHERE st.prev <> st.code
GROUP BY a.activity, b.activity HAVING count(DISTINCT cid) >= ?
ORDER BY count(*) DESC, source, target LIMIT ?
"""

# service time: FIFO pairing of START and COMPLETE of the same case and activity, or an event's own
# start timestamp (the pairing of engine.queries.ACTIVITIES_SQL)
SERVICE_SQL = """
WITH s AS (
    SELECT cid, code, ts, row_number() OVER (PARTITION BY cid, code ORDER BY ts, eid) AS r FROM {ev} WHERE lc = 1
), c AS (
    SELECT cid, code, ts, row_number() OVER (PARTITION BY cid, code ORDER BY ts, eid) AS r FROM {ev} WHERE lc = 2
), d AS (
    SELECT c.code, s.ts AS t0, c.ts AS t1, date_diff('microsecond', s.ts, c.ts) / 1e6 AS d
    FROM s JOIN c ON c.cid = s.cid AND c.code = s.code AND c.r = s.r WHERE c.ts >= s.ts
    UNION ALL
    SELECT code, start_ts, ts, date_diff('microsecond', start_ts, ts) / 1e6 FROM {ev}
    WHERE start_ts IS NOT NULL AND ts >= start_ts
)
SELECT a.activity, {measure} FROM d JOIN {acts} a ON a.code = d.code
GROUP BY a.activity HAVING count(*) >= ? ORDER BY count(*) DESC, a.activity LIMIT ?
"""

# social posts: a thread's first post and the first post of another author in it
SOCIAL_SQL = """
WITH p AS (
    SELECT id, timestamp AS ts, sender,
           coalesce(json_extract_string(attributes, '$.conversation_id'), venue, id) AS thread
    FROM message WHERE kind = 'social' AND timestamp IS NOT NULL {window}
), root AS (
    SELECT thread, arg_min(sender, ts) AS author, min(ts) AS ts FROM p GROUP BY thread
)
-- a join, not a correlated subquery in the SELECT list (Spark refuses outer references there)
SELECT root.thread, date_diff('microsecond', root.ts, min(p.ts)) / 1e6 AS response_s
FROM root LEFT JOIN p ON p.thread = root.thread AND p.sender <> root.author AND p.ts >= root.ts
GROUP BY root.thread, root.ts ORDER BY root.ts, root.thread
"""


# Exception detectors whose verdict on a case does not depend on the other cases of the window.
# rare_path, long_wait, sla_breach (default SLA) and unusual_resource flag a case *relative to the
# window's own distribution* (a quantile, a share), so their rates stay about constant by
# construction and cannot show an improvement; conformance (alignments) is too slow for a KPI run.
RELATIVE_DETECTORS = ("rare_path", "long_wait", "sla_breach", "unusual_resource", "conformance")


@dataclass(frozen=True)
class CatalogOptions:
    """Options of the built-in catalog (each documented in docs/kpis.md)."""

    calendar: BusinessCalendar | None = None  # working-time durations when set
    sla_hours: float | None = None            # SLA compliance: case duration <= this
    exceptions: bool = True                   # first-time-right and exception-type rates
    exception_settings: Any = None            # default: the detectors of ABSOLUTE_DETECTORS
    social_target_hours: float = 24.0         # share of posts answered within
    min_events: int = 20                      # waiting/service time only for activities/edges this frequent
    max_activities: int = 20
    max_edges: int = 15

    def describe(self) -> str:
        return f"calendar={self.calendar.describe() if self.calendar else 'none'}"


def inclusive_end(end: Any) -> Any:
    """A date-only end (``2024-06-30``) means the whole day."""
    if isinstance(end, str) and len(end.strip()) == 10:
        return end.strip() + "T23:59:59.999999"
    return end


def window_filters(start: Any = None, end: Any = None) -> Filters:
    """Cases that *started* in the window (a date-only end includes that day): a case belongs to the
    period in which it began, so consecutive windows never share a case."""
    return Filters(start=start, end=inclusive_end(end), time_mode="started") if (start or end) else Filters()


def _kpi(kpi: str, process: str, sample: np.ndarray, stat: str, unit: str, definition: str, *, kind: str,
         direction: str | None = "lower", target: float | None = None, scale: float = 1.0) -> KpiValue:
    sample = np.asarray(sample, dtype=np.float64) / scale
    value = statistic(stat, sample)
    return KpiValue(kpi, process, value, unit, len(sample), definition, kind=kind, stat=stat, direction=direction,
                    target=target, sample=sample)


def _weekly(ts: np.ndarray) -> np.ndarray:
    """Counts per ISO week (Monday start) from the first to the last week, zero weeks included."""
    if len(ts) == 0:
        return np.zeros(0)
    days = ts.astype("datetime64[D]").astype(np.int64)
    weeks = (days - 4) // 7  # 1970-01-05 was a Monday: epoch day 4
    weeks -= weeks.min()
    return np.bincount(weeks).astype(np.float64)


_FIND = object()


def process_kpis(ws: Workspace, process: str, filters: Filters | None = None,
                 options: CatalogOptions | None = None, *, engine: DuckDBEngine | None = None,
                 hole_refs: Any = _FIND) -> list[KpiValue]:
    """The built-in catalog of ``process`` under ``filters`` (see docs/kpis.md for each formula).

    ``hole_refs``: object ids referenced in watering holes, when already known (they are
    workspace-wide, so :func:`compute_metrics` finds them once for every process)."""
    options = options or CatalogOptions()
    engine = engine or DuckDBEngine(ws)
    sel = engine.select(process, filters or Filters())
    try:
        return _catalog(ws, engine, sel, options, hole_refs)
    finally:
        engine.release(sel)


def _lists(col) -> tuple[np.ndarray, np.ndarray]:
    col = col.combine_chunks()
    return col.offsets.to_numpy(), col.values.to_numpy(zero_copy_only=False)


def _samples(ws: Workspace, sql: str, params: list, calendar: BusinessCalendar | None = None) -> list[tuple]:
    """(keys..., numpy array of seconds) per row of a duration query, read from Arrow lists.

    ``{measure}`` in ``sql`` becomes the list of elapsed seconds ``d``, or with a calendar the
    lists of both timestamps ``t0``, ``t1``, whose working seconds numpy then computes."""
    lists = "list(t0) AS t0s, list(t1) AS t1s" if calendar else "list(d) AS sample"
    t = ws.arrow(sql.replace("{measure}", lists), params)
    if t.num_rows == 0:
        return []
    if calendar:
        offsets, t0 = _lists(t.column(t.num_columns - 2))
        _, t1 = _lists(t.column(t.num_columns - 1))
        values = calendar.working_seconds(t0.astype("datetime64[us]"), t1.astype("datetime64[us]"))
        nkeys = t.num_columns - 2
    else:
        offsets, values = _lists(t.column(t.num_columns - 1))
        nkeys = t.num_columns - 1
    values = values.astype(np.float64)
    keys = [t.column(i).to_pylist() for i in range(nkeys)]
    return [(*(k[r] for k in keys), values[offsets[r]:offsets[r + 1]]) for r in range(t.num_rows)]


def _catalog(ws: Workspace, engine: DuckDBEngine, sel: Selection, o: CatalogOptions, hole_refs) -> list[KpiValue]:
    steps = engine.steps(sel)

    def fmt(sql: str) -> str:
        return sql.format(ev=sel.events_table, cases=sel.cases_table, acts=sel.activities_table, steps=steps,
                          measure="{measure}")

    p = sel.process
    cal = o.calendar
    cases = ws.arrow(fmt(CASES_SQL))
    first = cases["first_ts"].to_numpy(zero_copy_only=False).astype("datetime64[us]")
    last = cases["last_ts"].to_numpy(zero_copy_only=False).astype("datetime64[us]")
    if cal is not None:
        dur = cal.working_seconds(first, last)
        how = f"working time ({cal.describe()})"
    else:
        dur = cases["duration_s"].to_numpy(zero_copy_only=False).astype(np.float64)
        how = "elapsed time"
    hours = 3600.0
    out: list[KpiValue] = [
        KpiValue("cases", p, float(len(dur)), "cases", len(dur), "number of cases started in the window",
                 kind="count", stat="count", direction=None),
        _kpi("case_volume_per_week", p, _weekly(first), "mean", "cases/week",
             "mean number of cases started per calendar week (Monday start), weeks without cases count as 0",
             kind="mean", direction=None),
        _kpi("throughput_per_week", p, _weekly(last), "mean", "cases/week",
             "mean number of cases completed (last event) per calendar week, weeks without cases count as 0",
             kind="mean", direction="higher"),
        _kpi("cycle_time_median", p, dur, "median", "hours",
             f"median over cases of (last event - first event), {how}", kind="duration", scale=hours),
        _kpi("cycle_time_p90", p, dur, "p90", "hours",
             f"90th percentile (linear) over cases of (last event - first event), {how}", kind="duration",
             scale=hours),
        _kpi("cycle_time_mean", p, dur, "mean", "hours",
             f"mean over cases of (last event - first event), {how}", kind="duration", scale=hours),
        _kpi("rework_rate", p, cases["rework"].to_numpy(zero_copy_only=False).astype(np.float64), "share", "share",
             "share of cases in which some activity occurs again with the same lifecycle", kind="rate"),
    ]
    if o.sla_hours is not None:
        met = (dur <= o.sla_hours * 3600).astype(np.float64)
        out.append(_kpi("sla_compliance", p, met, "share", "share",
                        f"share of cases with cycle time <= {o.sla_hours:g} h, {how}", kind="rate",
                        direction="higher", target=None))
    with_resource = int(pc.sum(cases["with_resource"]).as_py() or 0)
    with_group = int(pc.sum(cases["with_group"]).as_py() or 0)
    if with_resource:
        out.append(_kpi("handovers_per_case", p, cases["handovers"].to_numpy(), "mean", "handovers",
                        "mean over cases of the number of consecutive events (with a resource) whose resource differs",
                        kind="mean"))
    if with_group:
        out.append(_kpi("cross_group_handovers_per_case", p, cases["cross_group"].to_numpy(), "mean", "handovers",
                        "mean over cases of the handovers whose two resources belong to different groups "
                        "(event group, else the person's group)", kind="mean"))
    waits = _samples(ws, fmt(WAITING_SQL), [o.min_events, o.max_activities], cal)
    edges = _samples(ws, fmt(EDGE_WAITING_SQL), [o.min_events, o.max_edges], cal)
    for activity, sample in waits:
        out.append(_kpi(f"waiting_time[{activity}]", p, sample, "median", "hours",
                        f"median over occurrences of {activity!r} (start events when it has them) of the time "
                        f"since the previous event of the case, {how}", kind="duration", scale=hours))
    for src, tgt, sample in edges:
        out.append(_kpi(f"waiting_time[{src} -> {tgt}]", p, sample, "median", "hours",
                        f"median over directly-follows occurrences {src!r} -> {tgt!r} of the time between them, {how}",
                        kind="duration", scale=hours))
    for activity, sample in _samples(ws, fmt(SERVICE_SQL), [o.min_events, o.max_activities], cal):
        out.append(_kpi(f"service_time[{activity}]", p, sample, "median", "hours",
                        f"median over executions of {activity!r} of complete - start (FIFO-paired lifecycle "
                        f"events, or the event's start timestamp), {how}", kind="duration", scale=hours))
    if o.exceptions and cases.num_rows:
        out.extend(_exception_kpis(ws, engine, sel, o, cases["cid"].to_numpy()))
    hole = _watering_share(p, cases["case_id"], _hole_refs(ws) if hole_refs is _FIND else hole_refs)
    if hole is not None:
        out.append(hole)
    return out


def _exception_kpis(ws, engine, sel, o: CatalogOptions, cids: np.ndarray) -> list[KpiValue]:
    """First-time-right and per-type rates over the cases (``cids``, in the order of the case sample)."""
    from procatlas.hotspots.detect import case_types
    from procatlas.hotspots.settings import ExceptionSettings
    from procatlas.process import Process
    settings = o.exception_settings or ExceptionSettings()
    if o.exception_settings is None:
        settings = settings.replace(detectors=tuple(d for d in settings.detectors if d not in RELATIVE_DETECTORS))
    found = case_types(Process(ws, sel.process, engine=engine), sel, settings)
    order = np.argsort(cids, kind="stable")
    ordered = cids[order]
    anyx = np.zeros(len(cids))
    per_type: dict[str, np.ndarray] = {}
    for t, members in found.items():
        at = np.searchsorted(ordered, members)
        at = order[at[(at < len(ordered)) & (ordered[np.minimum(at, len(ordered) - 1)] == members)]]
        flags = np.zeros(len(cids))
        flags[at] = 1.0
        anyx[at] = 1.0
        per_type[t] = flags
    detectors = ", ".join(settings.detectors)
    out = [_kpi("first_time_right_rate", sel.process, 1.0 - anyx, "share", "share",
                f"share of cases without any exception (detectors: {detectors}; docs/exceptions.md)",
                kind="rate", direction="higher")]
    for t in sorted(per_type):
        out.append(_kpi(f"exception_rate[{t}]", sel.process, per_type[t], "share", "share",
                        f"share of cases with at least one exception of type {t!r} (docs/exceptions.md)",
                        kind="rate"))
    return out


def _hole_refs(ws: Workspace) -> set[str] | None:
    """Object ids referenced by messages of qualified watering holes (None: no holes or no refs)."""
    if not ws.scalar("SELECT count(*) FROM message WHERE case_refs IS NOT NULL AND array_length(case_refs) > 0"):
        return None
    from procatlas.people.watering import _venue_key, watering_holes
    holes = [h.venue for h in watering_holes(ws).holes]
    if not holes:
        return None
    return {r[0] for r in ws.rows(
        f"SELECT DISTINCT unnest(case_refs) FROM (SELECT case_refs, {_venue_key()} AS key FROM message) m "
        f"WHERE key IN ({', '.join('?' * len(holes))})", holes)}


def _watering_share(process: str, ids: pa.ChunkedArray, refs: set[str] | None) -> KpiValue | None:
    if not len(ids) or refs is None:
        return None
    sample = pc.is_in(ids, value_set=pa.array(sorted(r for r in refs if r is not None), pa.string())).to_numpy(zero_copy_only=False)
    sample = sample.astype(np.float64)
    return _kpi("watering_hole_share", process, sample, "share", "share",
                "share of cases referenced by a message in a watering hole (procatlas.people.watering_holes)",
                kind="rate", direction=None)


def social_kpis(ws: Workspace, start: Any = None, end: Any = None, target_hours: float = 24.0) -> list[KpiValue]:
    """First-response time of social posts and the share answered within ``target_hours``."""
    window, params = "", []
    if start:
        window += " AND timestamp >= CAST(? AS TIMESTAMP)"
        params.append(str(start))
    if end:
        window += " AND timestamp <= CAST(? AS TIMESTAMP)"
        params.append(str(end))
    if not ws.scalar("SELECT count(*) FROM message WHERE kind = 'social'"):
        return []
    rows = ws.rows(SOCIAL_SQL.format(window=window), params)
    resp = np.array([r[1] for r in rows if r[1] is not None], dtype=np.float64)
    answered = np.array([1.0 if r[1] is not None and r[1] <= target_hours * 3600 else 0.0 for r in rows])
    return [
        _kpi("social_first_response_time", "social", resp, "median", "hours",
             "median over answered threads of social posts of (first post by another author - thread's first post)",
             kind="duration", scale=3600.0),
        _kpi("social_answered_within_target", "social", answered, "share", "share",
             f"share of threads of social posts answered by another author within {target_hours:g} h",
             kind="rate", direction="higher", target=None),
    ]


def compute_metrics(ws: Workspace, *, process: str | None = None, start: Any = None, end: Any = None,
                    options: CatalogOptions | None = None, user_kpis: list | None = None,
                    case_ids: dict[str, list[str]] | None = None,
                    processes: list[str] | None = None) -> Metrics:
    """KPIs of ``process`` (default every process, or those of ``processes``, with the
    workspace's social KPIs) for cases started in ``start``..``end``: the built-in catalog plus
    ``user_kpis`` (from :func:`procatlas.metrics.kpifile.load_kpis`).

    ``case_ids`` restricts a process to the given cases (used to split one period at random).
    """
    began = time.perf_counter()
    options = options or CatalogOptions()
    engine = DuckDBEngine(ws)
    processes = [process] if process else list(processes) if processes is not None else engine.processes()
    kpis: list[KpiValue] = []
    refs = _hole_refs(ws)
    _per_process(ws, engine, processes, start, end, options, user_kpis, case_ids, kpis, refs)
    if process is None:
        kpis.extend(social_kpis(ws, start, end, options.social_target_hours))
    return Metrics(tuple(kpis), None if start is None else str(start), None if end is None else str(end),
                   seconds=time.perf_counter() - began)


def _per_process(ws, engine, processes, start, end, options, user_kpis, case_ids, kpis, refs) -> None:
    from procatlas.metrics.kpifile import evaluate
    for p in processes:
        f = window_filters(start, end)
        if case_ids and p in case_ids:
            f = f.replace(case_attributes={"case": list(case_ids[p])})
        kpis.extend(process_kpis(ws, p, f, options, engine=engine, hole_refs=refs))
        for uk in user_kpis or ():
            if uk.process == p:
                kpis.append(evaluate(ws, engine, uk, f, options))
