"""Inductive Miner infrequent (IMf) on a variant table.

Leemans, Fahland, van der Aalst: "Discovering block-structured process models from event
logs containing infrequent behaviour" (BPM workshops 2013). The miner recurses on
sub-logs; every sub-log is a variant table (trace tuple -> count), never a list of traces,
so the cost depends on the number of distinct variants, not cases.

Per sub-log: empty traces (kept as ``xor(tau, ...)`` when frequent), base cases, a cut on
the directly-follows graph (exclusive choice, sequence, parallel, loop, tried in that
order), first on the full graph and then on the graph filtered by the noise threshold,
splitting the sub-log so that behaviour that contradicts the cut is dropped; when no cut
exists, the fall-throughs of the paper (activity once per trace, activity concurrent,
strict tau loop, tau loop, flower).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from procatlas.mining.tree import TAU, Operator, ProcessTree, activity, normalize

Trace = tuple[str, ...]
Log = dict[Trace, int]

__all__ = ["discover_tree", "Dfg", "directly_follows"]


@dataclass(frozen=True)
class Dfg:
    """Directly-follows summary of a (sub-)log, all counts weighted by variant counts."""

    activities: dict[str, int]
    edges: dict[tuple[str, str], int]
    start: dict[str, int]
    end: dict[str, int]


class _Flat:
    """A sub-log as flat numpy arrays (activity code and weight per event), for the
    directly-follows counts that every recursion step needs."""

    __slots__ = ("names", "codes", "tid", "weight")

    def __init__(self, log: Mapping[Trace, int]) -> None:
        traces = [t for t in log if t]
        names = sorted({a for t in traces for a in t})
        index = {a: i for i, a in enumerate(names)}
        lens = np.fromiter(map(len, traces), dtype=np.int64, count=len(traces))
        total = int(lens.sum())
        self.names = names
        self.codes = np.fromiter((index[a] for t in traces for a in t), dtype=np.int64, count=total)
        self.tid = np.repeat(np.arange(len(traces), dtype=np.int64), lens)
        counts = np.fromiter((log[t] for t in traces), dtype=np.float64, count=len(traces))
        self.weight = np.repeat(counts, lens)

    def dfg(self, drop: int | None = None) -> Dfg:
        codes, tid, w = self.codes, self.tid, self.weight
        if drop is not None:
            keep = codes != drop
            codes, tid, w = codes[keep], tid[keep], w[keep]
        k = len(self.names)
        names = self.names
        if len(codes) == 0:
            return Dfg({}, {}, {}, {})
        same, first, last = _bounds(tid)
        pair = codes[:-1][same] * k + codes[1:][same]
        e = np.bincount(pair, weights=w[1:][same], minlength=k * k)
        st = np.bincount(codes[first], weights=w[first], minlength=k)
        en = np.bincount(codes[last], weights=w[last], minlength=k)
        ac = np.bincount(codes, weights=w, minlength=k)

        def named(v: np.ndarray) -> dict[str, int]:
            return {names[i]: int(v[i]) for i in np.flatnonzero(v)}

        edges = {(names[i // k], names[i % k]): int(e[i]) for i in np.flatnonzero(e)}
        return Dfg(named(ac), edges, named(st), named(en))


    def bits(self, drop: int) -> _Bits:
        """The graph without activity ``drop`` as bit sets, straight from the arrays (the
        activity-concurrent fall-through asks this once per activity)."""
        keep = self.codes != drop
        codes, tid = self.codes[keep], self.tid[keep]
        codes = codes - (codes > drop)          # renumber: the names without ``drop``
        acts = self.names[:drop] + self.names[drop + 1:]
        k = len(acts)
        adj = np.zeros((k, k), dtype=bool)
        if len(codes) == 0:
            return _Bits(acts, adj, [], [], lambda: self.dfg(drop))
        same, first, last = _bounds(tid)
        adj[codes[:-1][same], codes[1:][same]] = True
        return _Bits(acts, adj, np.flatnonzero(np.bincount(codes[first], minlength=k)).tolist(),
                     np.flatnonzero(np.bincount(codes[last], minlength=k)).tolist(), lambda: self.dfg(drop))


def _bounds(tid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For events in trace order: whether each event is in the same trace as the next (one
    fewer than the events), and which events start and which end a trace."""
    same = tid[1:] == tid[:-1]
    return same, np.concatenate(([True], ~same)), np.concatenate((~same, [True]))


