"""The computation graph: named nodes in topological order, each naming its op and inputs."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

# node kinds: leaves first, then the three op families of the op table
LEAF_KINDS = ("input", "target", "param", "const")  # const: given, not learned
OP_KINDS = ("linear", "activation", "loss")


@dataclass(frozen=True)
class Node:
    """One node; ``op`` keys into the op table (activation or loss name, or bias convention)."""

    name: str
    kind: str
    inputs: tuple[str, ...]
    shape: tuple[int, int]  # (rows, columns); activations have one column per sample
    latex: str  # the symbol on the page, e.g. r"\hat{y}" or "W_{1}"
    op: str = ""
    layer: int | None = None
    # the op's parameter: an activation's (leaky ReLU's slope), or the loss's weight decay
    # lambda, whose weights are then the loss node's inputs after the prediction and target
    param: Fraction | None = None

    @property
    def is_leaf(self) -> bool:
        return self.kind in LEAF_KINDS


@dataclass(frozen=True)
class Graph:
    """Nodes in topological order; the last node is the objective J."""

    nodes: tuple[Node, ...]

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for node in self.nodes:
            missing = [i for i in node.inputs if i not in seen]
            if missing:
                raise ValueError(f"node {node.name!r} uses {missing} before they are defined")
            if node.name in seen:
                raise ValueError(f"node {node.name!r} defined twice")
            seen.add(node.name)

    def node(self, name: str) -> Node:
        """The node called ``name``."""
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    def has(self, name: str) -> bool:
        return any(node.name == name for node in self.nodes)

    @property
    def objective(self) -> Node:
        return self.nodes[-1]

    def params(self) -> tuple[Node, ...]:
        """The learned parameters, in order."""
        return tuple(n for n in self.nodes if n.kind == "param")

    def consumers(self, name: str) -> tuple[Node, ...]:
        """The nodes that take ``name`` as an input."""
        return tuple(n for n in self.nodes if name in n.inputs)


@dataclass(frozen=True, order=True)
class Elem:
    """One scalar entry of a node: (row, column), 0-based, as stored."""

    node: str
    index: tuple[int, int]
