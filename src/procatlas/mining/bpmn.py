"""BPMN models (start/end events, tasks, exclusive and parallel gateways, sequence flows)
and the translation of process trees into them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from procatlas.mining.tree import Operator, ProcessTree, normalize


class NodeKind(str, Enum):
    """BPMN element name of a flow node."""

    START = "startEvent"
    END = "endEvent"
    TASK = "task"
    XOR = "exclusiveGateway"
    AND = "parallelGateway"


@dataclass(frozen=True)
class BpmnNode:
    id: str
    kind: NodeKind
    name: str = ""
    direction: str = ""  # gateways: "Diverging", "Converging", or "" when unspecified


@dataclass(frozen=True)
class SequenceFlow:
    id: str
    source: str
    target: str


@dataclass(frozen=True)
class BpmnModel:
    """One BPMN process: its flow nodes and the sequence flows between them."""

    nodes: tuple[BpmnNode, ...]
    flows: tuple[SequenceFlow, ...]
    name: str = "process"

    def node(self, node_id: str) -> BpmnNode:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def tasks(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.nodes if n.kind is NodeKind.TASK)

    def _repr_svg_(self) -> str:
        from procatlas.render.model_svg import model_svg
        return model_svg(self)


class _Builder:
    def __init__(self) -> None:
        self.nodes: list[BpmnNode] = []
        self.flows: list[SequenceFlow] = []

    def node(self, kind: NodeKind, name: str = "", direction: str = "") -> str:
        prefix = {NodeKind.START: "start", NodeKind.END: "end", NodeKind.TASK: "task",
                  NodeKind.XOR: "xor", NodeKind.AND: "and"}[kind]
        nid = f"{prefix}_{len(self.nodes)}"
        self.nodes.append(BpmnNode(nid, kind, name, direction))
        return nid

    def flow(self, source: str, target: str) -> None:
        self.flows.append(SequenceFlow(f"flow_{len(self.flows)}", source, target))

    def block(self, tree: ProcessTree) -> tuple[str, str] | None:
        """Create the nodes of ``tree``; return its (entry, exit) node, None for tau."""
        op = tree.operator
        if op is None:
            if tree.label is None:
                return None
            t = self.node(NodeKind.TASK, tree.label)
            return t, t
        if op is Operator.SEQ:
            entry = exit_ = None
            for child in tree.children:
                b = self.block(child)
                if b is None:
                    continue
                if exit_ is None:
                    entry = b[0]
                else:
                    self.flow(exit_, b[0])
                exit_ = b[1]
            return None if entry is None else (entry, exit_)
        if op is Operator.LOOP:
            join = self.node(NodeKind.XOR, direction="Converging")
            split = self.node(NodeKind.XOR, direction="Diverging")
            self._between(tree.children[0], join, split)
            self._between(tree.children[1], split, join)
            return join, split
        kind = NodeKind.XOR if op is Operator.XOR else NodeKind.AND
        split = self.node(kind, direction="Diverging")
        join = self.node(kind, direction="Converging")
        for child in tree.children:
            self._between(child, split, join)
        return split, join

    def _between(self, tree: ProcessTree, source: str, target: str) -> None:
        b = self.block(tree)
        if b is None:
            self.flow(source, target)
        else:
            self.flow(source, b[0])
            self.flow(b[1], target)


def tree_to_bpmn(tree: ProcessTree, *, name: str = "process") -> BpmnModel:
    """Translate a process tree into a block-structured BPMN model.

    Activities become tasks, ``xor``/``loop`` exclusive gateways, ``and`` parallel gateways,
    tau a plain sequence flow; one start and one end event frame the whole.
    """
    b = _Builder()
    start = b.node(NodeKind.START, "start")
    end = b.node(NodeKind.END, "end")
    b._between(normalize(tree), start, end)
    return BpmnModel(tuple(b.nodes), tuple(b.flows), name)
