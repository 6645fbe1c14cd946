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


def tree_to_petri(tree: ProcessTree, *, name: str = "net") -> PetriNet:
    """Translate a process tree into a sound workflow net (source place ``p0`` -> sink ``p1``).

    Each operator becomes a block of places and transitions; tau leaves, parallel
    split/join and loop entry/exit are silent transitions.
    """
    b = _Builder()
    source = b.place("source")
    sink = b.place("sink")
    b.block(tree, source, sink)
    return PetriNet(tuple(b.places), tuple(b.transitions), tuple(b.arcs),
                    ((source, 1),), ((sink, 1),), name)
