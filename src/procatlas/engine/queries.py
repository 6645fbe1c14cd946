"""The event-level SQL of discovery, written once (plain DuckDB SQL that sqlglot can transpile).

A *selection* is three temporary tables built from a process and its filters:

- ``{acts}``: the activity dictionary, activity -> integer ``code`` in name order (traces of
  integers sort, hash and compare several times faster than traces of strings; codes in name
  order make integer traces sort like the names);
- ``{ev}``: the kept events of the process, one row per (case, event): cid, eid, code, ts,
  start_ts, lc (lifecycle class), and the lifecycle (lower case), resource and group (grp) the
  analyses read, so nothing joins back to ``event`` for them.  Within a case events are ordered by
  (timestamp, eid); eid increases in file order, so ties keep file order exactly like a stable sort
  by timestamp;
- ``{cases}``: one row per kept case: cid, case_id, n (events), first_ts, last_ts, duration_s,
  trace (list of codes in order) and ``variant`` (1 = most frequent variant).

Every summary below reads only these tables, and turns codes back into names at the end.
The step table ``{steps}`` (consecutive events of a case, STEPS_SQL) is built from ``{ev}`` on
first use and shared by everything that needs event order (KPIs, exception detectors).
Placeholders in braces are table names filled by the engine; values travel as ``?`` parameters.
"""

from __future__ import annotations

from typing import Any

from procatlas.model.discovery import Filters

# Columns of the event table that filters can address by name (the rest are JSON attributes).
# XES standard keys are aliases of the columns they were stored in.
EVENT_COLUMNS = {"activity": "e.activity", "resource": "e.resource", "group": 'e."group"',
                 "lifecycle": "e.lifecycle", "concept:name": "e.activity", "org:resource": "e.resource",
                 "org:group": 'e."group"', "lifecycle:transition": "e.lifecycle"}
CASE_COLUMNS = {"case": "o.id", "concept:name": "o.id", "case:concept:name": "o.id"}

ACTS_SQL = """
CREATE TEMP TABLE {acts} AS
SELECT activity, CAST(row_number() OVER (ORDER BY activity) AS INTEGER) AS code
FROM (SELECT DISTINCT activity FROM event) d
"""

CODES_SQL = "SELECT activity, code FROM {acts}"

# lc: the lifecycle as a 1-byte class (1 start, 2 complete, 0 other), all service times need
EVENTS_SQL = """
CREATE TEMP TABLE {ev} AS
SELECT eo.oid AS cid, e.eid, a.code, e.timestamp AS ts, e.start_timestamp AS start_ts,
       CAST(CASE lower(e.lifecycle) WHEN 'start' THEN 1 WHEN 'complete' THEN 2 ELSE 0 END AS TINYINT) AS lc,
       lower(e.lifecycle) AS lifecycle, e.resource, e."group" AS grp
FROM event e
JOIN event_object eo ON eo.eid = e.eid
JOIN {acts} a ON a.activity = e.activity
WHERE eo.oid IN (SELECT o.oid FROM object o WHERE o.type = ? {case_where}) {where}
"""

CASES_SQL = """
CREATE TEMP TABLE {cases} AS
WITH c AS (
    SELECT ev.cid, count(*) AS n, min(ev.ts) AS first_ts, max(ev.ts) AS last_ts,
           date_diff('microsecond', min(ev.ts), max(ev.ts)) / 1e6 AS duration_s,
           list(ev.code ORDER BY ev.ts, ev.eid) AS trace
    FROM {ev} ev
    GROUP BY ev.cid
    {having}
), v AS (
    SELECT trace, count(*) AS cnt, row_number() OVER (ORDER BY count(*) DESC, trace) AS variant
    FROM c GROUP BY trace
)
SELECT c.cid, o.id AS case_id, c.n, c.first_ts, c.last_ts, c.duration_s, c.trace, v.variant
FROM c JOIN v ON v.trace = c.trace JOIN object o ON o.oid = c.cid
{variant_where}
"""

