"""The per-process step table every detector reads (SQL written once, DuckDB dialect)."""

from __future__ import annotations

# {st}: the selection's step table {steps} (engine.queries.STEPS_SQL: one row per kept event with
# cid, eid, pos (1-based, by timestamp then eid), code, lifecycle, resource, grp, ts and the next
# event's code, ts and eid) with the activity names decoded, for queries that want names.  The
# detectors themselves group and join on the integer codes of {steps} and decode at the end.
NAMED_STEPS_SQL = """
CREATE TEMP VIEW {st} AS
SELECT s.*, n.names[s.code] AS activity, n.names[s.next_code] AS next_activity
FROM {steps} s, (SELECT list(activity ORDER BY code) AS names FROM {acts}) n
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
FROM vrows r JOIN {cases} c ON c.variant = r.variant JOIN {steps} st ON st.cid = c.cid AND st.pos = r.pos
"""

RESULT_SQL = """
SELECT ? AS process, c.case_id, x.type, x.activity, x.target, st.resource, st.grp AS "group",
       coalesce(st.ts, c.last_ts) AS "time", x.delay_s, x.explanation, x.detail
FROM {ex} x JOIN {cases} c ON c.cid = x.cid LEFT JOIN {steps} st ON st.eid = x.eid AND st.cid = x.cid
ORDER BY c.first_ts, x.cid, "time", x.type
"""


def hours(expr: str) -> str:
    """SQL text of a duration in seconds as '12.3 h' / '4.5 d'."""
    return (f"CASE WHEN {expr} >= 172800 THEN printf('%.1f d', {expr} / 86400.0) "
            f"ELSE printf('%.1f h', {expr} / 3600.0) END")
