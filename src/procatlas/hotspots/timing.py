"""Timing exceptions: long waits on an edge and case SLA breaches."""

from __future__ import annotations

import numpy as np

from procatlas.hotspots.settings import ExceptionSettings, SlaRule
from procatlas.hotspots.steps import hours


# waits in working seconds of a calendar: W(b) - W(a), W(t) = working days before t's day x day
# length + the working part of t's day; a day table from the first to the last local date (an integer
# range added to a date: portable, unlike a range of dates, which Spark's sequence() does not match)
_WORKING_WAITS = """
WITH lt AS (
    SELECT cid, next_eid, activity, next_activity,
           CAST(timezone(?, CAST(ts AS TIMESTAMPTZ)) AS TIMESTAMP) AS a,
           CAST(timezone(?, CAST(next_ts AS TIMESTAMPTZ)) AS TIMESTAMP) AS b
    FROM {{st}} WHERE next_activity IS NOT NULL
), bounds AS (SELECT CAST(min(a) AS DATE) AS d0, CAST(max(b) AS DATE) AS d1 FROM lt
), cal AS (SELECT d0 + CAST(k AS INTEGER) AS day FROM bounds, unnest(range(0, date_diff('day', d0, d1) + 1)) r(k)
), dd AS (
    SELECT day, CAST(substr(?, isodow(day), 1) = '1' AND NOT list_contains(CAST(? AS DATE[]), day) AS INTEGER) AS busy
    FROM cal
), days AS (SELECT day, busy, sum(busy) OVER (ORDER BY day) - busy AS before FROM dd)
SELECT lt.cid, lt.next_eid, lt.activity, lt.next_activity,
       greatest((db.before - da.before) * {span}
                + db.busy * least(greatest(epoch(lt.b) - epoch(CAST(lt.b AS DATE)) - {lo}, 0), {span})
                - da.busy * least(greatest(epoch(lt.a) - epoch(CAST(lt.a AS DATE)) - {lo}, 0), {span}), 0)
FROM lt JOIN days da ON da.day = CAST(lt.a AS DATE) JOIN days db ON db.day = CAST(lt.b AS DATE)
"""


def long_wait_sql(s: ExceptionSettings, calendar: SlaRule | None = None) -> tuple[str, list]:
    """Transitions beyond their edge's outer fence on the log scale, ``ln(1 + wait) > Q3 + k * IQR``
    of the edge's ``ln(1 + wait)`` (Tukey's fence on log durations), or its quantile, or a fixed
    number of hours.  With a ``calendar`` that has working hours (the process's SLA rule), waits
    are working time: a night or a weekend is not a long wait."""
    if s.long_wait_hours is not None:
        thr, params = "?", [s.long_wait_hours * 3600.0, s.long_wait_min_edge_cases]
    elif s.long_wait_quantile is not None:
        thr, params = "quantile_cont(d, ?)", [s.long_wait_quantile, s.long_wait_min_edge_cases]
    else:
        # both quartiles from one sorted aggregate
        q = "quantile_cont(ln(1 + d), [0.25, 0.75])"
        thr, params = f"exp({q}[2] + ? * ({q}[2] - {q}[1])) - 1", [s.long_wait_fence, s.long_wait_min_edge_cases]
    if calendar is not None and calendar.working_hours is not None:
        lo, hi = calendar.working_hours
        waits = _WORKING_WAITS.format(span=float((hi - lo) * 3600), lo=float(lo * 3600))
        params = [calendar.timezone, calendar.timezone, calendar.working_days,
                  [str(h) for h in calendar.holidays]] + params
        unit = " working time"
    else:
        waits = """SELECT cid, next_eid, activity, next_activity,
                          greatest(date_diff('microsecond', ts, next_ts), 0) / 1e6 FROM {st} WHERE next_activity IS NOT NULL"""
        unit = ""
    sql = f"""
WITH w(cid, eid, activity, next_activity, d) AS ({waits}), t AS (
    SELECT activity, next_activity, {thr} AS thr, median(d) AS med
    FROM w GROUP BY activity, next_activity HAVING count(*) >= ?
)
SELECT w.cid, w.eid, 'long_wait', w.activity, w.next_activity, w.d - t.med,
       printf('waited %s{unit} from ''%s'' to ''%s''; usual %s, threshold %s', {hours('w.d')}, w.activity,
              w.next_activity, {hours('t.med')}, {hours('t.thr')}),
       NULL
FROM w JOIN t ON t.activity = w.activity AND t.next_activity = w.next_activity
WHERE w.d > t.thr AND w.d - t.med >= ?
"""
    return sql, params + [s.long_wait_min_delay_hours * 3600.0]


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
