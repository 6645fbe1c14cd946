"""The per-process step table every detector reads (SQL written once, DuckDB dialect)."""

from __future__ import annotations

# {st}: one row per kept event of the selection, ordered within its case by (timestamp, eid):
# pos (1-based), the activity, lifecycle, resource, group, and the next event of the case.
STEPS_SQL = """
CREATE TEMP TABLE {st} AS
SELECT ev.cid, c.variant, ev.eid, CAST(row_number() OVER w AS INTEGER) AS pos, a.activity,
       lower(e.lifecycle) AS lifecycle, e.resource, e."group" AS grp, ev.ts,
       lead(a.activity) OVER w AS next_activity, lead(ev.ts) OVER w AS next_ts, lead(ev.eid) OVER w AS next_eid
FROM {ev} ev JOIN {cases} c ON c.cid = ev.cid JOIN {acts} a ON a.code = ev.code JOIN event e ON e.eid = ev.eid
WINDOW w AS (PARTITION BY ev.cid ORDER BY ev.ts, ev.eid)
"""

# the detectors' rows: (cid, eid) locate the event; a NULL eid means the case as a whole
EX_SQL = """
CREATE TEMP TABLE {ex} (cid BIGINT, eid BIGINT, type VARCHAR, activity VARCHAR, target VARCHAR,
                        delay_s DOUBLE, explanation VARCHAR, detail VARCHAR)
"""

# rows found on the variant table (variant, pos) become rows of every case of the variant
VARIANT_ROWS_SQL = """
INSERT INTO {ex}
SELECT st.cid, st.eid, r.type, r.activity, r.target, r.delay_s, r.explanation, r.detail
FROM vrows r JOIN {st} st ON st.variant = r.variant AND st.pos = r.pos
"""

RESULT_SQL = """
SELECT ? AS process, c.case_id, x.type, x.activity, x.target, st.resource, st.grp AS "group",
       coalesce(st.ts, c.last_ts) AS "time", x.delay_s, x.explanation, x.detail
FROM {ex} x JOIN {cases} c ON c.cid = x.cid LEFT JOIN {st} st ON st.eid = x.eid AND st.cid = x.cid
ORDER BY c.first_ts, x.cid, "time", x.type
"""


def hours(expr: str) -> str:
    """SQL text of a duration in seconds as '12.3 h' / '4.5 d'."""
    return (f"CASE WHEN {expr} >= 172800 THEN printf('%.1f d', {expr} / 86400.0) "
            f"ELSE printf('%.1f h', {expr} / 3600.0) END")
