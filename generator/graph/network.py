"""Build the computation graph of a multilayer perceptron from its validated spec."""

from __future__ import annotations

from ..problem.spec import Problem
from ..problem.validate import shapes
from .model import Graph, Node

# LaTeX for common names; anything else is written as is, or as the problem's `symbols` say
KNOWN_SYMBOLS = {
    "yhat": r"\hat{y}", "loss": r"\ell", "J": "J", "delta": r"\delta", "sigma": r"\sigma",
    "theta": r"\theta", "phi": r"\phi",
}


def symbol(problem: Problem, name: str) -> str:
    """The LaTeX symbol for a node name."""
    if name in problem.symbols:
        return problem.symbols[name]
    if name in KNOWN_SYMBOLS:
        return KNOWN_SYMBOLS[name]
    head = name.rstrip("0123456789")
    if head and head != name:
        return f"{head}^{{{name[len(head):]}}}"  # h1 -> h^{1}: the layer as a superscript
    return name


def batch_size(problem: Problem) -> int:
    """Number of samples (columns of the input)."""
    return len(problem.values[problem.network.input_name][0])


def build_graph(problem: Problem) -> Graph:
    """x -> (linear -> activation) per layer -> loss, as named nodes in topological order."""
    net = problem.network
    shape = shapes(net, batch_size(problem))

    def leaf(name: str, kind: str, layer: int | None = None) -> Node:
        latex = symbol(problem, name)
        if kind in ("param", "const") and name not in problem.symbols:
            head = name.rstrip("0123456789") or name  # W1 -> W_{1} or W^{1}, as the handout writes
            latex = f"{head}^{{{layer}}}" if problem.weight_notation == "superscript" else f"{head}_{{{layer}}}"
        return Node(name, kind, (), shape[name], latex, layer=layer)

    nodes = [leaf(net.input_name, "input")]
    prev = net.input_name
    for l, layer in enumerate(net.layers, start=1):
        kind = "const" if layer.fixed else "param"
        nodes.append(leaf(layer.weight, kind, l))
        inputs = (prev, layer.weight)
        if net.bias == "separate":
            nodes.append(leaf(layer.bias, kind, l))
            inputs += (layer.bias,)
        nodes.append(Node(layer.pre, "linear", inputs, shape[layer.pre], symbol(problem, layer.pre),
                          op=net.bias, layer=l))
        nodes.append(Node(layer.post, "activation", (layer.pre,), shape[layer.post],
                          symbol(problem, layer.post), op=layer.activation, layer=l, param=layer.slope))
        prev = layer.post
    nodes.append(leaf(net.target_name, "target"))
    decayed = tuple(l.weight for l in net.layers if not l.fixed) if net.weight_decay else ()
    nodes.append(Node(net.loss_name, "loss", (prev, net.target_name) + decayed, (1, 1),
                      symbol(problem, net.loss_name), op=net.loss, param=net.weight_decay))
    return Graph(tuple(nodes))
