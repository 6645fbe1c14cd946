"""Unusual resources: an activity done by a person or group that rarely does it."""

from __future__ import annotations

from procatlas.hotspots.settings import ExceptionSettings


def unusual_sql(column: str, what: str, s: ExceptionSettings) -> tuple[str, list]:
    sql = f"""
WITH ar AS (SELECT activity, {column} AS who, count(*) AS n FROM {{st}} WHERE {column} IS NOT NULL GROUP BY ALL),
a AS (SELECT activity, sum(n) AS tot FROM ar GROUP BY activity)
SELECT st.cid, st.eid, 'unusual_resource', st.activity, NULL, NULL,
       printf('%s by %s %s, who did it %d of %d times', st.activity, '{what}', ar.who, ar.n, CAST(a.tot AS BIGINT)),
       '{what}=' || ar.who
FROM {{st}} st JOIN ar ON ar.activity = st.activity AND ar.who = st.{column} JOIN a ON a.activity = st.activity
WHERE a.tot >= ? AND ar.n <= ? AND ar.n < ? * a.tot
"""
    return sql, [s.unusual_min_activity_events, s.unusual_max_events, s.unusual_share]
