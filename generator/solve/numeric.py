"""Numeric forward and backward passes over the graph, in float64 with numpy."""

from __future__ import annotations

import numpy as np

from ..graph.model import Graph, Node
from ..graph.ops import activation_of, decay_of, LOSSES, Linear

Values = dict[str, np.ndarray]


def forward(graph: Graph, leaves: Values, overrides: Values | None = None) -> Values:
    """Every node's value, given the leaves; ``overrides`` replace computed nodes (for checks)."""
    values: Values = {}
    for node in graph.nodes:
        if overrides and node.name in overrides:
            values[node.name] = overrides[node.name]
        elif node.is_leaf:
            values[node.name] = np.asarray(leaves[node.name], dtype=np.float64)
        else:
            values[node.name] = _forward_op(node, [values[i] for i in node.inputs])
    return values


def _forward_op(node: Node, args: list[np.ndarray]) -> np.ndarray:
    if node.kind == "linear":
        return Linear(node.op).forward(*args)
    if node.kind == "activation":
        return activation_of(node.op, node.param).forward(args[0])
    if node.kind == "loss":
        value = LOSSES[node.op].forward(args[0], args[1])
        decay = decay_of(node.param)
        if decay is not None:  # the weights after the prediction and the target
            value += decay.forward(args[2:])
        return np.array([[value]])
    raise ValueError(f"unknown node kind {node.kind!r}")


def objective(graph: Graph, leaves: Values) -> float:
    """J, the value of the last node."""
    return float(forward(graph, leaves)[graph.objective.name][0, 0])


def backward(graph: Graph, values: Values, seed: tuple[str, tuple[int, int]] | None = None) -> Values:
    """dJ/d(node) for every node, by one reversed sweep (reverse-mode accumulation).

    With ``seed`` = (node, index) it is the derivative of that one entry instead of J.
    """
    grads: Values = {node.name: np.zeros_like(values[node.name]) for node in graph.nodes}
    if seed is None:
        grads[graph.objective.name] = np.ones((1, 1))
    else:
        grads[seed[0]][seed[1]] = 1.0
    for node in reversed(graph.nodes):
        if node.is_leaf:
            continue
        g = grads[node.name]
        args = [values[i] for i in node.inputs]
        if node.kind == "loss":
            grads[node.inputs[0]] += g[0, 0] * LOSSES[node.op].gradient(args[0], args[1])
            decay = decay_of(node.param)
            for w_name in node.inputs[2:]:
                grads[w_name] += g[0, 0] * decay.gradient(values[w_name])
        elif node.kind == "activation":
            act = activation_of(node.op, node.param)
            grads[node.inputs[0]] += act.vjp(g, args[0], values[node.name])
        elif node.kind == "linear":
            dx, dw, db = Linear(node.op).vjp(g, args[0], args[1])
            grads[node.inputs[0]] += dx
            grads[node.inputs[1]] += dw
            if db is not None:
                grads[node.inputs[2]] += db
    return grads
