"""Timing exceptions: long waits on an edge and case SLA breaches."""

from __future__ import annotations

import numpy as np

from procatlas.hotspots.settings import ExceptionSettings, SlaRule
from procatlas.hotspots.steps import hours


def long_wait_sql(s: ExceptionSettings) -> tuple[str, list]:
    """Transitions slower than their edge's quantile (or a fixed number of hours)."""
    if s.long_wait_hours is not None:
        thr, params = "?", [s.long_wait_hours * 3600.0, s.long_wait_min_edge_cases]
    else:
        thr, params = "quantile_cont(d, ?)", [s.long_wait_quantile, s.long_wait_min_edge_cases]
    sql = f"""
WITH w AS (
    SELECT cid, next_eid AS eid, activity, next_activity, date_diff('microsecond', ts, next_ts) / 1e6 AS d
    FROM {{st}} WHERE next_activity IS NOT NULL
), t AS (
    SELECT activity, next_activity, {thr} AS thr, median(d) AS med
    FROM w GROUP BY activity, next_activity HAVING count(*) >= ?
)
SELECT w.cid, w.eid, 'long_wait', w.activity, w.next_activity, w.d - t.med,
       printf('waited %s from ''%s'' to ''%s''; usual %s, threshold %s', {hours('w.d')}, w.activity,
              w.next_activity, {hours('t.med')}, {hours('t.thr')}),
       NULL
FROM w JOIN t ON t.activity = w.activity AND t.next_activity = w.next_activity
WHERE w.d > t.thr AND w.d > 0
"""
    return sql, params


SLA_QUANTILE_SQL = """
WITH t AS (SELECT quantile_cont(duration_s, ?) AS thr FROM {cases})
SELECT c.cid, NULL, 'sla_breach', NULL, NULL, c.duration_s - t.thr,
       printf('case took %s; the process threshold (p%d) is %s', {dur}, ?, {thr}), NULL
FROM {cases} c, t WHERE c.duration_s > t.thr
"""

SLA_SPAN_SQL = """
SELECT c.cid,
       coalesce((SELECT min(ts) FROM {st} s WHERE s.cid = c.cid AND s.activity = ?), c.first_ts) AS t0,
       (SELECT max(ts) FROM {st} s WHERE s.cid = c.cid AND s.activity = ?) AS t1
FROM {cases} c
"""


def working_seconds(t0: np.ndarray, t1: np.ndarray, rule: SlaRule) -> np.ndarray:
    """Working seconds between local times ``t0`` and ``t1`` (datetime64[s]), vectorised:
    W(t1) - W(t0) with W(t) the working seconds since a fixed Monday."""
    lo, hi = rule.working_hours
    day = np.timedelta64(1, "D")

    def cumulative(t: np.ndarray) -> np.ndarray:
        d = t.astype("datetime64[D]")
        busy = np.busday_count(np.datetime64("1970-01-05"), d, weekmask=rule.working_days,
                               holidays=list(rule.holidays)).astype(float)
        sec = (t - d).astype("timedelta64[s]").astype(float)
        today = np.clip(sec - lo * 3600, 0, (hi - lo) * 3600)
        is_busy = np.is_busday(d, weekmask=rule.working_days, holidays=list(rule.holidays))
        return busy * (hi - lo) * 3600 + np.where(is_busy, today, 0.0)

    del day
    return cumulative(t1) - cumulative(t0)
