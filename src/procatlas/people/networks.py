"""Social networks from event logs (van der Aalst, Reijers, Song 2005) as SQL edge lists.

Event-level work is one SQL statement per network over a temporary *people events* table
(``cid, eid, ts, resource, grp, activity``) built once per call; Python only computes node
metrics (networkx) on the small edge list.

Missing resources are explicit (BPIC 2012 has 18,010 events without one): ``missing="skip"``
(default) drops such events, so work passes from the last resourced event to the next one;
``missing="unknown"`` keeps them as the actor ``(unknown)``; ``missing="break"`` lets an event
without an actor end the chain (no handover across it).  pm4py's handover crashes on them.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pyarrow as pa

from procatlas.errors import InputError
from procatlas.model.people import LEVELS, Network
from procatlas.workspace.core import Workspace

UNKNOWN = "(unknown)"
MISSING = ("skip", "unknown", "break")
_ids = itertools.count(1)

# primary group of each person: the first row people.csv gave for them
PRIMARY_GROUP_SQL = 'SELECT id, arg_min("group", rowid) AS grp FROM person WHERE "group" IS NOT NULL GROUP BY id'


class PeopleEvents:
    """A temporary table of the events of one process (or all processes) with actor columns."""

    def __init__(self, ws: Workspace, process: str | None = None, *, selection_table: str | None = None):
        self.ws = ws
        self.process = process
        self.table = f"pp_ev{next(_ids)}"
        if selection_table is not None:
            src = f"""SELECT ev.cid, ev.eid, ev.ts, e.resource, coalesce(e."group", pg.grp) AS grp, e.activity
                      FROM {selection_table} ev JOIN event e ON e.eid = ev.eid
                      LEFT JOIN ({PRIMARY_GROUP_SQL}) pg ON pg.id = e.resource"""
            params: list = []
        else:
            where = "WHERE o.type = ?" if process else ""
            src = f"""SELECT eo.oid AS cid, e.eid, e.timestamp AS ts, e.resource,
                             coalesce(e."group", pg.grp) AS grp, e.activity
                      FROM event e JOIN event_object eo ON eo.eid = e.eid JOIN object o ON o.oid = eo.oid
                      LEFT JOIN ({PRIMARY_GROUP_SQL}) pg ON pg.id = e.resource {where}"""
            params = [process] if process else []
        ws.execute(f"CREATE OR REPLACE TEMP TABLE {self.table} AS {src}", params)
        self.events, self.cases, self.without_resource = ws.rows(
            f"SELECT count(*), count(DISTINCT cid), count(*) FILTER (WHERE resource IS NULL) FROM {self.table}")[0]
        if process and selection_table is None and self.events == 0 and not ws.scalar(
                "SELECT count(*) FROM object WHERE type = ?", [process]):
            self.drop()
            known = [r[0] for r in ws.rows("SELECT DISTINCT type FROM object ORDER BY 1")]
            raise InputError(f"no process '{process}' in the workspace; processes: " + (", ".join(known) or "(none)"))

    def has_groups(self) -> bool:
        return bool(self.ws.scalar(f"SELECT count(*) FROM {self.table} WHERE grp IS NOT NULL"))

    def actor(self, level: str, missing: str) -> tuple[str, str]:
        """(SQL expression of the actor, WHERE clause) for ``level`` and ``missing``."""
        if level not in LEVELS:
            raise InputError(f"level must be person or group, not {level!r}")
        if missing not in MISSING:
            raise InputError(f"missing must be one of {', '.join(MISSING)}, not {missing!r}")
        col = "resource" if level == "person" else "grp"
        if level == "group" and not self.has_groups():
            raise InputError("no groups known: ingest a people.csv (person,group) or a log with org:group, "
                             "or use level='person'")
        if missing == "skip":
            return col, f"WHERE {col} IS NOT NULL"
        if missing == "unknown":
            return f"coalesce({col}, '{UNKNOWN}')", ""
        return col, ""  # break: NULL actors stay in the sequence and end handovers

    def drop(self) -> None:
        self.ws.execute(f"DROP TABLE IF EXISTS {self.table}")

    def __enter__(self) -> "PeopleEvents":
        return self

    def __exit__(self, *exc) -> None:
        self.drop()


HANDOVER_SQL = """
WITH s AS (SELECT cid, eid, ts, {actor} AS a FROM {ev} {where}),
h AS (
    SELECT cid, a AS source, lead(a) OVER w AS target, ts, lead(ts) OVER w AS next_ts
    FROM s WINDOW w AS (PARTITION BY cid ORDER BY ts, eid)
)
SELECT source, target, count(*) AS count, count(DISTINCT cid) AS cases,
       count(*) / sum(count(*)) OVER () AS weight,
       avg(date_diff('millisecond', ts, next_ts) / 1000.0) AS mean_wait_s,
       median(date_diff('millisecond', ts, next_ts) / 1000.0) AS median_wait_s