# Drop events of cases removed by case-level filters (run only when some were removed).
PRUNE_EVENTS_SQL = "DELETE FROM {ev} WHERE cid NOT IN (SELECT cid FROM {cases})"

# {steps}: every kept event with its position in the case and the event after it, in one window
# pass (one sort of the events by case, timestamp, eid).  after_r, after_g: resource and group of
# the next event of the case *that has a resource* (handovers).  Names are codes: decode with the
# activity dictionary.
STEPS_SQL = """
CREATE OR REPLACE TEMP TABLE {steps} AS
SELECT cid, eid, pos, code, lc, lifecycle, resource, grp, ts, next_code, next_lc, next_ts, next_eid, {after_columns}
FROM (
    SELECT cid, eid, CAST(row_number() OVER w AS INTEGER) AS pos, code, lc, lifecycle, resource, grp, ts,
           lead(code) OVER w AS next_code, lead(lc) OVER w AS next_lc, lead(ts) OVER w AS next_ts,
           lead(eid) OVER w AS next_eid, {after} AS after
    FROM {ev}
    WINDOW w AS (PARTITION BY cid ORDER BY ts, eid)
) s
"""
# {after} and {after_columns} of STEPS_SQL, by whether some event has a group: a struct per event
# costs a sixth of the pass, and without event groups after_g is NULL anyway
STEPS_AFTER = {
    True: ("lead(CASE WHEN resource IS NOT NULL THEN {'r': resource, 'g': grp} END IGNORE NULLS) OVER w",
           "after.r AS after_r, after.g AS after_g"),
    False: ("lead(resource IGNORE NULLS) OVER w", "after AS after_r, CAST(NULL AS VARCHAR) AS after_g"),
}

TOTALS_SQL = "SELECT count(*) AS cases, CAST(coalesce(sum(n), 0) AS BIGINT) AS events FROM {cases}"

# Counting summaries come from the variant table (one row per distinct trace): exact, and
# small whatever the number of events.
_VARIANTS = """
WITH v AS (
    SELECT variant, any_value(trace) AS trace, count(*) AS cnt FROM {cases} GROUP BY variant
)"""

DFG_COUNTS_SQL = _VARIANTS + """, steps AS (
    SELECT v.variant, v.cnt, v.trace[i] AS s, v.trace[i + 1] AS t
    FROM v, unnest(range(1, array_length(v.trace))) r(i)
), per_variant AS (
    SELECT variant, any_value(cnt) AS cnt, s, t, count(*) AS occurrences
    FROM steps GROUP BY variant, s, t
), edges AS (
    SELECT s, t, CAST(sum(cnt * occurrences) AS BIGINT) AS frequency, CAST(sum(cnt) AS BIGINT) AS cases
    FROM per_variant GROUP BY s, t
)
SELECT a.activity AS source, b.activity AS target, edges.frequency, edges.cases
FROM edges JOIN {acts} a ON a.code = edges.s JOIN {acts} b ON b.code = edges.t
ORDER BY frequency DESC, source, target
"""

# Transition times need the events: consecutive events of a case, ordered by (timestamp, eid).
DFG_SQL = """
WITH pairs AS (
    SELECT cid, code AS s, lead(code) OVER w AS t,
           date_diff('microsecond', ts, lead(ts) OVER w) / 1e6 AS d
    FROM {ev}
    WINDOW w AS (PARTITION BY cid ORDER BY ts, eid)
), edges AS (
    SELECT s, t, count(*) AS frequency, count(DISTINCT cid) AS cases,
           avg(d) AS mean_s, median(d) AS median_s, quantile_cont(d, 0.9) AS p90_s, max(d) AS max_s
    FROM pairs
    WHERE t IS NOT NULL
    GROUP BY s, t
)
SELECT a.activity AS source, b.activity AS target, edges.frequency, edges.cases,
       edges.mean_s, edges.median_s, edges.p90_s, edges.max_s
FROM edges JOIN {acts} a ON a.code = edges.s JOIN {acts} b ON b.code = edges.t
ORDER BY frequency DESC, source, target
"""

