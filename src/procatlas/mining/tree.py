"""Process trees: the block-structured models the Inductive Miner discovers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Operator(str, Enum):
    """Operator of an inner process-tree node."""

    SEQ = "seq"
    XOR = "xor"
    AND = "and"
    LOOP = "loop"


@dataclass(frozen=True)
class ProcessTree:
    """A process-tree node.

    A leaf has ``operator=None`` and a ``label`` (an activity) or ``label=None`` (tau, the
    silent step). An inner node has an operator and children; ``loop`` has exactly two
    children, the body (``do``) and the ``redo`` part: ``loop(do, redo)`` runs ``do``, then
    any number of times ``redo`` followed by ``do``.
    """

    operator: Operator | None = None
    children: tuple[ProcessTree, ...] = ()
    label: str | None = None

    def __post_init__(self) -> None:
        if self.operator is None:
            if self.children:
                raise ValueError("a leaf has no children")
        else:
            if self.label is not None:
                raise ValueError("an operator node has no label")
            if self.operator is Operator.LOOP and len(self.children) != 2:
                raise ValueError("loop takes exactly two children (do, redo)")
            if self.operator is not Operator.LOOP and len(self.children) < 1:
                raise ValueError(f"{self.operator.value} needs children")

    @property
    def is_leaf(self) -> bool:
        return self.operator is None

    @property
    def is_tau(self) -> bool:
        return self.operator is None and self.label is None

    def activities(self) -> frozenset[str]:
        """Every activity label in the tree."""
        if self.is_leaf:
            return frozenset() if self.label is None else frozenset((self.label,))
        return frozenset().union(*(c.activities() for c in self.children))

    def leaves(self) -> int:
        if self.is_leaf:
            return 1
        return sum(c.leaves() for c in self.children)

    def to_string(self) -> str:
        """Compact text form, e.g. ``seq(a, xor(b, tau))``; labels are quoted when needed."""
        if self.is_leaf:
            return "tau" if self.label is None else _quote(self.label)
        inner = ", ".join(c.to_string() for c in self.children)
        return f"{self.operator.value}({inner})"

    def __str__(self) -> str:
        return self.to_string()

    def _repr_svg_(self) -> str:
        from procatlas.render.model_svg import model_svg
        return model_svg(self)


def _quote(label: str) -> str:
    if label and label != "tau" and label.replace("_", "").replace(" ", "").isalnum() \
            and " " not in label and label not in {o.value for o in Operator}:
        return label
    return "'" + label.replace("\\", "\\\\").replace("'", "\\'") + "'"


TAU = ProcessTree()


def activity(label: str) -> ProcessTree:
    return ProcessTree(label=label)


def seq(*children: ProcessTree) -> ProcessTree:
    return ProcessTree(Operator.SEQ, tuple(children))


def xor(*children: ProcessTree) -> ProcessTree:
    return ProcessTree(Operator.XOR, tuple(children))


def par(*children: ProcessTree) -> ProcessTree:
    return ProcessTree(Operator.AND, tuple(children))


def loop(do: ProcessTree, redo: ProcessTree) -> ProcessTree:
    return ProcessTree(Operator.LOOP, (do, redo))


def parse_tree(text: str) -> ProcessTree:
    """Parse the ``to_string`` form back into a tree (for tests and docs)."""
    pos = 0

    def skip() -> None:
        nonlocal pos
        while pos < len(text) and text[pos].isspace():
            pos += 1

    def node() -> ProcessTree:
        nonlocal pos
        skip()
        if text[pos] == "'":
            pos += 1
            out = []
            while text[pos] != "'":
                if text[pos] == "\\":
                    pos += 1
                out.append(text[pos])
                pos += 1
            pos += 1
            return activity("".join(out))
        start = pos
        while pos < len(text) and text[pos] not in "(),":
            pos += 1
        word = text[start:pos].strip()
        skip()
        if pos < len(text) and text[pos] == "(":
            pos += 1
            kids = [node()]
            skip()
            while text[pos] == ",":
                pos += 1
                kids.append(node())
                skip()
            pos += 1  # ')'
            return ProcessTree(Operator(word), tuple(kids))
        return TAU if word == "tau" else activity(word)

    result = node()
    skip()
    if pos != len(text):
        raise ValueError(f"trailing text at {pos}: {text[pos:]!r}")
    return result


def normalize(tree: ProcessTree) -> ProcessTree:
    """Flatten nested operators of the same kind and drop redundant taus.

    ``seq(a, seq(b, c))`` -> ``seq(a, b, c)``; taus in seq/and vanish; one-child nodes
    collapse; ``xor`` keeps at most one tau. The language is unchanged.
    """
    if tree.is_leaf:
        return tree
    kids = [normalize(c) for c in tree.children]
    op = tree.operator
    if op is Operator.LOOP:
        return ProcessTree(op, tuple(kids))
    flat: list[ProcessTree] = []
    for k in kids:
        if k.operator is op:
            flat.extend(k.children)
        else:
            flat.append(k)
    if op in (Operator.SEQ, Operator.AND):
        flat = [k for k in flat if not k.is_tau]
        if not flat:
            return TAU
    else:
        seen_tau = False
        kept = []
        for k in flat:
            if k.is_tau:
                if seen_tau:
                    continue
                seen_tau = True
            kept.append(k)
        flat = kept
    if len(flat) == 1:
        return flat[0]
    return ProcessTree(op, tuple(flat))


def canonical(tree: ProcessTree) -> ProcessTree:
    """The normal form with the children of ``xor`` and ``and`` in text order.

    Choice and parallel composition are commutative, so two trees with equal canonical forms
    have the same language; used to compare discovered trees with other miners' trees.

    >>> canonical(parse_tree("xor(c, and(b, a))")).to_string()
    'xor(and(a, b), c)'
    """
    tree = normalize(tree)
    if tree.is_leaf:
        return tree
    kids = [canonical(c) for c in tree.children]
    if tree.operator in (Operator.XOR, Operator.AND):
        kids.sort(key=ProcessTree.to_string)
    return ProcessTree(tree.operator, tuple(kids))
