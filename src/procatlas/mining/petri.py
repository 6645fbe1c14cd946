"""Petri nets (workflow nets) and the block-wise translation of process trees into them."""

from __future__ import annotations

from dataclasses import dataclass

from procatlas.mining.tree import Operator, ProcessTree


@dataclass(frozen=True)
class Place:
    id: str
    name: str = ""


@dataclass(frozen=True)
class Transition:
    """A transition; ``label=None`` makes it silent (tau)."""

    id: str
    label: str | None = None

    @property
    def silent(self) -> bool:
        return self.label is None


@dataclass(frozen=True)
class Arc:
    source: str
    target: str
    weight: int = 1


Marking = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class PetriNet:
    """A labelled Petri net with an initial and a final marking (place id -> tokens)."""

    places: tuple[Place, ...]
    transitions: tuple[Transition, ...]
    arcs: tuple[Arc, ...]
    initial_marking: Marking
    final_marking: Marking
    name: str = "net"

    def preset(self, node: str) -> tuple[str, ...]:
        return tuple(a.source for a in self.arcs if a.target == node)

    def postset(self, node: str) -> tuple[str, ...]:
        return tuple(a.target for a in self.arcs if a.source == node)

    def _repr_svg_(self) -> str:
        from procatlas.render.model_svg import model_svg
        return model_svg(self)


class _Builder:
    def __init__(self) -> None:
        self.places: list[Place] = []
        self.transitions: list[Transition] = []
        self.arcs: list[Arc] = []

    def place(self, name: str = "") -> str:
        pid = f"p{len(self.places)}"
        self.places.append(Place(pid, name))
        return pid

    def transition(self, label: str | None) -> str:
        tid = f"t{len(self.transitions)}"
        self.transitions.append(Transition(tid, label))
        return tid

    def arc(self, source: str, target: str) -> None:
        self.arcs.append(Arc(source, target))

    def step(self, label: str | None, p_in: str, p_out: str) -> None:
        t = self.transition(label)
        self.arc(p_in, t)
        self.arc(t, p_out)

    def block(self, tree: ProcessTree, p_in: str, p_out: str) -> None:
        """Put ``tree`` between ``p_in`` and ``p_out``.

        Invariant that keeps the net sound and the language right: a block only consumes
        from ``p_in`` and only produces into ``p_out``, so blocks can share these places
        as choices (xor) and as hand-overs (seq).
        """
        op = tree.operator
        if op is None:
            self.step(tree.label, p_in, p_out)
        elif op is Operator.SEQ:
            cur = p_in
            for i, child in enumerate(tree.children):
                nxt = p_out if i == len(tree.children) - 1 else self.place()
                self.block(child, cur, nxt)
                cur = nxt
        elif op is Operator.XOR:
            for child in tree.children:
                self.block(child, p_in, p_out)
        elif op is Operator.AND:
            split = self.transition(None)
            join = self.transition(None)
            self.arc(p_in, split)
            self.arc(join, p_out)
            for child in tree.children:
                a, b = self.place(), self.place()
                self.arc(split, a)
                self.arc(b, join)
                self.block(child, a, b)
        elif op is Operator.LOOP:
            do, redo = tree.children
            a, b = self.place(), self.place()
            self.step(None, p_in, a)
            self.block(do, a, b)
            self.block(redo, b, a)
            self.step(None, b, p_out)
        else:  # pragma: no cover
            raise ValueError(op)


def tree_to_petri(tree: ProcessTree, *, name: str = "net", reduce: bool = True) -> PetriNet:
    """Translate a process tree into a sound workflow net (source place ``p0`` -> sink ``p1``).

    Each operator becomes a block of places and transitions; tau leaves, parallel
    split/join and loop entry/exit are silent transitions. With ``reduce`` (the default)
    the silent transitions that only delay are then fused away (see :func:`reduce_silent`),
    which keeps the language and soundness and gives the smaller nets people expect.
    """
    b = _Builder()
    source = b.place("source")
    sink = b.place("sink")
    b.block(tree, source, sink)
    net = PetriNet(tuple(b.places), tuple(b.transitions), tuple(b.arcs),
                   ((source, 1),), ((sink, 1),), name)
    return reduce_silent(net) if reduce else net


