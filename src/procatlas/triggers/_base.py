"""The object-level working tables every verb of triggers/ reads (built in SQL, dropped after use).

- ``{p}_eo``: (eid, oid, type), event-object links without duplicates;
- ``{p}_ev``: one row per (object, event) with activity, resource, group, ``rn`` (position in the
  object's events ordered by (timestamp, eid)), ``n`` (events of the object) and ``prev_ts``;
- ``{p}_home``: each activity's home object type (the type whose objects it covers best, with one
  object per event; ties to the type with more objects, then more events);
- ``{p}_role``: each object type with events: role (process, document, batch, master data),
  ``part_of`` and ``family`` (the root process of documents).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from procatlas.workspace.core import Workspace

_ids = itertools.count(1)

EO_SQL = """
CREATE TEMP TABLE {p}_eo AS
SELECT DISTINCT eo.eid, eo.oid, o.type FROM event_object eo JOIN object o ON o.oid = eo.oid
"""

EV_SQL = """
CREATE TEMP TABLE {p}_ev AS
SELECT x.oid, x.type, e.eid, e.timestamp AS ts, e.activity, e.resource,
       coalesce(e."group", json_extract_string(e.attributes, '$."org:group"'), pg.grp) AS grp,
       row_number() OVER w AS rn, count(*) OVER (PARTITION BY x.oid) AS n,
       lag(e.timestamp) OVER w AS prev_ts, lag(e.eid) OVER w AS prev_eid
FROM {p}_eo x JOIN event e ON e.eid = x.eid
LEFT JOIN (SELECT id, min("group") AS grp FROM person GROUP BY id) pg ON pg.id = e.resource
WINDOW w AS (PARTITION BY x.oid ORDER BY e.timestamp, e.eid)
"""

# coverage: share of the type's objects with the activity; per_event: objects of the type per event
HOME_SQL = """
CREATE TEMP TABLE {p}_home AS
WITH t AS (SELECT type, count(DISTINCT oid) AS objs, count(*) AS links FROM {p}_ev GROUP BY type),
a AS (SELECT activity, type, count(DISTINCT oid) AS objs, count(*) AS links, count(DISTINCT eid) AS events
      FROM {p}_ev GROUP BY activity, type)
SELECT a.activity, a.type FROM a JOIN t ON t.type = a.type
QUALIFY row_number() OVER (PARTITION BY a.activity ORDER BY (a.objs / t.objs) / (a.links / a.events) DESC,
                           t.objs DESC, t.links DESC, a.type) = 1
"""

# B is a document of A when (>= 90 % of B objects) its start event holds exactly one A object
# that started before, and it is related to exactly one A object at all; and >= 80 % of the A
# objects have a B.  A type owning no home activity is a batch (its objects' events happen
# within an hour) or master data.
ROLE_SQL = """
CREATE TEMP TABLE {p}_role AS
WITH starts AS (SELECT oid, type, eid, ts FROM {p}_ev WHERE rn = 1),
firsts AS (SELECT oid, type, ts AS first_ts, eid AS first_eid FROM {p}_ev WHERE rn = 1),
rel AS (
    SELECT DISTINCT b, a FROM (
        SELECT source_oid AS b, target_oid AS a FROM object_object
        UNION ALL SELECT target_oid, source_oid FROM object_object
        UNION ALL SELECT x.oid, y.oid FROM {p}_eo x JOIN {p}_eo y ON y.eid = x.eid AND y.oid <> x.oid)),
relcount AS (SELECT r.b, o.type AS atype, count(*) AS k FROM rel r JOIN object o ON o.oid = r.a GROUP BY ALL),
cand AS (
    SELECT s.oid AS b, s.type AS btype, y.type AS atype, count(*) AS k,
           bool_and(f.first_ts < s.ts OR (f.first_ts = s.ts AND f.first_eid < s.eid)) AS earlier
    FROM starts s JOIN {p}_eo y ON y.eid = s.eid AND y.oid <> s.oid AND y.type <> s.type
    JOIN firsts f ON f.oid = y.oid
    GROUP BY ALL),
ntype AS (SELECT type, count(DISTINCT oid) AS objs FROM {p}_ev GROUP BY type),
good AS (
    SELECT c.btype, c.atype, count(*) AS n
    FROM cand c JOIN relcount rc ON rc.b = c.b AND rc.atype = c.atype
    WHERE c.k = 1 AND c.earlier AND rc.k = 1 GROUP BY ALL),
cover AS (
    SELECT ob.type AS btype, oa.type AS atype, count(DISTINCT r.a) AS n
    FROM rel r JOIN object ob ON ob.oid = r.b JOIN object oa ON oa.oid = r.a GROUP BY ALL),
