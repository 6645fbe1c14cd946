"""The event catalog: one row per activity, in the process (object type) it belongs to."""

from __future__ import annotations

import json

from procatlas.model.triggers import Catalog, CatalogEntry, Triggers
from procatlas.triggers._base import object_tables
from procatlas.workspace.core import Workspace

# Each activity is described in its home type's cases (see _base.HOME_SQL): position, neighbours.
CATALOG_SQL = """
WITH h AS (SELECT ev.*, lag(ev.activity) OVER w AS prev_act, lead(ev.activity) OVER w AS next_act
           FROM {ev} ev WINDOW w AS (PARTITION BY ev.oid ORDER BY ev.rn)),
mine AS (SELECT h.* FROM h JOIN {home} home ON home.activity = h.activity AND home.type = h.type),
types AS (SELECT activity, list(DISTINCT type ORDER BY type) AS types FROM {ev} GROUP BY activity),
ev1 AS (SELECT DISTINCT activity, eid, resource, grp FROM {ev}),
res AS (SELECT activity, to_json(list([resource, CAST(n AS VARCHAR)] ORDER BY n DESC, resource)[1:3]) AS top,
               sum(n) AS with_person
        FROM (SELECT activity, resource, count(*) AS n FROM ev1 WHERE resource IS NOT NULL GROUP BY ALL)
        GROUP BY activity),
grp AS (SELECT activity, to_json(list([grp, CAST(n AS VARCHAR)] ORDER BY n DESC, grp)[1:3]) AS top
        FROM (SELECT activity, grp, count(*) AS n FROM ev1 WHERE grp IS NOT NULL GROUP BY ALL) GROUP BY activity),
nb AS (SELECT activity, 'before' AS side, coalesce(prev_act, '(start)') AS other, count(*) AS n FROM mine GROUP BY ALL
       UNION ALL
       SELECT activity, 'after', coalesce(next_act, '(end)'), count(*) FROM mine GROUP BY ALL),
nbj AS (SELECT activity, side, to_json(list([other, CAST(n AS VARCHAR)] ORDER BY n DESC, other)[1:3]) AS top,
               sum(n) AS total
        FROM nb GROUP BY activity, side),
main AS (SELECT type, activity, count(DISTINCT eid) AS events, count(DISTINCT oid) AS cases,
                median(CASE WHEN n > 1 THEN (rn - 1) / (n - 1) END) AS position,
                avg(CASE WHEN rn = 1 THEN 1.0 ELSE 0.0 END) AS first_share
         FROM mine GROUP BY type, activity),
allev AS (SELECT activity, count(*) AS events FROM ev1 GROUP BY activity)
SELECT main.type, main.activity, to_json(types.types), main.events, main.cases, main.position, main.first_share,
       res.top, grp.top, coalesce(res.with_person, 0) / allev.events AS person_share,
       b.top, b.total, a.top, a.total
FROM main JOIN types ON types.activity = main.activity JOIN allev ON allev.activity = main.activity
LEFT JOIN res ON res.activity = main.activity LEFT JOIN grp ON grp.activity = main.activity
LEFT JOIN nbj b ON b.activity = main.activity AND b.side = 'before'
LEFT JOIN nbj a ON a.activity = main.activity AND a.side = 'after'
ORDER BY main.type, main.position NULLS FIRST, main.events DESC, main.activity
"""


def _pairs(text: str | None) -> tuple[tuple[str, int], ...]:
    return tuple((a, int(n)) for a, n in json.loads(text)) if text else ()


def _shares(text: str | None, total: int | None) -> tuple[tuple[str, float], ...]:
    return tuple((a, round(n / total, 4)) for a, n in _pairs(text)) if total else ()


def catalog(ws: Workspace, *, triggers: Triggers | None = None) -> Catalog:
    """One row per activity: process, frequency, cases, position, people, trigger, neighbours.

    ``trigger`` is ``start:<kind>`` for activities that mostly start their cases (the kind of
    trigger most of those cases have, from ``triggers``), else ``person``, ``system`` or
    ``mixed`` by the share of its events that have a resource.
    """
    with object_tables(ws) as tb:
        if triggers is None:
            from procatlas.triggers.triggers import triggers as find
            triggers = find(ws, tables=tb)
        rows = ws.rows(CATALOG_SQL.format(ev=tb.ev, home=tb.home))
    start_kind: dict[tuple[str, str], dict[str, int]] = {}
    for t in triggers.triggers:
        act = t.activity if t.kind != "process" else None
        if act is not None:
            start_kind.setdefault((t.process, act), {}).setdefault(t.kind, 0)
            start_kind[(t.process, act)][t.kind] += t.cases
    by_process: dict[str, dict[str, int]] = {}
    for t in triggers.triggers:
        by_process.setdefault(t.process, {}).setdefault(t.kind, 0)
        by_process[t.process][t.kind] += t.cases
    entries = []
    for (otype, act, types, events, cases, position, first_share, res, grp, person_share,
         before, before_n, after, after_n) in rows:
        if first_share >= 0.5:
            kinds = start_kind.get((otype, act)) or {}
            if sum(kinds.values()) < 0.5 * first_share * events:  # most of its cases: another process
                kinds = by_process.get(otype) or {}
            trigger = "start:" + (max(sorted(kinds), key=lambda k: kinds[k]) if kinds else "unknown")
        else:
            trigger = "person" if person_share >= 0.9 else "system" if person_share <= 0.1 else "mixed"
        entries.append(CatalogEntry(otype, act, tuple(json.loads(types)), int(events), int(cases), position,
                                    float(first_share), _pairs(res), _pairs(grp), trigger,
                                    _shares(before, before_n), _shares(after, after_n)))
    return Catalog(tuple(entries))
