"""Process discovery: Inductive Miner (IMf) trees, Petri nets and BPMN models."""

from procatlas.mining.inductive import discover_tree
from procatlas.mining.petri import PetriNet, tree_to_petri
from procatlas.mining.tree import Operator, ProcessTree

__all__ = ["discover_tree", "tree_to_petri", "PetriNet", "ProcessTree", "Operator"]