owns AS (SELECT type, count(*) AS acts FROM {p}_home GROUP BY type),
span AS (SELECT type, avg(CASE WHEN date_diff('second', min_ts, max_ts) <= 3600 THEN 1 ELSE 0 END) AS instant
         FROM (SELECT type, oid, min(ts) AS min_ts, max(ts) AS max_ts FROM {p}_ev GROUP BY ALL) GROUP BY type),
doc AS (
    SELECT g.btype, arg_max(g.atype, g.n) AS parent
    FROM good g JOIN ntype nb ON nb.type = g.btype JOIN ntype na ON na.type = g.atype
    JOIN cover cv ON cv.btype = g.atype AND cv.atype = g.btype
    LEFT JOIN owns ow ON ow.type = g.atype
    WHERE g.n >= 0.9 * nb.objs AND cv.n >= 0.8 * na.objs AND coalesce(ow.acts, 0) > 0
    GROUP BY g.btype)
SELECT t.type,
       CASE WHEN d.parent IS NOT NULL THEN 'document'
            WHEN coalesce(ow.acts, 0) = 0 AND coalesce(sp.instant, 0) >= 0.5 THEN 'batch'
            WHEN coalesce(ow.acts, 0) = 0 THEN 'master data'
            ELSE 'process' END AS role,
       d.parent AS part_of
FROM ntype t LEFT JOIN doc d ON d.btype = t.type LEFT JOIN owns ow ON ow.type = t.type
LEFT JOIN span sp ON sp.type = t.type
"""


class ObjectTables:
    """Names of the working tables of one analysis, and the families of the object types."""

    def __init__(self, ws: Workspace, prefix: str):
        self.ws = ws
        self.p = prefix
        self.eo, self.ev, self.home, self.role = (f"{prefix}_{s}" for s in ("eo", "ev", "home", "role"))
        roles = ws.rows(f"SELECT type, role, part_of FROM {self.role} ORDER BY type")
        self.roles = {t: r for t, r, _ in roles}
        self.part_of = {t: p for t, _, p in roles}

    def family(self, otype: str) -> str:
        """The root process of a type (documents climb to their parent; cycles stop)."""
        seen = {otype}
        while self.part_of.get(otype) and self.part_of[otype] not in seen:
            otype = self.part_of[otype]
            seen.add(otype)
        return otype


# id(workspace) -> the tables kept by shared_object_tables (None until an analysis builds them).
# A context variable, not a module dict: an analysis run on another thread with the same workspace
# object builds and drops its own tables instead of reading tables that the sharing thread drops
# when it leaves.
_shared: ContextVar[dict[int, ObjectTables | None]] = ContextVar("procatlas_shared_object_tables")
_PARTS = ((EO_SQL, "eo"), (EV_SQL, "ev"), (HOME_SQL, "home"), (ROLE_SQL, "role"))


def _build(ws: Workspace) -> ObjectTables:
    p = f"pa_trg{next(_ids)}"
    try:
        for sql, _name in _PARTS:
            ws.execute(sql.format(p=p))
        return ObjectTables(ws, p)
    except BaseException:
        _drop(ws, p)
        raise


def _drop(ws: Workspace, p: str) -> None:
    for _sql, name in reversed(_PARTS):
        ws.execute(f"DROP TABLE IF EXISTS {p}_{name}")


@contextmanager
def object_tables(ws: Workspace) -> Iterator[ObjectTables]:
    """The working tables of one analysis (built now, dropped after), or, inside
    :func:`shared_object_tables`, those of the first analysis, kept for the next."""
    shared = _shared.get({})
    if id(ws) in shared:
        if shared[id(ws)] is None:
            shared[id(ws)] = _build(ws)
        yield shared[id(ws)]
        return
    tables = _build(ws)
    try:
        yield tables
    finally:
        _drop(ws, tables.p)


@contextmanager
def shared_object_tables(ws: Workspace) -> Iterator[None]:
    """Inside, the analyses of ``ws`` build the working tables once (the atlas runs inventory,
    catalog, triggers and dependencies on the same data; on Spark each build is many jobs)."""
    shared = _shared.get({})
    if id(ws) in shared:
        yield
        return
    token = _shared.set({**shared, id(ws): None})
    try:
        yield
    finally:
        kept = _shared.get()[id(ws)]
        _shared.reset(token)
        if kept is not None:
            _drop(ws, kept.p)


def quantiles(values: list[float]) -> tuple[float | None, float | None, float | None]:
    """(p10, median, p90) of a small list of numbers (None when empty)."""
    if not values:
        return None, None, None
    import numpy as np
    q = np.percentile(np.asarray(values, dtype=float), [10, 50, 90])
    return float(q[0]), float(q[1]), float(q[2])