def reduce_silent(net: PetriNet) -> PetriNet:
    """Remove silent transitions by the series fusion rules of Murata (1989).

    A silent ``t`` with one input place ``p`` and one output place ``q`` goes when ``t`` is
    the only way out of ``p`` (``p`` merges into ``q``) or the only way into ``q`` (``q``
    merges into ``p``); a silent ``t`` whose input place is fed by one transition ``u`` and
    feeds only ``t`` is merged into ``u`` (and symmetrically into the single consumer of its
    output place). These rules preserve the language up to tau and soundness; the source
    place keeps no inputs and the sink no outputs, so the result is still a workflow net.
    """
    places = {p.id: p for p in net.places}
    labels = {t.id: t.label for t in net.transitions}
    arcs = {(a.source, a.target) for a in net.arcs}
    if any(a.weight != 1 for a in net.arcs):
        return net
    initial = {p for p, _ in net.initial_marking}
    final = {p for p, _ in net.final_marking}

    def pre(n):
        return {s for s, t in arcs if t == n}

    def post(n):
        return {t for s, t in arcs if s == n}

    def merge_place(old: str, into: str) -> None:
        for s, t in list(arcs):
            if s == old:
                arcs.discard((s, t))
                arcs.add((into, t))
            elif t == old:
                arcs.discard((s, t))
                arcs.add((s, into))
        del places[old]

    def drop(node: str) -> None:
        for e in [e for e in arcs if node in e]:
            arcs.discard(e)

    changed = True
    while changed:
        changed = False
        for t in sorted(labels, key=lambda x: int(x[1:]) if x[1:].isdigit() else 0):
            if labels[t] is not None:
                continue
            ins, outs = pre(t), post(t)
            if len(ins) == 1 and len(outs) == 1:
                (p,), (q,) = ins, outs
                if p == q:
                    continue
                if post(p) == {t} and p not in final and (p not in initial or pre(q) == {t}) \
                        and not (pre(p) & pre(q)) and q not in initial:
                    drop(t)
                    del labels[t]
                    merge_place(p, q)
                    if p in initial:
                        initial.discard(p)
                        initial.add(q)
                    changed = True
                    break
                if pre(q) == {t} and q not in final and p not in final \
                        and not (post(p) & post(q)):
                    drop(t)
                    del labels[t]
                    merge_place(q, p)
                    changed = True
                    break
            if len(ins) == 1:
                (p,) = ins
                feeders = pre(p)
                if post(p) == {t} and len(feeders) == 1 and p not in initial:
                    (u,) = feeders
                    if u != t and not (post(u) & outs):
                        drop(t)
                        del labels[t]
                        drop(p)
                        del places[p]
                        for q in outs:
                            arcs.add((u, q))
                        changed = True
                        break
            if len(outs) == 1:
                (q,) = outs
                takers = post(q)
                if pre(q) == {t} and len(takers) == 1 and q not in final:
                    (v,) = takers
                    if v != t and not (pre(v) & ins):
                        drop(t)
                        del labels[t]
                        drop(q)
                        del places[q]
                        for p in ins:
                            arcs.add((p, v))
                        changed = True
                        break
    order = {a: i for i, a in enumerate((a.source, a.target) for a in net.arcs)}
    kept_arcs = sorted(arcs, key=lambda e: (order.get(e, len(order)), e))
    return PetriNet(
        tuple(p for p in net.places if p.id in places),
        tuple(t for t in net.transitions if t.id in labels),
        tuple(Arc(s, t) for s, t in kept_arcs),
        tuple((p, 1) for p in sorted(initial)),
        net.final_marking,
        net.name,
    )