START_SQL = """
SELECT a.activity, count(*) AS cases FROM {cases} c JOIN {acts} a ON a.code = c.trace[1]
GROUP BY a.activity ORDER BY cases DESC, a.activity
"""

END_SQL = """
SELECT a.activity, count(*) AS cases FROM {cases} c JOIN {acts} a ON a.code = c.trace[array_length(c.trace)]
GROUP BY a.activity ORDER BY cases DESC, a.activity
"""

# Service time: a START is paired with the COMPLETE of the same case and activity that has
# the same ordinal among its kind (first start with first complete, ...), the usual FIFO
# pairing of lifecycle logs; events with their own start timestamp are measured directly.
ACTIVITIES_SQL = _VARIANTS + """, occ AS (
    SELECT variant, any_value(cnt) AS cnt, x.code, count(*) AS occurrences
    FROM v, unnest(v.trace) x(code) GROUP BY variant, x.code
), counts AS (
    SELECT code, CAST(sum(cnt * occurrences) AS BIGINT) AS events, CAST(sum(cnt) AS BIGINT) AS cases
    FROM occ GROUP BY code
), s AS (
    SELECT cid, code, ts, row_number() OVER (PARTITION BY cid, code ORDER BY ts, eid) AS r
    FROM {ev} WHERE lc = 1
), c AS (
    SELECT cid, code, ts, row_number() OVER (PARTITION BY cid, code ORDER BY ts, eid) AS r
    FROM {ev} WHERE lc = 2
), d AS (
    SELECT c.code, date_diff('microsecond', s.ts, c.ts) / 1e6 AS service_s
    FROM s JOIN c ON c.cid = s.cid AND c.code = s.code AND c.r = s.r
    WHERE c.ts >= s.ts
    UNION ALL
    SELECT code, date_diff('microsecond', start_ts, ts) / 1e6 AS service_s
    FROM {ev} WHERE start_ts IS NOT NULL AND ts >= start_ts
), st AS (
    SELECT code, count(*) AS timed, avg(service_s) AS service_mean_s, median(service_s) AS service_median_s,
           quantile_cont(service_s, 0.9) AS service_p90_s, max(service_s) AS service_max_s
    FROM d GROUP BY code
)
SELECT a.activity, counts.events, counts.cases, coalesce(st.timed, 0) AS timed,
       st.service_mean_s, st.service_median_s, st.service_p90_s, st.service_max_s
FROM counts JOIN {acts} a ON a.code = counts.code LEFT JOIN st ON st.code = counts.code
ORDER BY counts.events DESC, a.activity
"""

# codes are 1-based positions in the name-ordered list of activities: list_select decodes
VARIANTS_SQL = """
WITH stats AS (
    SELECT variant, any_value(trace) AS trace, count(*) AS cases,
           count(*) / (SELECT count(*) FROM {cases}) AS share,
           avg(duration_s) AS mean_s, median(duration_s) AS median_s,
           quantile_cont(duration_s, 0.9) AS p90_s, min(duration_s) AS min_s, max(duration_s) AS max_s
    FROM {cases}
    GROUP BY variant
), names AS (
    SELECT list(activity ORDER BY code) AS names FROM {acts}
)
SELECT stats.variant, list_select(names.names, stats.trace) AS activities, stats.cases, stats.share,
       stats.mean_s, stats.median_s, stats.p90_s, stats.min_s, stats.max_s
FROM stats, names
ORDER BY stats.variant
"""

CASE_DURATIONS_SQL = """
SELECT case_id, n AS events, first_ts AS "start", last_ts AS "end", duration_s, variant
FROM {cases}
ORDER BY first_ts, cid
"""


