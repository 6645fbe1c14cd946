"""What starts each process's cases: an external channel, another process, a schedule, a person."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta

from procatlas.errors import InputError
from procatlas.model.triggers import ScheduleTest, Trigger, Triggers
from procatlas.triggers._base import ObjectTables, object_tables, quantiles
from procatlas.triggers.dependencies import enabling
from procatlas.workspace.core import Workspace

CHANNEL_KEYS = ("channel", "source", "origin", "medium", "via")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# One row per case start: the external channel (first event's attributes, then the case
# object's, then the earliest message that refers to the case around its start), the step of a
# related object it waited for (from the enabling table), and the calendar bins of the start.
STARTS_SQL = """
WITH s AS (
    SELECT ev.oid, ev.type, ev.eid, ev.ts, ev.activity, ev.resource IS NOT NULL AS by_person
    FROM {ev} ev WHERE ev.rn = 1 AND ev.type IN (SELECT type FROM {role} WHERE role <> 'master data') {where}),
attr AS (
    SELECT s.oid, coalesce({event_keys}, {object_keys}) AS channel
    FROM s JOIN event e ON e.eid = s.eid JOIN object o ON o.oid = s.oid),
msg AS (
    SELECT s.oid, arg_min(coalesce(m.kind, m.venue), m.timestamp) AS channel
    FROM s JOIN object o ON o.oid = s.oid
    JOIN (SELECT m.*, r.ref FROM message m, unnest(m.case_refs) r(ref)) m ON m.ref = o.id
    WHERE date_diff('microsecond', m.timestamp, s.ts) <= CAST(? * 1e6 AS BIGINT) AND m.timestamp <= s.ts + INTERVAL 60 SECOND
    GROUP BY s.oid),
proc AS (
    SELECT b AS oid, arg_min(atype, atype) AS atype, arg_min(qact, atype) AS qact, min(lag_s) AS lag_s
    FROM {enab} WHERE starts AND lag_s <= ? GROUP BY b),
local AS (SELECT s.*, timezone(?, CAST(s.ts AS TIMESTAMPTZ)) AS lt FROM s)
SELECT s.type, s.activity, s.by_person,
       coalesce(attr.channel, msg.channel) AS channel, proc.atype, proc.qact, proc.lag_s,
       hour(s.lt) AS h, isodow(s.lt) AS dow, day(s.lt) AS dom, count(*) AS n, list(proc.lag_s) AS lags
