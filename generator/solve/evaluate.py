"""Evaluate a sympy expression in float64, by walking its tree (no code is generated or run)."""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from ..graph.ops import sigma


def _sigmoid(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a)) if a >= 0 else math.exp(a) / (1.0 + math.exp(a))


UNARY = {
    sp.sin: math.sin, sp.cos: math.cos, sp.tan: math.tan, sp.exp: math.exp, sp.log: math.log,
    sp.tanh: math.tanh, sp.sinh: math.sinh, sp.cosh: math.cosh, sigma: _sigmoid, sp.Abs: abs,
}


class NotNumeric(ValueError):
    """The expression holds something with no number (an unknown function)."""


def evaluate(expr: sp.Expr, env: dict[str, float]) -> float:
    """The value of ``expr`` with each symbol set from ``env`` (by name), in float64."""
    if expr.is_Symbol:
        return float(env[expr.name])
    if expr.is_Number or expr in (sp.pi, sp.E):
        return float(expr)
    if expr.is_Add:
        return math.fsum(evaluate(a, env) for a in expr.args)
    if expr.is_Mul:
        out = 1.0
        for a in expr.args:
            out *= evaluate(a, env)
        return out
    if expr.is_Pow:
        base, exponent = evaluate(expr.args[0], env), evaluate(expr.args[1], env)
        return float(np.float64(base) ** np.float64(exponent))
    if isinstance(expr, sp.Piecewise):
        for value, condition in expr.args:
            if condition is sp.true or _holds(condition, env):
                return evaluate(value, env)
        raise NotNumeric(f"no branch of {expr} applies")
    for kind, fn in UNARY.items():
        if isinstance(expr, kind):
            return fn(evaluate(expr.args[0], env))
    raise NotNumeric(f"cannot evaluate {expr} numerically")


def _holds(condition: sp.Basic, env: dict[str, float]) -> bool:
    if isinstance(condition, sp.And):
        return all(_holds(c, env) for c in condition.args)
    if isinstance(condition, sp.Or):
        return any(_holds(c, env) for c in condition.args)
    lhs, rhs = evaluate(condition.lhs, env), evaluate(condition.rhs, env)
    ops = {sp.StrictGreaterThan: lhs > rhs, sp.GreaterThan: lhs >= rhs, sp.StrictLessThan: lhs < rhs,
           sp.LessThan: lhs <= rhs, sp.Equality: lhs == rhs, sp.Unequality: lhs != rhs}
    for kind, result in ops.items():
        if isinstance(condition, kind):
            return result
    raise NotNumeric(f"cannot evaluate the condition {condition}")


def kink_side(expr: sp.Expr, env: dict[str, float]) -> bytes:
    """For every condition of every Piecewise in ``expr``: the sign of lhs - rhs (0 = on the kink)."""
    signs = []
    for pw in sorted(expr.atoms(sp.Piecewise), key=sp.default_sort_key):
        for _, condition in pw.args:
            for rel in sorted(condition.atoms(sp.core.relational.Relational), key=sp.default_sort_key):
                d = evaluate(rel.lhs, env) - evaluate(rel.rhs, env)
                signs.append(int(np.sign(d)))
    return np.array(signs, dtype=np.int8).tobytes()
