"""Unusual resources: an activity done by a person or group that rarely does it."""

from __future__ import annotations

from procatlas.hotspots.settings import ExceptionSettings


def unusual_sql(column: str, what: str, s: ExceptionSettings) -> tuple[str, list]:
    sql = f"""
WITH ar AS (SELECT code, {column} AS who, count(*) AS n FROM {{steps}} WHERE {column} IS NOT NULL GROUP BY ALL),
a AS (SELECT code, sum(n) AS tot FROM ar GROUP BY code)
SELECT st.cid, st.eid, 'unusual_resource', x.activity, NULL, NULL,
       printf('%s by %s %s, who did it %d of %d times', x.activity, '{what}', ar.who, ar.n, CAST(a.tot AS BIGINT)),
       '{what}=' || ar.who
FROM {{steps}} st JOIN ar ON ar.code = st.code AND ar.who = st.{column} JOIN a ON a.code = st.code
JOIN {{acts}} x ON x.code = st.code
WHERE a.tot >= ? AND ar.n <= ? AND ar.n < ? * a.tot
"""
    return sql, [s.unusual_min_activity_events, s.unusual_max_events, s.unusual_share]