def directly_follows(log: Mapping[Trace, int]) -> Dfg:
    """Directly-follows graph, activity, start and end counts of a variant table."""
    return _Flat(log).dfg()


def discover_tree(variants: Mapping[tuple[str, ...], int], *, noise: float = 0.2) -> ProcessTree:
    """Discover a process tree from a variant table with Inductive Miner infrequent.

    ``noise`` (0..1) is the IMf threshold: a directly-follows edge ``a -> b`` is ignored
    by the filtered cut search when its count is below ``noise`` times the strongest
    outgoing edge of ``a`` (likewise start and end activities), and empty traces are
    dropped when they are at most ``noise`` of the sub-log. ``noise=0`` is the plain
    Inductive Miner: every trace of the input fits the result.

    >>> discover_tree({("a", "b", "c"): 5, ("a", "c", "b"): 3}).to_string()
    'seq(a, and(b, c))'
    """
    if not 0.0 <= noise <= 1.0:
        raise ValueError(f"noise must be within [0, 1], got {noise}")
    log: Log = {}
    for trace, n in variants.items():
        if n <= 0:
            continue
        t = tuple(trace)
        log[t] = log.get(t, 0) + int(n)
    limit = sys.getrecursionlimit()
    if limit < 10_000:
        sys.setrecursionlimit(10_000)
    try:
        return normalize(_Miner(noise).mine(log))
    finally:
        sys.setrecursionlimit(limit)


# ----------------------------------------------------------------------------- cuts
#
# The cut search runs once per recursion step and, in the activity-concurrent fall-through,
# once per activity of the sub-log: on a log with hundreds of activities (BPIC 2015: 398) that
# is thousands of searches. The graph is therefore held as bit sets (Python ints, one bit per
# activity in name order), so that reachability, components and the sequence-cut test are a
# few big-integer operations per activity instead of loops over pairs of activities.


class _Bits:
    """The directly-follows graph of a sub-log with activities numbered in name order: the
    edges as index arrays and, per activity, its successors and predecessors as bit sets.
    ``dfg`` gives the graph by name (built on first use when made from arrays)."""

    __slots__ = ("acts", "n", "full", "rows", "cols", "succ", "pred", "start", "end", "_dfg", "_make",
                 "_linked")

    def __init__(self, acts: list[str], adj: np.ndarray, start, end, make_dfg) -> None:
        n = len(acts)
        self.acts, self.n, self.full = acts, n, (1 << n) - 1
        self.rows, self.cols = np.nonzero(adj)
        self.succ = _row_masks(adj)
        self.pred = _row_masks(adj.T)
        self.start = _mask(start)
        self.end = _mask(end)
        self._dfg, self._make = None, make_dfg
        self._linked: list[int] | None = None

    @classmethod
    def of(cls, acts: list[str], dfg: Dfg) -> _Bits:
        index = {a: i for i, a in enumerate(acts)}
        pairs = np.array([(index[a], index[b]) for (a, b) in dfg.edges], dtype=np.int64).reshape(-1, 2)
        adj = np.zeros((len(acts), len(acts)), dtype=bool)
        adj[pairs[:, 0], pairs[:, 1]] = True
        g = cls(acts, adj, (index[a] for a in dfg.start if a in index),
                (index[a] for a in dfg.end if a in index), None)
        g._dfg = dfg
        return g

    @property
    def linked(self) -> list[int]:
        """Per activity, its neighbours in either direction (the choice and loop cuts both
        need them)."""
        if self._linked is None:
            self._linked = [s | p for s, p in zip(self.succ, self.pred)]
        return self._linked

    @property
    def dfg(self) -> Dfg:
        if self._dfg is None:
            self._dfg = self._make()
        return self._dfg

    def names(self, mask: int) -> list[str]:
        return [self.acts[i] for i in _members(mask)]


def _row_masks(adj: np.ndarray) -> list[int]:
    """Each row of a boolean matrix as an int with bit j set where column j is."""
    if adj.shape[1] == 0:
        return [0] * adj.shape[0]
    packed = np.packbits(adj, axis=1, bitorder="little")
    width = packed.shape[1]
    raw = packed.tobytes()
    return [int.from_bytes(raw[i * width:(i + 1) * width], "little") for i in range(adj.shape[0])]


