"""Per person / per group statistics, resource x activity matrix, workload per week and discovered roles."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from procatlas.model.people import PeopleReport, Roles
from procatlas.people.networks import MATRIX_SQL, PeopleEvents, network, profiles
from procatlas.workspace.core import Workspace

STATS_SQL = """
WITH s AS (SELECT cid, eid, ts, resource, grp, activity, {actor} AS a FROM {ev} {where}),
h AS (
    SELECT a, resource AS r1, lead(resource) OVER w AS r2, grp AS g1, lead(grp) OVER w AS g2, lead(a) OVER w AS b
    FROM s WINDOW w AS (PARTITION BY cid ORDER BY ts, eid)
), ends AS (
    -- a handover is a change of person; it is cross-group when the groups differ
    SELECT a AS actor, g1 IS DISTINCT FROM g2 AND g1 IS NOT NULL AND g2 IS NOT NULL AS is_cross FROM h
    WHERE r2 IS NOT NULL AND r1 <> r2
    UNION ALL
    SELECT b, g1 IS DISTINCT FROM g2 AND g1 IS NOT NULL AND g2 IS NOT NULL FROM h
    WHERE r2 IS NOT NULL AND r1 <> r2 AND b IS NOT NULL AND b <> a
), x AS (SELECT actor, count(*) AS handovers, avg(CAST(is_cross AS INTEGER)) AS cross_group_share FROM ends GROUP BY 1)
SELECT s.a AS {label}, {group_col} count(*) AS events, count(DISTINCT s.cid) AS cases,
       count(DISTINCT s.activity) AS activities, count(DISTINCT CAST(s.ts AS DATE)) AS active_days,
       min(s.ts) AS first, max(s.ts) AS last,
       coalesce(any_value(x.handovers), 0) AS handovers, any_value(x.cross_group_share) AS cross_group_share
FROM s LEFT JOIN x ON x.actor = s.a
GROUP BY s.a ORDER BY events DESC, s.a
"""

WORKLOAD_SQL = """
SELECT {actor} AS actor, CAST(date_trunc('week', ts) AS DATE) AS week, count(*) AS events,
       count(DISTINCT cid) AS cases
FROM {ev} {where} GROUP BY 1, 2 ORDER BY 1, 2
"""


def adjusted_rand(a: list, b: list) -> float:
    """Adjusted Rand index of two labelings (Hubert and Arabie 1985)."""
    from scipy.special import comb
    ua, ia = np.unique(np.asarray(a, dtype=object).astype(str), return_inverse=True)
    ub, ib = np.unique(np.asarray(b, dtype=object).astype(str), return_inverse=True)
    table = np.zeros((len(ua), len(ub)))
    np.add.at(table, (ia, ib), 1)
    n = len(a)
    s_ij = comb(table, 2).sum()
    s_a, s_b = comb(table.sum(1), 2).sum(), comb(table.sum(0), 2).sum()
    expected = s_a * s_b / comb(n, 2) if n > 1 else 0.0
    top = (s_a + s_b) / 2 - expected
    return 1.0 if top == 0 else float((s_ij - expected) / top)


def discover_roles(matrix: pa.Table, groups: dict[str, str | None], k: int | None = None) -> Roles | None:
    """Cluster people by activity profile (average linkage, cosine distance); k = known groups or sqrt(n/2)."""
    from scipy.cluster.hierarchy import fcluster, linkage
    actors, acts, m = profiles(matrix)
    if len(actors) < 3:
        return None
    given = sorted({g for g in groups.values() if g})
    k = k or (len(given) if len(given) >= 2 else max(2, round((len(actors) / 2) ** 0.5)))
    k = min(k, len(actors))
    norm = m / np.maximum(m.sum(1, keepdims=True), 1)
    z = linkage(norm, method="average", metric="cosine") if np.all(norm.sum(1) > 0) else linkage(norm, "average")
    labels = fcluster(z, t=k, criterion="maxclust")
    roles = []
    for r in sorted(set(labels)):
        rows = labels == r
        top = np.argsort(-m[rows].sum(0))[:3]
        roles.append({"role": f"role {r}", "people": int(rows.sum()),
                      "top_activities": ", ".join(acts[i] for i in top if m[rows].sum(0)[i] > 0)})
    known = [i for i, a in enumerate(actors) if groups.get(a)]
    ari = adjusted_rand([labels[i] for i in known], [groups[actors[i]] for i in known]) if len(known) >= 2 and len(given) >= 2 else None
    assignments = pa.table({"resource": actors, "role": [f"role {x}" for x in labels],
                            "group": pa.array([groups.get(a) for a in actors], pa.string())})
    return Roles(assignments, pa.Table.from_pylist(roles), int(len(set(labels))), ari)


def people_report(ws: Workspace, process: str | None = None, *, level: str = "person", missing: str = "skip",
                  selection_table: str | None = None) -> PeopleReport:
    """Statistics, matrix, workload, roles and handover / working-together networks at ``level``."""
    with PeopleEvents(ws, process, selection_table=selection_table) as pe:
        actor, where = pe.actor(level, missing)
        label = "person" if level == "person" else "group"
        # a person's most frequent group, the smallest name on ties (the same on Spark, engine/dialect.py)
        group_col = "mode(s.grp ORDER BY s.grp) AS \"group\"," if level == "person" else ""
        stats = ws.arrow(STATS_SQL.format(actor=actor, where=where, ev=pe.table, label=label, group_col=group_col))
        matrix = ws.arrow(MATRIX_SQL.format(actor=actor, where=where, ev=pe.table))
        workload = ws.arrow(WORKLOAD_SQL.format(actor=actor, where=where, ev=pe.table))
        handover = network(ws, pe, "handover", level=level, missing=missing)
        together = network(ws, pe, "working_together", level=level, missing=missing)
        roles = None
        if level == "person":
            roles = discover_roles(ws.arrow(MATRIX_SQL.format(actor="resource", where="WHERE resource IS NOT NULL",
                                                              ev=pe.table)), handover.groups)
        return PeopleReport(process, level, stats, matrix, workload, handover, together, roles,
                            events_without_resource=int(pe.without_resource))