FROM local s LEFT JOIN attr ON attr.oid = s.oid LEFT JOIN msg ON msg.oid = s.oid LEFT JOIN proc ON proc.oid = s.oid
GROUP BY ALL
"""


def _keys(alias: str, keys: tuple[str, ...]) -> str:
    parts = [f"json_extract_string({alias}.attributes, '$.\"{k}\"')" for k in keys]
    return ", ".join(parts) if parts else "NULL"


def triggers(ws: Workspace, *, process: str | None = None, channel_keys: tuple[str, ...] = CHANNEL_KEYS,
             message_window_s: float = 86400.0, max_lag_s: float = 3 * 86400.0, timezone: str = "UTC",
             alpha: float = 1e-3, min_effect: float = 0.3, min_share: float = 0.0,
             tables: ObjectTables | None = None) -> Triggers:
    """Triggers of every process (or one), each with the share of cases it explains and its lag.

    Each case is explained once, by the first that applies:

    1. ``external``: a channel among ``channel_keys`` in its first event's or its object's
       attributes, else the kind of the earliest message or post referring to the case from
       ``message_window_s`` before its start to a minute after;
    2. ``process``: the step of a related object of another type that the start waited for
       (see :func:`procatlas.triggers.dependencies.dependencies`), within ``max_lag_s``;
    3. ``schedule``: a start without a person on an hour of the day, weekday or day of the
       month that holds several times its share, where a chi-square test of the remaining
       system starts against a uniform calendar rejects at ``alpha`` with effect size (Cohen's
       w) >= ``min_effect`` (hours in ``timezone``);
    4. ``manual``: started by a person with no recorded cause; else ``unknown``.

    ``tables``: object tables already built (the catalog shares its own).
    """
    options = dict(process=process, channel_keys=channel_keys, message_window_s=message_window_s,
                   max_lag_s=max_lag_s, timezone=timezone, alpha=alpha, min_effect=min_effect, min_share=min_share)
    if tables is None:
        with object_tables(ws) as t:
            return triggers(ws, tables=t, **options)
    t = tables
    if process is not None and process not in t.roles:
        known = ", ".join(sorted(t.roles)) or "(none)"
        raise InputError(f"no process '{process}' in the workspace; processes: {known}")
    name = enabling(ws, t, f"{t.p}_enab")
    try:
        return _triggers(ws, t, name, **options)
    finally:
        ws.execute(f"DROP TABLE IF EXISTS {name}")


def _triggers(ws, t: ObjectTables, enab: str, *, process, channel_keys, message_window_s, max_lag_s, timezone,
              alpha, min_effect, min_share) -> Triggers:
    where, params = ("AND ev.type = ?", [process]) if process else ("", [])
    sql = STARTS_SQL.format(ev=t.ev, role=t.role, enab=enab, where=where,
                            event_keys=_keys("e", channel_keys), object_keys=_keys("o", channel_keys))
    rows = ws.rows(sql, [*params, float(message_window_s), float(max_lag_s), timezone])
    spans = {t_: (a.date(), b.date()) for t_, a, b in ws.rows(
        f"SELECT type, min(timezone(?, CAST(ts AS TIMESTAMPTZ))), max(timezone(?, CAST(ts AS TIMESTAMPTZ))) "
        f"FROM {t.ev} WHERE rn = 1 AND resource IS NULL GROUP BY type", [timezone, timezone])}
    per: dict[str, list[tuple]] = defaultdict(list)
    for r in rows:
        per[r[0]].append(r)
    found: list[Trigger] = []
    tests: list[ScheduleTest] = []
    for proc in sorted(per):
        groups: dict[tuple, list] = defaultdict(lambda: [0, []])
        total = sum(r[10] for r in per[proc])
        rest = []
        for (_, act, by_person, channel, atype, qact, lag, h, dow, dom, n, lags) in per[proc]:
            if channel is not None:
                g = groups[("external", str(channel), act)]
            elif atype is not None:
                g = groups[("process", atype, qact)]
                g[1].extend(x for x in lags if x is not None)
            else:
                rest.append((act, by_person, h, dow, dom, n))
                continue
            g[0] += n
        peaks, proc_tests = _schedule(proc, rest, spans.get(proc), alpha=alpha, min_effect=min_effect)
        tests += proc_tests
        for act, by_person, h, dow, dom, n in rest:
            label = None if by_person else _label(peaks, h, dow, dom)
            if label:
                key = ("schedule", label, act)
            elif by_person:
                key = ("manual", "person", act)
            else:
                key = ("unknown", "system", act)
            groups[key][0] += n
        for (kind, source, act), (n, lags) in groups.items():
            share = n / total if total else 0.0
            if share < min_share:
                continue
            p10, p50, p90 = quantiles(lags) if kind == "process" else (None, None, None)
            found.append(Trigger(proc, kind, source, act, int(n), round(share, 5), p50, p10, p90))
    found.sort(key=lambda x: (x.process, -x.cases, x.kind, x.source or "", x.activity or ""))
    return Triggers(tuple(found), tuple(tests))


# grid -> (bins, peak ratio, days of observation needed: two full cycles)
GRIDS = {"hour": (24, 4.0, 2), "weekday": (7, 2.5, 14), "day_of_month": (31, 4.0, 60)}


def _exposure(grid: str, first: date, last: date) -> list[float]:
    """How many times each bin occurs in the observed days (the uniform calendar to test against)."""
    if grid == "hour":
        return [1.0] * 24
    size = GRIDS[grid][0]
    counts = [0.0] * size
    day = first
    while day <= last:
        counts[day.weekday() if grid == "weekday" else day.day - 1] += 1
        day += timedelta(days=1)
    return counts


def _schedule(proc: str, rest: list[tuple], span: tuple[date, date] | None, *, alpha: float, min_effect: float
              ) -> tuple[dict[str, set[int]], list[ScheduleTest]]:
    """Chi-square tests of the unexplained starts per calendar grid; peak bins of significant grids."""
    from scipy.stats import chisquare
    rest = [r for r in rest if not r[1]]  # a schedule starts cases by itself: system starts only
    n = sum(r[5] for r in rest)
    peaks: dict[str, set[int]] = {}
    tests: list[ScheduleTest] = []
    if n < 20 or span is None:
        return peaks, tests
    days = (span[1] - span[0]).days + 1
    for grid, (size, ratio, need) in GRIDS.items():
        if days < need:
            continue
        counts = [0] * size
        for _, _, h, dow, dom, k in rest:
            counts[{"hour": h, "weekday": dow - 1, "day_of_month": dom - 1}[grid]] += k
        weights = _exposure(grid, *span)
        expected = [n * w / sum(weights) for w in weights]
        chi2, p = chisquare(counts, expected)
        w_effect = math.sqrt(chi2 / n)
        hot = {i for i in range(size) if counts[i] >= 5 and counts[i] >= ratio * expected[i]}
        significant = bool(p < alpha and w_effect >= min_effect and hot and sum(counts[i] for i in hot) >= 0.1 * n)
        tests.append(ScheduleTest(proc, grid, n, round(float(chi2), 3), float(p), round(w_effect, 4),
                                  tuple(_bin_name(grid, i) for i in sorted(hot)), significant))
        if significant:
            peaks[grid] = hot
    return peaks, tests


def _bin_name(grid: str, i: int) -> str:
    if grid == "hour":
        return f"{i:02d}:00-{(i + 1) % 24:02d}:00"
    if grid == "weekday":
        return WEEKDAYS[i]
    return f"day {i + 1}"


def _hours(hot: set[int]) -> str:
    """Peak hours as ranges: {23, 0, 1} -> '23:00-02:00'."""
    runs: list[list[int]] = []
    for i in sorted(hot):
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    if len(runs) > 1 and runs[0][0] == 0 and runs[-1][-1] == 23:
        runs[0] = runs.pop() + runs[0]
    return ", ".join(f"{r[0]:02d}:00-{(r[-1] + 1) % 24:02d}:00" for r in runs)


def _label(peaks: dict[str, set[int]], h: int, dow: int, dom: int) -> str | None:
    """The schedule a start belongs to: the peaks of each significant grid it falls in."""
    parts = []
    if dow - 1 in peaks.get("weekday", ()):
        parts.append("/".join(WEEKDAYS[i] for i in sorted(peaks["weekday"])))
    if dom - 1 in peaks.get("day_of_month", ()):
        days = sorted(peaks["day_of_month"])
        parts.append(f"day {days[0] + 1}" + (f"-{days[-1] + 1}" if len(days) > 1 else ""))
    if h in peaks.get("hour", ()):
        parts.append(_hours(peaks["hour"]))
    return " ".join(parts) or None