def _mask(indices) -> int:
    m = 0
    for i in indices:
        m |= 1 << i
    return m


def _members(mask: int):
    """The set bits of ``mask``, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def _bit_components(nodes: int, adj: list[int]) -> list[int]:
    """Connected components of the nodes in ``nodes`` under the undirected adjacency ``adj``
    (bit sets), ordered by their lowest node."""
    comps = []
    left = nodes
    while left:
        comp = frontier = left & -left
        while frontier:
            reached = 0
            for i in _members(frontier):
                reached |= adj[i]
            frontier = reached & left & ~comp
            comp |= frontier
        comps.append(comp)
        left &= ~comp
    return comps


def _reach(n: int, rows: np.ndarray, cols: np.ndarray) -> tuple[list[int], list[int]]:
    """Per activity, as bit sets, the activities reachable from it and those it is reachable
    from, by paths of one or more edges (``rows[e] -> cols[e]``): the strongly connected
    components (scipy; the reversed graph has the same ones), then one pass over their
    condensation in each topological direction."""
    if len(rows) == 0:
        return [0] * n, [0] * n
    graph = csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
    count, label = connected_components(graph, directed=True, connection="strong")
    a, b = label[rows], label[cols]
    # a component reaches itself when it has a cycle (two or more activities, or a self-loop)
    cyclic = np.zeros(count, dtype=bool)
    cyclic[a[a == b]] = True
    links = np.unique(a[a != b] * count + b[a != b])
    out: list[list[int]] = [[] for _ in range(count)]
    into: list[list[int]] = [[] for _ in range(count)]
    indeg = [0] * count
    for x, y in zip((links // count).tolist(), (links % count).tolist()):
        out[x].append(y)
        into[y].append(x)
        indeg[y] += 1
    labels = label.tolist()
    nodes = [0] * count
    for i, c in enumerate(labels):
        nodes[c] |= 1 << i
    order = [c for c in range(count) if indeg[c] == 0]
    for c in order:              # Kahn: the list grows while it is walked
        for y in out[c]:
            indeg[y] -= 1
            if indeg[y] == 0:
                order.append(y)
    cyc = cyclic.tolist()

    def closure(walk, nbrs) -> list[int]:
        got = [0] * count
        for c in walk:
            r = nodes[c] if cyc[c] else 0
            for y in nbrs[c]:
                r |= got[y] | nodes[y]
            got[c] = r
        return [got[c] for c in labels]

    return closure(reversed(order), out), closure(order, into)


def _xor_cut(g: _Bits) -> list[int] | None:
    comps = _bit_components(g.full, g.linked)
    return comps if len(comps) > 1 else None


def _seq_cut(g: _Bits) -> list[list[str]] | None:
    """The maximal sequence cut: the finest partition into groups that are totally ordered
    (every activity of the earlier group reaches every activity of the later one, none of the
    later reaches back). Two activities that reach each other, or neither of which reaches the
    other, must share a group; those forced groups are built first, then groups that are still
    not ordered are merged until all are."""
    n, full = g.n, g.full
    reach, reached_by = _reach(n, g.rows, g.cols)
    same = [((reach[i] & reached_by[i]) | (full & ~(reach[i] | reached_by[i]))) & ~(1 << i)
            for i in range(n)]
    groups = _bit_components(full, same)
    if len(groups) < 2:
        return None
    # per group: the activities every member reaches, and those some member reaches
    every, some = [], []
    for grp in groups:
        e, s_ = full, 0
        for i in _members(grp):
            e &= reach[i]
            s_ |= reach[i]
        every.append(e)
        some.append(s_)

    def before(x: int, y: int) -> bool:
        return every[x] & groups[y] == groups[y] and some[y] & groups[x] == 0

    changed = True
    while changed and len(groups) > 1:
        changed = False
        for x in range(len(groups)):
            for y in range(x + 1, len(groups)):
                if not before(x, y) and not before(y, x):
                    groups[x] |= groups[y]
                    every[x] &= every[y]
                    some[x] |= some[y]
                    del groups[y], every[y], some[y]
                    changed = True
                    break
            if changed:
                break
    if len(groups) < 2:
        return None
    # the groups are totally ordered now; the earliest is before all others
    rank = [sum(1 for y in range(len(groups)) if y != x and before(x, y)) for x in range(len(groups))]
    ordered = sorted(range(len(groups)), key=lambda x: -rank[x])
    parts = _merge_skip_chains([set(g.names(groups[x])) for x in ordered], g.dfg)
    return [sorted(p) for p in parts] if len(parts) > 1 else None


def _merge_skip_chains(parts: list[set[str]], dfg: Dfg) -> list[set[str]]:
    """Keep a skippable part together with the part that can only be reached through it.

    The maximal sequence cut lets every part be skipped on its own. When part i can be
    skipped (the log starts after it or jumps over it) but part i+1 is entered only from
    part i (no start activity, every incoming edge from part i), skipping i must skip i+1
    too: the two become one part, whose sub-log then yields ``xor(tau, seq(i, i+1))``
    instead of ``seq(xor(tau, i), xor(tau, i+1))``. The mirror rule joins a part that can
    only be left into a skippable successor. This is the behaviour of the strict sequence
    cut (Leemans 2017, Sect. 7) and the main source of precision on real logs.
    """
    def skippable(i: int) -> bool:
        before = set().union(*parts[:i])
        after = set().union(*parts[i + 1:])
        if any(a in dfg.start for a in after) or any(a in dfg.end for a in before):
            return True
        return any(a in before and b in after for (a, b) in dfg.edges)

    changed = True
    while changed and len(parts) > 2:
        changed = False
        for i in range(len(parts) - 1):
            cur, nxt = parts[i], parts[i + 1]
            into_next = {a for (a, b) in dfg.edges if b in nxt and a not in nxt}
            out_of_cur = {b for (a, b) in dfg.edges if a in cur and b not in cur}
            forward = (not any(a in dfg.start for a in nxt) and into_next <= cur
                       and skippable(i))
            backward = (not any(a in dfg.end for a in cur) and out_of_cur <= nxt
                        and skippable(i + 1))
            if forward or backward:
                parts[i:i + 2] = [cur | nxt]
                changed = True
                break
    return parts


def _par_cut(g: _Bits) -> list[list[str]] | None:
    # two activities can be in different branches only if each directly follows the other
    apart = [g.full & ~(g.succ[i] & g.pred[i]) & ~(1 << i) for i in range(g.n)]
    comps = _bit_components(g.full, apart)
    if len(comps) < 2:
        return None
    good, only_start, only_end, neither = [], [], [], []
    for c in comps:
        s = bool(c & g.start)
        e = bool(c & g.end)
        (good if s and e else only_start if s else only_end if e else neither).append(g.names(c))
    while only_start and only_end:
        good.append(only_start.pop(0) + only_end.pop(0))
    rest = only_start + only_end + neither
    if not good:
        return None
    for c in rest:
        good[0].extend(c)
    if len(good) < 2:
        return None
    return [sorted(p) for p in sorted(good, key=lambda p: min(p))]


def _loop_cut(g: _Bits) -> list[list[str]] | None:
    start, end = g.start, g.end
    if not start or not end:
        return None
    body = start | end
    others = g.full & ~body
    if not others:
        return None
    start_only, end_only = start & ~end, end & ~start
    redo, body_acts = [], body
    for c in _bit_components(others, g.linked):
        # The loop cut's conditions, activity by activity (Leemans' definition, as his ProM
        # implementation checks them): a redo part is entered from end activities only and left
        # to start activities only; an activity entered from the body is entered from every end
        # activity, and one that leaves to the body leaves to every start activity.  An activity
        # with no edge to or from the body (the noise filter can remove them all) adds no
        # condition.
        for i in _members(c):
            into, out = g.pred[i] & body, g.succ[i] & body
            if into & start_only or out & end_only or (into and into & end != end) or \
                    (out and out & start != start):
                body_acts |= c
                break
        else:
            redo.append(g.names(c))
    if not redo:
        return None
    return [g.names(body_acts)] + redo


def _find_cut(dfg: Dfg) -> tuple[Operator, list[list[str]]] | None:
    acts = sorted(dfg.activities)
    if len(acts) < 2:
        return None
    return _cut_of(_Bits.of(acts, dfg))


def _cut_of(g: _Bits) -> tuple[Operator, list[list[str]]] | None:
    if g.n < 2:
        return None
    xor = _xor_cut(g)
    if xor:
        return Operator.XOR, [g.names(c) for c in xor]
    for op, finder in ((Operator.SEQ, _seq_cut), (Operator.AND, _par_cut), (Operator.LOOP, _loop_cut)):
        parts = finder(g)
        if parts:
            return op, parts
    return None


def _filter_dfg(dfg: Dfg, noise: float) -> Dfg:
    """Drop edges (and start/end activities) below ``noise`` x the strongest sibling."""
    # ending the trace counts as one of a's ways out (an edge to the artificial end)
    max_out: dict[str, int] = defaultdict(int, dfg.end)
    for (a, _), n in dfg.edges.items():
        if n > max_out[a]:
            max_out[a] = n
    edges = {e: n for e, n in dfg.edges.items() if n >= noise * max_out[e[0]]}
    ms = max(dfg.start.values(), default=0)
    me = max(dfg.end.values(), default=0)
    start = {a: n for a, n in dfg.start.items() if n >= noise * ms}
    end = {a: n for a, n in dfg.end.items() if n >= noise * me}
    return Dfg(dfg.activities, edges, start, end)


# ----------------------------------------------------------------------------- splits

def _add(log: Log, trace: Trace, n: int) -> None:
    log[trace] = log.get(trace, 0) + n


def _split_xor(log: Log, parts: list[list[str]]) -> list[Log]:
    """Each trace goes to the part holding most of its events; the other events are dropped.

    On a tie the part that reached the winning count first, reading the trace from the start,
    takes the trace (the rule of Leemans' implementation): the choice depends on the trace,
    not on the names or the order of the parts.
    """
    part_of = {a: i for i, p in enumerate(parts) for a in p}
    out: list[Log] = [{} for _ in parts]
    for trace, n in log.items():
        counts = [0] * len(parts)
        best = top = 0
        for a in trace:
            i = part_of[a]
            counts[i] += 1
            if counts[i] > top:
                best, top = i, counts[i]
        _add(out[best], tuple(a for a in trace if part_of[a] == best), n)
    return out


def _split_seq(log: Log, parts: list[list[str]]) -> list[Log]:
    """Cut each trace into consecutive segments, one per part, dropping events that do not fit.

    Part by part, as in Leemans' implementation of IMf: the segment of part ``i`` ends where
    (events of part ``i``) - (events of later parts) since the previous cut is largest, at the
    earliest such point; events of earlier parts cost nothing. Traces that already follow the
    parts in order are cut exactly.
    """
    part_of = {a: i for i, p in enumerate(parts) for a in p}
    k = len(parts)
    out: list[Log] = [{} for _ in parts]
    for trace, n in log.items():
        idx = [part_of[a] for a in trace]
        if all(x <= y for x, y in zip(idx, idx[1:])):
            bounds = [0] * (k + 1)
            pos = 0
            for i in range(k):
                bounds[i] = pos
                while pos < len(idx) and idx[pos] == i:
                    pos += 1
            bounds[k] = len(idx)
            for i in range(k):
                _add(out[i], trace[bounds[i]:bounds[i + 1]], n)
            continue
        begin = 0
        for i in range(k):
            end = len(idx)
            if i < k - 1:
                cost = best = 0
                end = begin
                for q in range(begin, len(idx)):
                    if idx[q] == i:
                        cost -= 1
                    elif idx[q] > i:
                        cost += 1
                    if cost < best:
                        best, end = cost, q + 1
            _add(out[i], tuple(trace[q] for q in range(begin, end) if idx[q] == i), n)
            begin = end
    return out


def _split_par(log: Log, parts: list[list[str]]) -> list[Log]:
    part_of = {a: i for i, p in enumerate(parts) for a in p}
    out: list[Log] = [{} for _ in parts]
    for trace, n in log.items():
        for i in range(len(parts)):
            _add(out[i], tuple(a for a in trace if part_of[a] == i), n)
    return out


def _split_loop(log: Log, parts: list[list[str]]) -> list[Log]:
    """Body and redo sub-traces; an empty body run is inserted where two redos touch."""
    part_of = {a: i for i, p in enumerate(parts) for a in p}
    out: list[Log] = [{} for _ in parts]
    for trace, n in log.items():
        cur_part = 0
        cur: list[str] = []
        for a in trace:
            p = part_of[a]
            if p != cur_part:
                if cur or cur_part == 0:
                    _add(out[cur_part], tuple(cur), n)
                if p != 0 and cur_part != 0:
                    _add(out[0], (), n)
                cur_part, cur = p, []
            cur.append(a)
        _add(out[cur_part], tuple(cur), n)
        if cur_part != 0:
            _add(out[0], (), n)
    return out


_SPLIT = {Operator.XOR: _split_xor, Operator.SEQ: _split_seq,
          Operator.AND: _split_par, Operator.LOOP: _split_loop}


def _project(log: Log, keep) -> Log:
    out: Log = {}
    inside = keep.__contains__
    for trace, n in log.items():
        t = tuple(filter(inside, trace))
        out[t] = out.get(t, 0) + n
    return out


# ----------------------------------------------------------------------------- miner

class _Miner:
    def __init__(self, noise: float) -> None:
        self.noise = noise

    def mine(self, log: Log) -> ProcessTree:
        total = sum(log.values())
        if total == 0:
            return TAU
        empty = log.get((), 0)
        if empty:
            rest = {t: n for t, n in log.items() if t}
            if not rest:
                return TAU
            if empty > self.noise * total:
                return ProcessTree(Operator.XOR, (TAU, self.mine(rest)))
            log = rest
        flat = _Flat(log)
        dfg = flat.dfg()
        if len(dfg.activities) == 1 and all(len(t) == 1 for t in log):
            return activity(next(iter(dfg.activities)))
        cut = _find_cut(dfg)
        if cut is None and self.noise > 0:
            cut = _find_cut(_filter_dfg(dfg, self.noise))
        if cut is not None:
            return self._recurse(log, *cut)
        return self._fall_through(log, flat, dfg)

    def _recurse(self, log: Log, op: Operator, parts: list[list[str]]) -> ProcessTree:
        # A choice found on the filtered graph can leave a branch without a single trace (the
        # filtering split gave every trace holding its activities to another branch): its empty
        # sub-log is mined into a tau, as Leemans' implementation does (empty log -> tau).
        subs = [self.mine(s) for s in _SPLIT[op](log, parts)]
        if op is Operator.LOOP:
            redo = subs[1] if len(subs) == 2 else ProcessTree(Operator.XOR, tuple(subs[1:]))
            return ProcessTree(Operator.LOOP, (subs[0], redo))
        return ProcessTree(op, tuple(subs))

    def _fall_through(self, log: Log, flat: _Flat, dfg: Dfg) -> ProcessTree:
        acts = sorted(dfg.activities)
        if len(acts) > 1:
            # activity once per trace
            for a in acts:
                if dfg.activities[a] == sum(log.values()) and all(t.count(a) == 1 for t in log):
                    rest = _project(log, set(acts) - {a})
                    return ProcessTree(Operator.AND, (activity(a), self.mine(rest)))
            # activity concurrent
            for code, a in enumerate(flat.names):
                if _cut_of(flat.bits(code)) is not None:
                    rest = _project(log, set(acts) - {a})
                    only = _project(log, {a})
                    return ProcessTree(Operator.AND, (self.mine(only), self.mine(rest)))
        # strict tau loop: split where an end activity is directly followed by a start activity
        split = self._split_at(log, lambda prev, a: prev in dfg.end and a in dfg.start)
        if split is not None:
            return ProcessTree(Operator.LOOP, (self.mine(split), TAU))
        # tau loop: split before every start activity
        split = self._split_at(log, lambda prev, a: a in dfg.start)
        if split is not None:
            return ProcessTree(Operator.LOOP, (self.mine(split), TAU))
        body = activity(acts[0]) if len(acts) == 1 else \
            ProcessTree(Operator.XOR, tuple(activity(a) for a in acts))
        return ProcessTree(Operator.LOOP, (body, TAU))

    @staticmethod
    def _split_at(log: Log, cut_before) -> Log | None:
        out: Log = {}
        split_any = False
        for trace, n in log.items():
            begin = 0
            for i in range(1, len(trace)):
                if cut_before(trace[i - 1], trace[i]):
                    _add(out, trace[begin:i], n)
                    begin = i
                    split_any = True
            _add(out, trace[begin:], n)
        return out if split_any else None
