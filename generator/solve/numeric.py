"""Numeric forward and backward passes over the graph, in float64 with numpy."""

from __future__ import annotations

import numpy as np

from ..graph.model import Graph
from ..graph.ops import op_for

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
            values[node.name] = op_for(node).evaluate([values[i] for i in node.inputs])
    return values


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
        contributions = op_for(node).vjps(grads[node.name], [values[i] for i in node.inputs], values[node.name])
        for name, d in zip(node.inputs, contributions):
            if d is not None:  # (no gradient flows into a target)
                grads[name] += d
    return grads
