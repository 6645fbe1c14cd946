"""Brokers: people who bridge groups (cross-group betweenness, Gould-Fernandez brokerage roles).

The people graph joins the message traffic (sender -> each recipient; every pair of
participants when the sender is unknown, for messages with at most 20 people) and the
person-level handovers of every process.  Edge distance is 1 / (number of contacts), so
frequent contacts are short paths.  *Cross-group betweenness* of v is the share of
shortest paths between people of different (primary) groups that pass through v, computed
per group with networkx's subset betweenness.  Brokerage roles (Gould and Fernandez 1989) count the
open two-paths a -> v -> c (no tie a -> c) by the groups of a, v and c: coordinator (all
one group), itinerant (a, c share a group v is not in), representative (v and a share it,
c not), gatekeeper (v and c share it, a not) and liaison (three groups).
"""

from __future__ import annotations

import numpy as np

from procatlas.model.people import Broker
from procatlas.people.networks import PRIMARY_GROUP_SQL
from procatlas.workspace.core import Workspace

ROLES = ("coordinator", "itinerant", "representative", "gatekeeper", "liaison")

EDGES_SQL = """
WITH msg AS (
    SELECT sender AS a, unnest(recipients) AS b FROM message WHERE sender IS NOT NULL
    UNION ALL
    SELECT x.a, x.b FROM (
        SELECT unnest(recipients) AS a, recipients FROM message
        WHERE sender IS NULL AND len(recipients) BETWEEN 2 AND 20) s,
        LATERAL (SELECT s.a AS a, unnest(s.recipients) AS b) x
), ho AS (
    SELECT resource AS a, lead(resource) OVER (PARTITION BY eo.oid ORDER BY e.timestamp, e.eid) AS b
    FROM event e JOIN event_object eo ON eo.eid = e.eid WHERE e.resource IS NOT NULL
)
SELECT a, b, count(*) AS n FROM (SELECT * FROM msg UNION ALL SELECT * FROM ho)
WHERE a IS NOT NULL AND b IS NOT NULL AND a <> b
GROUP BY a, b
"""


def people_graph(ws: Workspace):
    """(directed contact graph, {person: primary group}, {person: all groups})."""
    import networkx as nx
    g = nx.DiGraph()
    for a, b, n in ws.rows(EDGES_SQL):
        g.add_edge(a, b, weight=int(n), distance=1.0 / n)
    primary = dict(ws.rows(PRIMARY_GROUP_SQL))
    groups: dict[str, list[str]] = {}
    for pid, grp in ws.rows('SELECT id, "group" FROM person WHERE "group" IS NOT NULL ORDER BY rowid'):
        groups.setdefault(pid, []).append(grp)
    return g, primary, groups


def brokerage_roles(g, primary: dict[str, str]) -> dict[str, dict[str, int]]:
    """Gould-Fernandez role counts per node over open two-paths (people with a known group)."""
    nodes = [n for n in g.nodes if n in primary]
    idx = {n: i for i, n in enumerate(nodes)}
    adj = np.zeros((len(nodes), len(nodes)), bool)
    for a, b in g.edges:
        if a in idx and b in idx:
            adj[idx[a], idx[b]] = True
    codes = {grp: k for k, grp in enumerate(sorted(set(primary[n] for n in nodes)))}
    grp = np.array([codes[primary[n]] for n in nodes], np.int64)
    out: dict[str, dict[str, int]] = {}
    for v, i in idx.items():
        a = np.flatnonzero(adj[:, i])
        c = np.flatnonzero(adj[i, :])
        if not len(a) or not len(c):
            out[v] = dict.fromkeys(ROLES, 0)
            continue
        open_ = ~adj[np.ix_(a, c)] & (a[:, None] != c[None, :])
        ga, gc, gv = grp[a][:, None], grp[c][None, :], grp[i]
        same_ac, av, cv = ga == gc, ga == gv, gc == gv
        out[v] = {
            "coordinator": int((open_ & av & cv).sum()),
            "itinerant": int((open_ & same_ac & ~av).sum()),
            "representative": int((open_ & av & ~cv).sum()),
            "gatekeeper": int((open_ & cv & ~av).sum()),
            "liaison": int((open_ & ~same_ac & ~av & ~cv).sum()),
        }
    return out


MAX_SOURCES = 100


def cross_group_betweenness(g, primary: dict[str, str], *, max_sources: int = MAX_SOURCES) -> dict[str, float]:
    """Share of shortest paths between people of different groups passing through each node.

    Exact up to ``max_sources`` people; above, an unbiased estimate from a deterministic
    sample of source people (the same share of every group), as in Brandes and Pich (2007).
    """
    import networkx as nx
    rng = np.random.default_rng(0)
    share = min(1.0, max_sources / max(1, sum(1 for n in g.nodes if n in primary)))
    by_group: dict[str, list[str]] = {}
    for n in sorted(g.nodes):
        if n in primary:
            by_group.setdefault(primary[n], []).append(n)
    total = dict.fromkeys(g.nodes, 0.0)
    known = [n for n in g.nodes if n in primary]
    for grp, members in by_group.items():
        others = [n for n in known if primary[n] != grp]
        if not others:
            continue
        sources = members
        if share < 1.0:
            k = max(1, round(len(members) * share))
            sources = [members[i] for i in sorted(rng.choice(len(members), size=k, replace=False))]
        b = nx.betweenness_centrality_subset(g, sources, others, normalized=False, weight="distance")
        scale = len(members) / len(sources)
        for n, x in b.items():
            total[n] += x * scale
    pairs = sum(len(m) * (len(known) - len(m)) for m in by_group.values()) or 1
    return {n: x / pairs for n, x in total.items()}


def broker_ranking(ws: Workspace, *, top: int = 10) -> tuple[list[Broker], list[dict], list[dict]]:
    """Brokers ranked by cross-group betweenness, plus the people graph for pictures."""
    g, primary, groups = people_graph(ws)
    if g.number_of_nodes() == 0:
        return [], [], []
    btw = cross_group_betweenness(g, primary)
    roles = brokerage_roles(g, primary)
    cross_roles = {n: sum(r[k] for k in ROLES if k != "coordinator") for n, r in roles.items()}
    top_roles = max(cross_roles.values(), default=0) or 1
    top_btw = max(btw.values(), default=0) or 1
    brokers = []
    for n in g.nodes:
        score = 0.7 * btw.get(n, 0.0) / top_btw + 0.3 * cross_roles.get(n, 0) / top_roles
        brokers.append(Broker(n, primary.get(n), tuple(groups.get(n, ())), btw.get(n, 0.0),
                              roles.get(n, dict.fromkeys(ROLES, 0)), score))
    brokers.sort(key=lambda b: (-b.score, b.person))
    und: dict[tuple[str, str], int] = {}
    for a, b, d in g.edges(data=True):
        key = (a, b) if a < b else (b, a)
        und[key] = und.get(key, 0) + d["weight"]
    nodes = [{"node": n, "group": primary.get(n), "degree": g.degree(n)} for n in sorted(g.nodes)]
    edges = [{"source": a, "target": b, "weight": w} for (a, b), w in sorted(und.items())]
    return brokers[:top], nodes, edges
