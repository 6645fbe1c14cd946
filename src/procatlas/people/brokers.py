"""Brokers: people who bridge groups (cross-group betweenness, Gould-Fernandez brokerage roles).

The people graph joins the message traffic (sender -> each recipient; every pair of
participants when the sender is unknown, for messages with at most 20 people) and the
person-level handovers of every process.  *Cross-group betweenness* of v is the share of
shortest paths (in hops) between people of different (primary) groups that pass through v.  Brokerage roles (Gould and Fernandez 1989) count the
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
WITH ppl AS (  -- participants of messages without a sender (every ordered pair of them is a tie)
    SELECT mid, unnest(recipients) AS p FROM message WHERE sender IS NULL AND array_length(recipients) BETWEEN 2 AND 20
), msg AS (
    SELECT sender AS a, unnest(recipients) AS b FROM message WHERE sender IS NOT NULL
    UNION ALL
    SELECT x.p, y.p FROM ppl x JOIN ppl y ON y.mid = x.mid
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


MAX_SOURCES = 1000
BATCH = 256


def cross_group_betweenness(g, primary: dict[str, str], *, max_sources: int = MAX_SOURCES) -> dict[str, float]:
    """Share of shortest paths (hop count) between people of different groups passing through each node.

    Brandes' algorithm in matrix form (numpy + scipy sparse) for a batch of sources at a time:
    BFS levels by sparse products count shortest paths, and the backward pass accumulates each
    node's dependency on paths whose end is in another group than their start.  Exact up to
    ``max_sources`` people with a group; above, a deterministic sample of sources, scaled
    (Brandes and Pich 2007).
    """
    import scipy.sparse as sp
    nodes = sorted(g.nodes)
    n = len(nodes)
    if n == 0:
        return {}
    idx = {v: i for i, v in enumerate(nodes)}
    rows = [idx[a] for a, b in g.edges]
    cols = [idx[b] for a, b in g.edges]
    adj = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    adj_t = adj.T.tocsr()
    codes = {grp: k for k, grp in enumerate(sorted(set(primary.values())))}
    grp = np.array([codes.get(primary.get(v), -1) for v in nodes], np.int64)
    sources = np.flatnonzero(grp >= 0)
    scale = 1.0
    if len(sources) > max_sources:
        rng = np.random.default_rng(0)
        scale = len(sources) / max_sources
        sources = np.sort(rng.choice(sources, size=max_sources, replace=False))
    total = np.zeros(n)
    for lo in range(0, len(sources), BATCH):
        src = sources[lo:lo + BATCH]
        k = len(src)
        sigma = np.zeros((k, n))
        dist = np.full((k, n), -1, np.int32)
        sigma[np.arange(k), src] = 1.0
        dist[np.arange(k), src] = 0
        frontier = sigma.copy()
        depth = 0
        while frontier.any():
            reach = np.asarray((adj_t @ frontier.T).T)  # paths one step further
            new = (reach > 0) & (dist < 0)
            if not new.any():
                break
            depth += 1
            sigma[new] = reach[new]
            dist[new] = depth
            frontier = np.where(new, sigma, 0.0)
        target = ((grp[None, :] >= 0) & (grp[None, :] != grp[src][:, None])).astype(float)
        delta = np.zeros((k, n))
        for d in range(depth, 0, -1):
            level = dist == d
            coef = np.where(level, (target + delta) / np.where(sigma > 0, sigma, 1.0), 0.0)
            back = np.asarray((adj @ coef.T).T)  # sum over successors w of v
            prev = dist == d - 1
            delta += np.where(prev, sigma * back, 0.0)
        delta[dist <= 0] = 0.0  # the source itself and unreachable nodes
        total += delta.sum(0)
    known = grp[grp >= 0]
    counts = np.bincount(known)
    pairs = float(sum(int(c) * (len(known) - int(c)) for c in counts)) or 1.0
    return {v: float(total[i] * scale / pairs) for i, v in enumerate(nodes)}


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
