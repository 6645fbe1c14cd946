"""The process inventory: every object type with events as a process candidate."""

from __future__ import annotations

import json

from procatlas.model.triggers import Inventory, ProcessCandidate
from procatlas.triggers._base import object_tables
from procatlas.workspace.core import Workspace

TYPES_SQL = """
WITH per AS (
    SELECT type, oid, min(ts) AS first_ts, max(ts) AS last_ts,
           date_diff('microsecond', min(ts), max(ts)) / 1e6 AS dur
    FROM {ev} GROUP BY type, oid),
agg AS (
    SELECT type, count(*) AS objects, min(first_ts) AS first, max(last_ts) AS last, median(dur) AS d50,
           quantile_cont(dur, 0.9) AS d90
    FROM per GROUP BY type),
ty AS (SELECT type, count(DISTINCT eid) AS events, count(DISTINCT resource) AS people FROM {ev} GROUP BY type)
SELECT agg.type, agg.objects, ty.events, agg.first, agg.last, agg.d50, agg.d90, ty.people
FROM agg JOIN ty ON ty.type = agg.type ORDER BY agg.objects DESC, agg.type
"""

# small per-type lists as JSON: activities, start/end activities, groups, cases started per month
LISTS_SQL = """
SELECT type,
  (SELECT to_json(list(activity ORDER BY n DESC, activity)) FROM
     (SELECT activity, count(*) AS n FROM {ev} x WHERE x.type = t.type GROUP BY activity)),
  (SELECT to_json(list([activity, CAST(n AS VARCHAR)] ORDER BY n DESC, activity)) FROM
     (SELECT activity, count(*) AS n FROM {ev} x WHERE x.type = t.type AND rn = 1 GROUP BY activity)),
  (SELECT to_json(list([activity, CAST(n AS VARCHAR)] ORDER BY n DESC, activity)) FROM
     (SELECT activity, count(*) AS n FROM {ev} x WHERE x.type = t.type AND rn = x.n GROUP BY activity)),
  (SELECT to_json(list([grp, CAST(n AS VARCHAR)] ORDER BY n DESC, grp)) FROM
     (SELECT grp, count(DISTINCT eid) AS n FROM {ev} x WHERE x.type = t.type AND grp IS NOT NULL GROUP BY grp)),
  (SELECT to_json(list([m, CAST(n AS VARCHAR)] ORDER BY m)) FROM
     (SELECT strftime(date_trunc('month', ts), '%Y-%m') AS m, count(*) AS n FROM {ev} x
      WHERE x.type = t.type AND rn = 1 GROUP BY m))
FROM (SELECT DISTINCT type FROM {ev}) t
"""


def _pairs(text: str | None) -> tuple[tuple[str, int], ...]:
    return tuple((a, int(n)) for a, n in json.loads(text)) if text else ()


def inventory(ws: Workspace) -> Inventory:
    """Every object type with events: volumes, start/end activities, duration, people and groups."""
    with object_tables(ws) as t:
        lists = {r[0]: r[1:] for r in ws.rows(LISTS_SQL.format(ev=t.ev))}
        out = []
        for otype, objects, events, first, last, d50, d90, people in ws.rows(TYPES_SQL.format(ev=t.ev)):
            acts, starts, ends, groups, volume = lists[otype]
            out.append(ProcessCandidate(
                process=otype, role=t.roles.get(otype, "process"), part_of=t.part_of.get(otype),
                objects=int(objects), events=int(events), activities=tuple(json.loads(acts) if acts else ()),
                start_activities=_pairs(starts), end_activities=_pairs(ends),
                first=first.isoformat() if first else None, last=last.isoformat() if last else None,
                duration_median_s=d50, duration_p90_s=d90, people=int(people), groups=_pairs(groups),
                volume=_pairs(volume)))
    return Inventory(tuple(out))
