"""Optimal alignments of variants against a Petri net: A* over the synchronous product.

Standard cost function: a log move or a visible model move costs 1, a synchronous move or a
silent (tau) model move costs 0.  The heuristic comes from the delete relaxation of
the net (see :class:`_Relaxation`): admissible and consistent, so the first final state popped
is an optimal alignment, like A* with the marking-equation heuristic, at a fraction of the
cost per state (no LP per state; relaxations are cached per marking across variants).  Alignments run once per variant, most frequent
first, under a time budget; variants left when it runs out are reported, not guessed.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from procatlas.mining.petri import PetriNet

LOG, MODEL, SYNC = "log", "model", "sync"
_EPS = 1e-6


@dataclass(frozen=True)
class Move:
    """One step of an alignment: ``kind`` log/model/sync; ``log`` event label (None on model
    moves), ``model`` transition label (None on log moves; None with kind model = tau) and the
    transition id, ``position`` the index of the trace event (model moves: the next event)."""

    kind: str
    log: str | None
    model: str | None
    transition: str | None
    position: int


@dataclass(frozen=True)
class Alignment:
    """An optimal alignment of one trace: moves, cost (deviations) and fitness
    ``1 - cost / (len(trace) + cost of the shortest model run)`` (pm4py's definition)."""

    trace: tuple[str, ...]
    moves: tuple[Move, ...]
    cost: int
    fitness: float
    states: int

    @property
    def deviations(self) -> tuple[Move, ...]:
        return tuple(m for m in self.moves if m.kind == LOG or (m.kind == MODEL and m.model is not None))


@dataclass(frozen=True)
class VariantAlignments:
    """Alignments of the variants of a log; ``missing`` variants were not aligned (budget or
    state cap hit) and ``note`` says so.  Fitness of the log counts aligned cases only."""

    alignments: dict[tuple[str, ...], Alignment]
    missing: tuple[tuple[str, ...], ...]
    best_worst_cost: int
    log_fitness: float | None
    average_trace_fitness: float | None
    aligned_cases: int
    total_cases: int
    seconds: float
    note: str | None = None
    counts: dict[tuple[str, ...], int] = field(default_factory=dict)


class _Net:
    """A Petri net compiled to index arrays for the search and the LP."""

    def __init__(self, net: PetriNet):
        self.places = [p.id for p in net.places]
        pidx = {p: i for i, p in enumerate(self.places)}
        self.tids = [t.id for t in net.transitions]
        self.labels = [t.label for t in net.transitions]
        tidx = {t: i for i, t in enumerate(self.tids)}
        n_p, n_t = len(self.places), len(self.tids)
        pre = [dict() for _ in range(n_t)]
        post = [dict() for _ in range(n_t)]
        for a in net.arcs:
            if a.source in tidx:
                post[tidx[a.source]][pidx[a.target]] = post[tidx[a.source]].get(pidx[a.target], 0) + a.weight
            else:
                pre[tidx[a.target]][pidx[a.source]] = pre[tidx[a.target]].get(pidx[a.source], 0) + a.weight
        self.pre = [tuple(d.items()) for d in pre]
        self.delta = []
        for t in range(n_t):
            d = dict(post[t])
            for p, w in pre[t].items():
                d[p] = d.get(p, 0) - w
            self.delta.append(tuple((p, w) for p, w in d.items() if w))
        self.incidence = np.zeros((n_p, n_t))
        for t in range(n_t):
            for p, w in self.delta[t]:
                self.incidence[p, t] = w
        self.initial = self._marking(net.initial_marking, pidx, n_p)
        self.final = self._marking(net.final_marking, pidx, n_p)
        self.cost = [0 if lab is None else 1 for lab in self.labels]
        self.visible = [t for t in range(n_t) if self.labels[t] is not None]
        self.by_label: dict[str, list[int]] = {}
        for t in self.visible:
            self.by_label.setdefault(self.labels[t], []).append(t)
        # consuming transitions per place: only those can be newly enabled/disabled by a move
        self.final_arr = np.array(self.final, float)

    @staticmethod
    def _marking(marking, pidx, n) -> tuple[int, ...]:
        m = [0] * n
        for p, k in marking:
            m[pidx[p]] += k
        return tuple(m)

    def enabled(self, m: tuple[int, ...]) -> list[int]:
        return [t for t, pre in enumerate(self.pre) if all(m[p] >= w for p, w in pre)]

    def fire(self, m: tuple[int, ...], t: int) -> tuple[int, ...]:
        lst = list(m)
        for p, w in self.delta[t]:
            lst[p] += w
        return tuple(lst)


class _Relaxation:
    """Admissible, consistent heuristic from the delete relaxation of the net, cached per marking.

    From a marking, a place is reachable at relaxed cost 0 if marked, else at the cheapest
    ``cost(t) + max(cost of t's input places)`` over transitions ``t`` producing it (h_max).
    Two bounds follow, and the heuristic is their maximum: every remaining event whose label
    no relaxed-reachable transition carries must be a log move; and reaching the final
    marking needs at least h_max(final) visible firings, of which at most one per remaining
    event can be a synchronous move.  Both only grow along moves, so the heuristic is
    consistent and A* returns an optimal alignment with the first final state it pops.
    """

    def __init__(self, net: _Net):
        self.net = net
        n_p = len(net.places)
        self.producers: list[list[int]] = [[] for _ in range(n_p)]
        self.consumers: list[list[int]] = [[] for _ in range(n_p)]
        for t in range(len(net.tids)):
            for p, w in net.delta[t]:
                if w > 0:
                    self.producers[p].append(t)
            for p, _w in net.pre[t]:
                self.consumers[p].append(t)
        self.final_places = [p for p, k in enumerate(net.final) if k]
        self.cache: dict[tuple[int, ...], tuple[frozenset, float]] = {}

    def of(self, m: tuple[int, ...]) -> tuple[frozenset, float]:
        hit = self.cache.get(m)
        if hit is not None:
            return hit
        net = self.net
        inf = float("inf")
        cost = [0.0 if k else inf for k in m]
        # Dijkstra over places with 0/1 transition costs (h_max of the delete relaxation)
        heap = [(0.0, p) for p, k in enumerate(m) if k]
        heapq.heapify(heap)
        fired: set[int] = set()
        while heap:
            c, p = heapq.heappop(heap)
            if c > cost[p]:
                continue
            for t in self.consumers[p]:
                if t in fired:
                    continue
                ct = max(cost[q] for q, _w in net.pre[t])
                if ct == inf:
                    continue
                fired.add(t)
                ct += net.cost[t]
                for q, w in net.delta[t]:
                    if w > 0 and ct < cost[q]:
                        cost[q] = ct
                        heapq.heappush(heap, (ct, q))
        # transitions without input places are always fireable
        fired.update(t for t in range(len(net.tids)) if not net.pre[t])
        labels = frozenset(net.labels[t] for t in fired if net.labels[t] is not None)
        to_final = max((cost[p] for p in self.final_places), default=0.0)
        if any(m[p] > net.final[p] for p in range(len(m))) and to_final == 0.0:
            to_final = 0.0
        self.cache[m] = (labels, to_final)
        return labels, to_final


def _align(net: _Net, trace: tuple[str, ...], *, max_states: int, deadline: float | None,
           relax: _Relaxation | None = None) -> Alignment | None:
    """A* with the relaxation heuristic; None when the state cap or the deadline is hit."""
    relax = relax or _Relaxation(net)
    n = len(trace)
    # suffix_without[i][a]: remaining events from i on, by label (for the log-move bound)
    suffix: list[dict[str, int]] = [dict() for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        d = dict(suffix[i + 1])
        d[trace[i]] = d.get(trace[i], 0) + 1
        suffix[i] = d

    def h(m: tuple[int, ...], i: int) -> float:
        labels, to_final = relax.of(m)
        if to_final == float("inf"):
            return to_final
        missing = sum(k for a, k in suffix[i].items() if a not in labels)
        return max(float(missing), to_final - (n - i))

    start = (net.initial, 0)
    h0 = h(*start)
    if h0 == float("inf"):
        return None
    g_best = {start: 0}
    parent: dict = {start: (None, None)}
    counter = 0
    heap = [(h0, 0, counter, 0, start)]
    closed: set = set()
    while heap:
        _f, _negi, _, g, key = heapq.heappop(heap)
        if key in closed:
            continue
        closed.add(key)
        m, i = key
        if i == n and m == net.final:
            return _result(trace, parent, key, g, len(closed))
        if len(closed) > max_states or (deadline is not None and (len(closed) & 255) == 0
                                         and time.perf_counter() > deadline):
            return None
        succ = []
        if i < n:
            succ.append(((m, i + 1), 1, (LOG, trace[i], None, None, i)))
        for t in net.enabled(m):
            m2 = net.fire(m, t)
            succ.append(((m2, i), net.cost[t], (MODEL, None, net.labels[t], net.tids[t], i)))
            if i < n and net.labels[t] == trace[i]:
                succ.append(((m2, i + 1), 0, (SYNC, trace[i], net.labels[t], net.tids[t], i)))
        for key2, c, move in succ:
            if key2 in closed:
                continue
            g2 = g + c
            if g2 >= g_best.get(key2, float("inf")):
                continue
            h2 = h(*key2)
            if h2 == float("inf"):
                continue
            g_best[key2] = g2
            parent[key2] = (key, move)
            counter += 1
            heapq.heappush(heap, (g2 + h2, -key2[1], counter, g2, key2))
    return None


def _result(trace, parents, key, cost: int, states: int) -> Alignment:
    moves = []
    while True:
        prev, move = parents[key]
        if prev is None:
            break
        moves.append(Move(*move))
        key = prev
    moves.reverse()
    return Alignment(tuple(trace), tuple(moves), int(round(cost)), 1.0, states)


def align_variants(net: PetriNet, variants: Mapping[tuple[str, ...], int], *, time_budget_s: float | None = 10.0,
                   max_states: int = 200_000) -> VariantAlignments:
    """Align every variant (most frequent first) against ``net`` within ``time_budget_s``.

    >>> from procatlas.mining.tree import parse_tree
    >>> from procatlas.mining.petri import tree_to_petri
    >>> net = tree_to_petri(parse_tree("seq('a', xor('b', 'c'), 'd')"))
    >>> r = align_variants(net, {("a", "b", "d"): 3, ("a", "d"): 1})
    >>> r.alignments[("a", "d")].cost, round(r.log_fitness, 4)
    (1, 0.9565)
    """
    started = time.perf_counter()
    deadline = None if time_budget_s is None else started + time_budget_s
    compiled = _Net(net)
    relax = _Relaxation(compiled)
    empty = _align(compiled, (), max_states=max_states, deadline=None, relax=relax)
    if empty is None:
        from procatlas.errors import InputError
        raise InputError("the model cannot reach its final marking (no run from initial to final marking)")
    bwc = empty.cost
    done: dict[tuple[str, ...], Alignment] = {}
    missing: list[tuple[str, ...]] = []
    capped = 0
    for trace in sorted(variants, key=lambda v: (-variants[v], len(v), v)):
        if deadline is not None and time.perf_counter() > deadline:
            missing.append(trace)
            continue
        a = _align(compiled, tuple(trace), max_states=max_states, deadline=deadline, relax=relax)
        if a is None:
            missing.append(trace)
            if deadline is None or time.perf_counter() <= deadline:
                capped += 1
            continue
        denom = len(trace) + bwc
        fit = 1.0 - a.cost / denom if denom else 1.0
        done[tuple(trace)] = Alignment(a.trace, a.moves, a.cost, fit, a.states)
    total = sum(variants.values())
    aligned = sum(variants[v] for v in done)
    log_fit = avg_fit = None
    if aligned:
        cost = sum(variants[v] * done[v].cost for v in done)
        denom = sum(variants[v] * (len(v) + bwc) for v in done)
        log_fit = 1.0 - cost / denom if denom else 1.0
        avg_fit = sum(variants[v] * done[v].fitness for v in done) / aligned
    note = None
    if missing:
        parts = []
        if capped:
            parts.append(f"{capped} variant(s) exceeded the state cap of {max_states:,}")
        if len(missing) > capped:
            parts.append(f"the time budget of {time_budget_s:g} s ran out before {len(missing) - capped} variant(s)")
        note = (f"alignments cover {len(done):,} of {len(variants):,} variants ({aligned:,} of {total:,} cases): "
                + "; ".join(parts) + "; fitness counts aligned cases only")
    return VariantAlignments(done, tuple(missing), bwc, log_fit, avg_fit, aligned, total,
                             round(time.perf_counter() - started, 3), note, dict(variants))