FROM h WHERE source IS NOT NULL AND target IS NOT NULL
GROUP BY source, target ORDER BY source, target
"""

WORKING_TOGETHER_SQL = """
WITH r AS (SELECT DISTINCT cid, {actor} AS a FROM {ev} {where})
SELECT r1.a AS source, r2.a AS target, count(*) AS cases, count(*) / {cases}::DOUBLE AS weight
FROM r r1 JOIN r r2 ON r1.cid = r2.cid AND r1.a <> r2.a
WHERE r1.a IS NOT NULL AND r2.a IS NOT NULL
GROUP BY 1, 2 ORDER BY 1, 2
"""

SUBCONTRACTING_SQL = """
WITH s AS (SELECT cid, eid, ts, {actor} AS a FROM {ev} {where}),
t AS (
    SELECT cid, a, lead(a, 1) OVER w AS b, lead(a, 2) OVER w AS c
    FROM s WINDOW w AS (PARTITION BY cid ORDER BY ts, eid)
)
SELECT a AS source, b AS target, count(*) AS count, count(*) / sum(count(*)) OVER () AS weight
FROM t WHERE a = c AND a <> b AND b IS NOT NULL
GROUP BY 1, 2 ORDER BY 1, 2
"""

MATRIX_SQL = """
SELECT {actor} AS actor, activity, count(*) AS events, count(DISTINCT cid) AS cases
FROM {ev} {where} GROUP BY 1, 2 ORDER BY 1, 2
"""

WAITING = pa.float64()


def _empty(names: list[tuple[str, pa.DataType]]) -> pa.Table:
    return pa.table({n: pa.array([], t) for n, t in names})


def edge_table(ws: Workspace, kind: str, pe: PeopleEvents, level: str, missing: str) -> pa.Table:
    actor, where = pe.actor(level, missing)
    if kind == "handover":
        return ws.arrow(HANDOVER_SQL.format(actor=actor, where=where, ev=pe.table))
    if kind == "working_together":
        return ws.arrow(WORKING_TOGETHER_SQL.format(actor=actor, where=where, ev=pe.table, cases=max(1, pe.cases)))
    if kind == "subcontracting":
        return ws.arrow(SUBCONTRACTING_SQL.format(actor=actor, where=where, ev=pe.table))
    if kind == "similar_activities":
        m = ws.arrow(MATRIX_SQL.format(actor=actor, where=where, ev=pe.table))
        return similarity_edges(m)
    raise InputError(f"unknown network kind {kind!r}; expected handover, working_together, subcontracting, "
                     "similar_activities")


def profiles(matrix: pa.Table) -> tuple[list[str], list[str], np.ndarray]:
    """(actors, activities, actor x activity event counts) from a long matrix table."""
    actors = sorted(set(matrix["actor"].to_pylist()))
    acts = sorted(set(matrix["activity"].to_pylist()))
    ai, ci = {a: i for i, a in enumerate(actors)}, {a: i for i, a in enumerate(acts)}
    m = np.zeros((len(actors), len(acts)))
    for a, c, n in zip(matrix["actor"].to_pylist(), matrix["activity"].to_pylist(), matrix["events"].to_pylist()):
        m[ai[a], ci[c]] = n
    return actors, acts, m


def similarity_edges(matrix: pa.Table) -> pa.Table:
    """Pearson correlation of activity profiles between every two actors (similar activities)."""
    actors, _acts, m = profiles(matrix)
    if len(actors) < 2:
        return _empty([("source", pa.string()), ("target", pa.string()), ("weight", pa.float64())])
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.corrcoef(m)
    c = np.nan_to_num(c)
    i, j = np.where(~np.eye(len(actors), dtype=bool))
    return pa.table({"source": pa.array([actors[x] for x in i], pa.string()),
                     "target": pa.array([actors[x] for x in j], pa.string()),
                     "weight": pa.array(c[i, j], pa.float64())})


def node_table(edges: pa.Table, groups: dict[str, str | None], *, directed: bool,
               weight: str = "weight", positive_only: bool = False) -> pa.Table:
    """Degree, betweenness (distance = 1 / weight) and modularity communities of each node."""
    import networkx as nx

    g = nx.DiGraph() if directed else nx.Graph()
    g.add_nodes_from(sorted(groups))  # in one order on both engines: the communities depend on it
    for r in edges.to_pylist():
        w = float(r.get(weight) or 0.0)
        if r["source"] == r["target"] or (positive_only and w <= 0):
            continue
        g.add_edge(r["source"], r["target"], weight=w, distance=1.0 / w if w > 0 else math.inf)
    g.add_nodes_from(sorted(set(edges["source"].to_pylist()) | set(edges["target"].to_pylist())))
    nodes = sorted(g.nodes)
    if g.number_of_edges():
        btw = nx.betweenness_centrality(g, weight="distance", normalized=True)
        und = g.to_undirected() if directed else g
        try:
            comms = nx.community.greedy_modularity_communities(und, weight="weight")
        except (ZeroDivisionError, ValueError):
            comms = [set(nodes)]
    else:
        btw, comms = {n: 0.0 for n in nodes}, [{n} for n in nodes]
    community = {n: k for k, c in enumerate(sorted(comms, key=lambda c: (-len(c), min(c)))) for n in c}
    ind = dict(g.in_degree()) if directed else dict(g.degree())
    outd = dict(g.out_degree()) if directed else dict(g.degree())
    return pa.table({
        "node": pa.array(nodes, pa.string()),
        "group": pa.array([groups.get(n) for n in nodes], pa.string()),
        "in_degree": pa.array([ind.get(n, 0) for n in nodes], pa.int64()),
        "out_degree": pa.array([outd.get(n, 0) for n in nodes], pa.int64()),
        "degree": pa.array([g.degree(n) for n in nodes], pa.int64()),
        "betweenness": pa.array([btw.get(n, 0.0) for n in nodes], pa.float64()),
        "community": pa.array([community.get(n, -1) for n in nodes], pa.int64()),
    })


def actor_groups(ws: Workspace, pe: PeopleEvents, level: str) -> dict[str, str | None]:
    if level == "group":
        return {r[0]: r[0] for r in ws.rows(f"SELECT DISTINCT grp FROM {pe.table} WHERE grp IS NOT NULL")}
    return dict(ws.rows(f"""SELECT resource, mode(grp ORDER BY grp) FROM {pe.table} WHERE resource IS NOT NULL
                            GROUP BY resource"""))


def network(ws: Workspace, pe: PeopleEvents, kind: str = "handover", *, level: str = "person",
            missing: str = "skip") -> Network:
    """One network of ``kind`` at ``level`` over the people-events table ``pe`` (node metrics lazily)."""
    edges = edge_table(ws, kind, pe, level, missing)
    directed = kind in ("handover", "subcontracting")
    col = "resource" if level == "person" else "grp"
    without = ws.scalar(f"SELECT count(*) FROM {pe.table} WHERE {col} IS NULL")
    return Network(kind, level, pe.process, edges, actor_groups(ws, pe, level), directed=directed, missing=missing,
                   events_without_actor=int(without), cases=int(pe.cases), events=int(pe.events))
