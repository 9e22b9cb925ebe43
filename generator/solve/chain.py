"""The element-level chain rule: local derivative factors and the paths from a weight to J."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from ..graph.model import Graph, Node
from ..graph.ops import activation_of, decay_of, LOSSES, Linear
from .numeric import Values
from .symbolic import SymValues, simplify

MAX_PATHS = 2  # beyond this many paths the page writes the delta recursion instead


@dataclass(frozen=True, order=True)
class Elem:
    """One scalar entry of a node: (row, column), 0-based, as stored."""

    node: str
    index: tuple[int, int]


@dataclass(frozen=True)
class Factor:
    """d out / d inp for one op, with the operand entries its formula is written in."""

    out: Elem
    inp: Elem
    role: str  # which input of the op: "input", "weight", "bias", "pre", "prediction"
    value: float
    exact: sp.Expr | None
    operands: dict[str, Elem] = field(default_factory=dict)  # template name -> entry


def local_factor(graph: Graph, values: Values, exact: SymValues | None, out: Elem, inp: Elem) -> Factor:
    """The local derivative d out / d inp of the op computing ``out``; ``inp`` is a direct input."""
    node = graph.node(out.node)
    (i, k), (p, q) = out.index, inp.index
    xv = lambda name, idx: (exact[name][idx] if exact is not None else None)  # noqa: E731
    if node.kind == "activation":
        act = activation_of(node.op, node.param)
        a, z = values[inp.node][p, q], values[out.node][i, k]
        if i != p and not act.elementwise:  # d z_i / d a_p of an op that couples a sample's entries
            zp = Elem(out.node, (p, q))
            sym = act.sym_cross(xv(out.node, (i, k)), xv(out.node, (p, q))) if exact is not None else None
            return Factor(out, inp, "cross", float(act.cross(z, values[out.node][p, q])), _simple(sym),
                          {"z": out, "zp": zp})
        value = float(act.derivative(np.array([[a]]), np.array([[z]]))[0, 0])
        sym = act.sym_derivative(xv(inp.node, (p, q)), xv(out.node, (i, k))) if exact is not None else None
        return Factor(out, inp, "pre", value, _simple(sym), {"a": inp, "z": out})
    if node.kind == "loss":
        if inp.node in node.inputs[2:]:  # d J / d W_pq of the weight decay: lambda W_pq
            decay = decay_of(node.param)
            w = float(values[inp.node][p, q])
            sym = decay.sym_derivative(xv(inp.node, (p, q))) if exact is not None else None
            return Factor(out, inp, "decay", float(decay.gradient(np.array(w))), _simple(sym), {"w": inp})
        loss = LOSSES[node.op]
        pred, target = node.inputs[:2]
        yhat = values[pred]
        value = float(loss.gradient(yhat, values[target])[p, q])
        sym = None
        if exact is not None:
            sym = loss.sym_derivative(exact[pred][p, q], exact[target][p, q], *yhat.shape)
        return Factor(out, inp, "prediction", value, _simple(sym),
                      {"yhat": Elem(pred, (p, q)), "y": Elem(target, (p, q))})
    if node.kind == "linear":
        lin = Linear(node.op)
        x_name, w_name = node.inputs[0], node.inputs[1]
        if inp.node == w_name:  # d a_i / d W_ij = x~_j
            j = q - lin.column_offset
            if j < 0:  # the bias column multiplies the constant 1
                return Factor(out, inp, "weight", 1.0, sp.Integer(1), {})
            x = Elem(x_name, (j, k))
            return Factor(out, inp, "weight", float(values[x_name][j, k]),
                          xv(x_name, (j, k)), {"x": x})
        if inp.node == x_name:  # d a_i / d x_j = W_{i, j}
            w = Elem(w_name, (i, p + lin.column_offset))
            return Factor(out, inp, "input", float(values[w_name][w.index]), xv(w_name, w.index), {"w": w})
        return Factor(out, inp, "bias", 1.0, sp.Integer(1), {})  # d a_i / d b_i = 1
    raise ValueError(f"{out.node} is a leaf; it has no local derivative")


def _simple(expr: sp.Expr | None) -> sp.Expr | None:
    return None if expr is None else simplify(expr)


def successors(graph: Graph, values: Values, elem: Elem) -> list[Elem]:
    """The entries of later nodes that depend directly on ``elem``."""
    out: list[Elem] = []
    for node in graph.consumers(elem.node):
        r, c = elem.index
        rows, cols = values[node.name].shape
        if node.kind == "activation":
            if activation_of(node.op, node.param).elementwise:
                out.append(Elem(node.name, (r, c)))
            else:  # every entry of the sample depends on this one
                out += [Elem(node.name, (i, c)) for i in range(rows)]
        elif node.kind == "loss":
            if elem.node == node.inputs[0] or elem.node in node.inputs[2:]:  # prediction, decayed weight
                out.append(Elem(node.name, (0, 0)))
        elif node.kind == "linear":
            x_name, w_name = node.inputs[0], node.inputs[1]
            if elem.node == x_name:
                out += [Elem(node.name, (i, c)) for i in range(rows)]
            elif elem.node == w_name:
                out += [Elem(node.name, (r, k)) for k in range(cols)]
            else:  # separate bias
                out += [Elem(node.name, (r, k)) for k in range(cols)]
    return out


def _reaches(graph: Graph, target: Elem | None):
    """A test for 'this entry is the end of a path' and 'this entry can no longer reach it'."""
    order = {n.name: i for i, n in enumerate(graph.nodes)}
    goal = target or Elem(graph.objective.name, (0, 0))

    def done(e: Elem) -> bool:
        return e == goal

    def dead(e: Elem) -> bool:
        return order[e.node] > order[goal.node] or (e.node == goal.node and e != goal)

    return done, dead


def count_paths(graph: Graph, values: Values, start: Elem, target: Elem | None = None) -> int:
    """How many distinct paths lead from ``start`` to ``target`` (J when None)."""
    done, dead = _reaches(graph, target)
    memo: dict[Elem, int] = {}

    def walk(e: Elem) -> int:
        if done(e):
            return 1
        if dead(e):
            return 0
        if e not in memo:
            memo[e] = sum(walk(s) for s in successors(graph, values, e))
        return memo[e]

    return walk(start)


def paths(graph: Graph, values: Values, exact: SymValues | None, start: Elem,
          target: Elem | None = None) -> list[list[Factor]]:
    """Every path from ``start`` to ``target`` (J when None), each as factors from the top down."""
    done, dead = _reaches(graph, target)
    found: list[list[Factor]] = []

    def walk(e: Elem, below: list[Factor]) -> None:
        if done(e):
            found.append(list(reversed(below)))
            return
        if dead(e):
            return
        for s in successors(graph, values, e):
            walk(s, below + [local_factor(graph, values, exact, s, e)])

    walk(start, [])
    return found