def _json_path(name: str) -> str:
    return '$."' + name.replace('"', '\\"') + '"'


def _in(expr: str, values: tuple[str, ...], params: list) -> str:
    params.extend(values)
    return f"{expr} IN ({', '.join('?' * len(values))})"


def event_where(filters: Filters) -> tuple[str, list[Any], str, list[Any]]:
    """``AND ...`` conditions: on event e (event-level filters) and on object o (case attributes).

    Returns (event conditions, their parameters, object conditions, their parameters).
    """
    parts: list[str] = []
    params: list[Any] = []
    for name, values in filters.event_attributes:
        if name in EVENT_COLUMNS:
            parts.append(_in(EVENT_COLUMNS[name], values, params))
        else:
            params.append(_json_path(name))
            parts.append(_in("json_extract_string(e.attributes, ?)", values, params))
    if filters.time_mode == "trim":
        if filters.start is not None:
            parts.append("e.timestamp >= ?")
            params.append(filters.start)
        if filters.end is not None:
            parts.append("e.timestamp <= ?")
            params.append(filters.end)
    cparts: list[str] = []
    cparams: list[Any] = []
    for name, values in filters.case_attributes:
        if name in CASE_COLUMNS:
            cparts.append(_in(CASE_COLUMNS[name], values, cparams))
        else:
            cparams.append(_json_path(name.removeprefix("case:")))
            cparts.append(_in("json_extract_string(o.attributes, ?)", values, cparams))
    return ("".join(f" AND {p}" for p in parts), params, "".join(f" AND {p}" for p in cparts), cparams)


def case_having(filters: Filters, codes: dict[str, int]) -> tuple[str, list[Any]]:
    """``HAVING ...`` for the case-level filters evaluated on the grouped events of a case
    (``codes``: the activity dictionary, to test activities by code)."""
    parts: list[str] = []
    params: list[Any] = []
    lo, hi, mode = filters.start, filters.end, filters.time_mode
    if mode != "trim" and (lo is not None or hi is not None):
        first, last = "min(ev.ts)", "max(ev.ts)"
        if mode == "contained":
            checks = [(first, ">=", lo), (last, "<=", hi)]
        elif mode == "started":
            checks = [(first, ">=", lo), (first, "<=", hi)]
        elif mode == "completed":
            checks = [(last, ">=", lo), (last, "<=", hi)]
        else:  # intersecting
            checks = [(last, ">=", lo), (first, "<=", hi)]
        for expr, op, value in checks:
            if value is not None:
                parts.append(f"{expr} {op} ?")
                params.append(value)
    with_codes = tuple(codes[a] for a in filters.with_activities if a in codes)
    if filters.with_activities:
        parts.append("bool_or(" + _in("ev.code", with_codes, params) + ")" if with_codes else "false")
    without_codes = tuple(codes[a] for a in filters.without_activities if a in codes)
    if without_codes:
        parts.append("NOT bool_or(" + _in("ev.code", without_codes, params) + ")")
    duration = "date_diff('microsecond', min(ev.ts), max(ev.ts)) / 1e6"
    if filters.min_duration is not None:
        parts.append(f"{duration} >= ?")
        params.append(filters.min_duration)
    if filters.max_duration is not None:
        parts.append(f"{duration} <= ?")
        params.append(filters.max_duration)
    return ("HAVING " + " AND ".join(parts)) if parts else "", params


def variant_where(filters: Filters) -> tuple[str, list[Any]]:
    parts: list[str] = []
    params: list[Any] = []
    if filters.top_variants is not None:
        parts.append("v.variant <= ?")
        params.append(int(filters.top_variants))
    if filters.min_variant_share is not None:
        parts.append("v.cnt >= ? * (SELECT count(*) FROM c)")
        params.append(float(filters.min_variant_share))
    return ("WHERE " + " AND ".join(parts)) if parts else "", params
