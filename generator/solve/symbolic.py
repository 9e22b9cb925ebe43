"""Exact forward values with sympy: the same graph, evaluated on exact numbers."""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from ..graph.model import Graph, Node
from ..graph.ops import ACTIVATIONS, LOSSES, Linear
from ..problem.spec import Matrix

# exact forms are computed for graphs up to this many scalar values; beyond, numbers only
MAX_EXACT_ENTRIES = 400

SymValues = dict[str, sp.Matrix]
MAX_SIMPLIFY_OPS = 60
MAX_EXACT_OPS = 120  # beyond this an exact value is abandoned for the whole problem  # larger exact forms are kept as they are (and not printed)


def exact(value: Fraction) -> sp.Rational:
    """A Fraction as a sympy Rational (no text is parsed)."""
    return sp.Rational(value.numerator, value.denominator)


def to_matrix(m: Matrix) -> sp.Matrix:
    return sp.Matrix([[exact(v) for v in row] for row in m])


def is_small(graph: Graph) -> bool:
    """Whether exact sympy evaluation stays cheap for this graph."""
    return sum(n.shape[0] * n.shape[1] for n in graph.nodes) <= MAX_EXACT_ENTRIES


def forward_exact(graph: Graph, leaves: dict[str, Matrix]) -> SymValues | None:
    """Every node's exact value as a sympy Matrix; None once exact forms grow too large to help."""
    values: SymValues = {}
    for node in graph.nodes:
        if node.is_leaf:
            values[node.name] = to_matrix(leaves[node.name])
        else:
            values[node.name] = _forward_op(node, [values[i] for i in node.inputs])
            if any(sp.count_ops(v) > MAX_EXACT_OPS for v in values[node.name]):
                return None  # e.g. tanh of tanh of ...: numbers only, still verified
    return values


def _forward_op(node: Node, args: list[sp.Matrix]) -> sp.Matrix:
    if node.kind == "linear":
        return Linear(node.op).sym_forward(*args)
    if node.kind == "activation":
        act = ACTIVATIONS[node.op]
        # simplify only values of rational inputs (cheap, e.g. 1/(1+e^5)); nested forms stay raw
        return args[0].applyfunc(lambda a: simplify(act.sym_forward(a)) if a.is_Rational else act.sym_forward(a))
    if node.kind == "loss":
        return sp.Matrix([[simplify(LOSSES[node.op].sym_forward(*args))]])
    raise ValueError(f"unknown node kind {node.kind!r}")


def simplify(expr: sp.Expr) -> sp.Expr:
    """A readable exact form, e.g. -6 e^10 / (1 + e^5)^3.

    The shortest of a few rewrites wins, but never one that brings in functions the value did
    not have (sympy likes to turn e^5 / (1 + e^5)^2 into 1 / (4 cosh^2(5/2))).
    """
    if getattr(expr, "is_Rational", False):
        return expr
    if sp.count_ops(expr) > MAX_SIMPLIFY_OPS:  # too big to print usefully; simplify would crawl
        return expr
    functions = {type(f) for f in expr.atoms(sp.Function)}
    candidates = [sp.powsimp(sp.together(expr)), expr]
    if not _has_huge_argument(expr):  # sp.simplify can exhaust memory on e^(-10^12)
        candidates.insert(1, sp.simplify(expr))
    allowed = [c for c in candidates if {type(f) for f in c.atoms(sp.Function)} <= functions]
    return min(allowed, key=sp.count_ops)


HUGE_ARGUMENT = 1000  # beyond this, e^a and tanh(a) are far outside float64 anyway


def _has_huge_argument(expr: sp.Expr) -> bool:
    """Whether an exp/tanh in ``expr`` has a rational argument larger than HUGE_ARGUMENT."""
    for f in expr.atoms(sp.exp, sp.tanh):
        arg = f.args[0]
        for r in arg.atoms(sp.Rational):
            if abs(r) > HUGE_ARGUMENT:
                return True
    return False
