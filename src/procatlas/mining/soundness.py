"""Soundness and replay checks of small workflow nets by exploring their state space."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from procatlas.mining.petri import PetriNet


@dataclass(frozen=True)
class SoundnessReport:
    """Outcome of the classical soundness check (van der Aalst) of a workflow net."""

    workflow_net: bool
    bounded: bool
    option_to_complete: bool
    proper_completion: bool
    no_dead_transitions: bool
    states: int

    @property
    def sound(self) -> bool:
        return (self.workflow_net and self.bounded and self.option_to_complete
                and self.proper_completion and self.no_dead_transitions)


class _Compiled:
    def __init__(self, net: PetriNet) -> None:
        self.net = net
        self.pidx = {p.id: i for i, p in enumerate(net.places)}
        self.tids = [t.id for t in net.transitions]
        self.labels = [t.label for t in net.transitions]
        tidx = {t: i for i, t in enumerate(self.tids)}
        self.pre: list[list[tuple[int, int]]] = [[] for _ in self.tids]
        self.post: list[list[tuple[int, int]]] = [[] for _ in self.tids]
        for a in net.arcs:
            if a.source in tidx:
                self.post[tidx[a.source]].append((self.pidx[a.target], a.weight))
            else:
                self.pre[tidx[a.target]].append((self.pidx[a.source], a.weight))
        n = len(net.places)
        self.initial = self._vec(net.initial_marking, n)
        self.final = self._vec(net.final_marking, n)

    def _vec(self, marking, n) -> tuple[int, ...]:
        v = [0] * n
        for p, k in marking:
            v[self.pidx[p]] += k
        return tuple(v)

    def enabled(self, m: tuple[int, ...]):
        for t, pre in enumerate(self.pre):
            if all(m[p] >= w for p, w in pre):
                yield t

    def fire(self, m: tuple[int, ...], t: int) -> tuple[int, ...]:
        v = list(m)
        for p, w in self.pre[t]:
            v[p] -= w
        for p, w in self.post[t]:
            v[p] += w
        return tuple(v)


def is_workflow_net(net: PetriNet) -> bool:
    """One source place, one sink place, every node on a path from source to sink."""
    sources = [p.id for p in net.places if not net.preset(p.id)]
    sinks = [p.id for p in net.places if not net.postset(p.id)]
    if len(sources) != 1 or len(sinks) != 1:
        return False
    succ: dict[str, list[str]] = {}
    pred: dict[str, list[str]] = {}
    for a in net.arcs:
        succ.setdefault(a.source, []).append(a.target)
        pred.setdefault(a.target, []).append(a.source)

    def reach(start: str, nbr) -> set[str]:
        seen = {start}
        todo = [start]
        while todo:
            for m in nbr.get(todo.pop(), ()):
                if m not in seen:
                    seen.add(m)
                    todo.append(m)
        return seen

    nodes = {p.id for p in net.places} | {t.id for t in net.transitions}
    return reach(sources[0], succ) >= nodes and reach(sinks[0], pred) >= nodes


def check_soundness(net: PetriNet, *, max_states: int = 200_000) -> SoundnessReport:
    """Explore the reachability graph; a net with more than ``max_states`` states or a
    place holding more tokens than the net has transitions is reported as unbounded."""
    c = _Compiled(net)
    bound = max(2, len(net.transitions) + 1)
    states = {c.initial: 0}
    order = [c.initial]
    succ: list[list[int]] = []
    fired = set()
    bounded = True
    i = 0
    while i < len(order):
        m = order[i]
        i += 1
        out = []
        for t in c.enabled(m):
            fired.add(t)
            m2 = c.fire(m, t)
            if max(m2, default=0) > bound:
                bounded = False
                continue
            if m2 not in states:
                if len(states) >= max_states:
                    bounded = False
                    continue
                states[m2] = len(order)
                order.append(m2)
            out.append(states[m2])
        succ.append(out)
    final = states.get(c.final)
    # option to complete: final reachable from every state (backwards search)
    pred: list[list[int]] = [[] for _ in order]
    for s, outs in enumerate(succ):
        for t in outs:
            pred[t].append(s)
    can_finish = set()
    if final is not None:
        can_finish.add(final)
        todo = [final]
        while todo:
            for s in pred[todo.pop()]:
                if s not in can_finish:
                    can_finish.add(s)
                    todo.append(s)
    option = bounded and final is not None and len(can_finish) == len(order)
    proper = all(not (all(x >= y for x, y in zip(m, c.final)) and m != c.final) for m in order)
    return SoundnessReport(
        workflow_net=is_workflow_net(net),
        bounded=bounded,
        option_to_complete=option,
        proper_completion=proper,
        no_dead_transitions=len(fired) == len(c.tids),
        states=len(order),
    )


def can_replay(net: PetriNet, trace: Sequence[str], *, max_states: int = 200_000) -> bool:
    """True when the net can fire ``trace`` (plus any silent transitions) from the initial
    to exactly the final marking."""
    c = _Compiled(net)
    silent = [t for t, lab in enumerate(c.labels) if lab is None]
    by_label: dict[str, list[int]] = {}
    for t, lab in enumerate(c.labels):
        if lab is not None:
            by_label.setdefault(lab, []).append(t)
    start = (c.initial, 0)
    seen = {start}
    todo = deque([start])
    while todo:
        m, i = todo.popleft()
        if i == len(trace) and m == c.final:
            return True
        nxt = []
        for t in silent:
            if all(m[p] >= w for p, w in c.pre[t]):
                nxt.append((c.fire(m, t), i))
        if i < len(trace):
            for t in by_label.get(trace[i], ()):
                if all(m[p] >= w for p, w in c.pre[t]):
                    nxt.append((c.fire(m, t), i + 1))
        for s in nxt:
            if s not in seen:
                if len(seen) >= max_states:
                    return False
                seen.add(s)
                todo.append(s)
    return False
