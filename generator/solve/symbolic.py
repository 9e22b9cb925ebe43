"""Exact forward values with sympy: the same graph, evaluated on exact numbers."""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import sympy as sp

from ..graph.model import Graph
from ..graph.ops import op_for
from ..problem.spec import Matrix
from .evaluate import NotNumeric, evaluate

# exact forms are computed for graphs up to this many scalar values; beyond, numbers only
MAX_EXACT_ENTRIES = 400

SymValues = dict[str, sp.Matrix]
# An exact value beyond this many operations is never printed (its LaTeX would exceed
# render/numbers.py's MAX_EXACT_LATEX): it is not rewritten, not tested for zero symbolically,
# and, as the values computed from it are larger still, exact forms are then abandoned for the
# whole problem (numbers only, still verified), before sympy spends its time on tanh of tanh
# of ... (that limit was 120: 004-delta-recursion spent 0.3 s on forms it dropped)
MAX_EXACT_OPS = 60


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
            values[node.name] = op_for(node).sym_evaluate([values[i] for i in node.inputs], simplify)
            if any(sp.count_ops(v) > MAX_EXACT_OPS for v in values[node.name]):
                return None  # e.g. tanh of tanh of ...: numbers only, still verified
    return values


@functools.lru_cache(maxsize=8192)
def simplify(expr: sp.Expr) -> sp.Expr:
    """A readable exact form, e.g. -6 e^10 / (1 + e^5)^3.

    The shortest (fewest operations, a leading minus sign counted) of a few cheap rewrites wins,
    the rewritten forms first among equals. ``sp.simplify`` is not among them: on these forms
    it picked the same result in all but a handful of cases, at several times the cost (the
    build profile was dominated by it), and it likes to bring in functions the value did not
    have (e^5 / (1 + e^5)^2 becomes 1 / (4 cosh^2(5/2))). Equal expressions are simplified once
    (memoized): the handouts repeat many values.
    """
    if getattr(expr, "is_Rational", False):
        return expr
    if sp.count_ops(expr) > MAX_EXACT_OPS:  # too big to print usefully; rewriting would crawl
        return expr
    functions = {type(f) for f in expr.atoms(sp.Function)}
    # (sp.cancel is not among them either, nor `together` without `deep`: on the handouts'
    # problems neither ever gave the shortest form, and cancel expands sums of exponentials
    # into dozens of terms, slowly)
    candidates = [sp.powsimp(sp.together(expr, deep=True)), sp.factor_terms(expr), expr]
    allowed = [c for c in candidates if {type(f) for f in c.atoms(sp.Function)} <= functions]
    return min(allowed, key=_cost)


def _cost(expr: sp.Expr) -> int:
    """Operations to write ``expr``; -(a + b) costs two more than -a - b (sign and brackets)."""
    wrapped = expr.is_Mul and expr.args[0] == -1 and any(a.is_Add for a in expr.args[1:])
    return sp.count_ops(expr) + (2 if wrapped else 0)


@functools.lru_cache(maxsize=8192)
def is_zero(expr: sp.Expr) -> bool:
    """Whether ``expr`` is identically zero: cheap rewrites first, ``sp.simplify`` only if needed."""
    if expr == 0:
        return True
    if _nonzero_somewhere(expr):  # a value proves it is not zero (and skips sp.simplify)
        return False
    if sp.count_ops(expr) > MAX_EXACT_OPS or _has_huge_argument(expr):
        # too big to decide symbolically in bounded time (sp.simplify and cancel can crawl, or
        # exhaust memory on e^(-10^12)): callers then compare values at sample points
        return False
    if sp.expand(expr) == 0:
        return True
    in_exp = expr.rewrite(sp.exp)  # sigma, tanh, sinh, cosh as exponentials
    if sp.expand(in_exp) == 0 or sp.cancel(expr) == 0 or sp.cancel(in_exp) == 0:
        return True
    return sp.simplify(expr) == 0


# positive points, so any assumption a symbol carries (positive, real) holds there
PROBE_POINTS = (sp.Rational(3, 7), sp.Rational(11, 13), sp.Rational(5, 3))
PROBE_DIGITS = 30
PROBE_NONZERO = sp.Rational(1, 10**12)  # an identically zero expression evaluates to ~1e-30
PROBE_FLOAT_SMALL = 1e-9  # a float64 value below this may be rounding: left to the symbolic tests


def _nonzero_somewhere(expr: sp.Expr) -> bool:
    """Whether ``expr`` is clearly non-zero at a probe point (30 significant digits).

    Only a proof of "not zero": an expression with abstract functions, that does not give a
    number, or that happens to vanish at the point, is left to the symbolic tests. One point
    suffices: an expression that is zero there is most likely zero everywhere, and then only a
    symbolic test can tell. A float64 pass goes first: it fails fast where a value overflows
    (e^(e^(e^100)) would keep a 30-digit evaluation busy for ever), and only a value that fits
    in a float is then confirmed with 30 digits.
    """
    symbols = sorted(expr.free_symbols, key=str)
    point = {x: PROBE_POINTS[i % len(PROBE_POINTS)] + i for i, x in enumerate(symbols)}
    try:
        approx = evaluate(expr, {x.name: float(v) for x, v in point.items()})
    except (NotNumeric, ArithmeticError, ValueError, TypeError, KeyError):
        return False
    if not math.isfinite(approx) or abs(approx) < PROBE_FLOAT_SMALL:
        return False
    try:
        value = expr.evalf(PROBE_DIGITS, subs=point)
    except (TypeError, ValueError, ArithmeticError):
        return False
    return bool(value.is_Number and value.is_finite and abs(value) > PROBE_NONZERO)


HUGE_ARGUMENT = 1000  # beyond this, e^a and tanh(a) are far outside float64 anyway


def _has_huge_argument(expr: sp.Expr) -> bool:
    """Whether an exp/tanh in ``expr`` has a rational argument larger than HUGE_ARGUMENT."""
    for f in expr.atoms(sp.exp, sp.tanh):
        arg = f.args[0]
        for r in arg.atoms(sp.Rational):
            if abs(r) > HUGE_ARGUMENT:
                return True
    return False
