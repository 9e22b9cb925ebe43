"""Evaluate a parsed matrix formula (problem.matrix_expr) with numpy, on one network's numbers.

Why this is not graph.mexpr's evaluator: a claim is read as a grader reads it, literally. ``*``
is a number times a matrix whenever one side is 1x1 (``2 * (yhat - y) * T(x)``), ``+`` and ``-``
take a 1x1 side as a number, numbers, ``m`` and ``eta`` are values, and ``ones(A)`` is shaped
like any A; the op table's trees have none of these (MatMul refuses shapes that do not fit, a
Scale is an exact coefficient, Ones is the batch column). The messages below appear on pages
as the reason an erratum's shapes do not fit, and the claims' LaTeX (render.claims) differs from
mlatex's (aug as a bracketed column, sumcols as A 1_m). Moving claims onto mexpr trees would add
those node kinds and a second printer to mexpr, and change pages; it was left as it is.
"""

from __future__ import annotations

import numpy as np


class ShapeError(ValueError):
    """The formula multiplies or adds matrices whose shapes do not fit."""


def evaluate_matrix(tree: tuple, values: dict[str, np.ndarray], grads: dict[str, np.ndarray],
                    batch: int) -> np.ndarray:
    """The formula's value; ShapeError names the step whose shapes do not fit."""
    kind = tree[0]
    if kind == "num":
        return np.array([[tree[1]]])
    if kind == "name":
        return np.array([[float(batch)]]) if tree[1] == "m" else values[tree[1]]
    if kind == "neg":
        return -evaluate_matrix(tree[1], values, grads, batch)
    if kind == "call":
        name, args = tree[1], tree[2]
        if name == "d":
            return grads[args[0][1]]
        a = [evaluate_matrix(t, values, grads, batch) for t in args]
        if name == "T":
            return a[0].T
        if name == "sumcols":
            return a[0].sum(axis=1, keepdims=True)
        if name == "step":
            return (a[0] > 0).astype(float)
        if name == "ones":
            return np.ones_like(a[0])
        if name == "aug":
            return np.vstack([np.ones((1, a[0].shape[1])), a[0]])
        if name == "hadamard":
            return _checked(a[0], a[1], "entry-by-entry product", lambda x, y: x * y, same=True)
    left = evaluate_matrix(tree[1], values, grads, batch)
    right = evaluate_matrix(tree[2], values, grads, batch)
    if kind in ("add", "sub"):
        return _checked(left, right, "sum", (lambda x, y: x + y) if kind == "add" else (lambda x, y: x - y), same=True)
    if kind == "div":
        return left / right[0, 0]
    if left.shape == (1, 1) or right.shape == (1, 1):
        return left * right  # a number times a matrix
    if left.shape[1] != right.shape[0]:
        raise ShapeError(f"a {left.shape[0]}x{left.shape[1]} matrix times a "
                         f"{right.shape[0]}x{right.shape[1]} matrix does not fit")
    return left @ right


def _checked(a, b, what, op, same: bool) -> np.ndarray:
    if same and a.shape != b.shape and (1, 1) not in (a.shape, b.shape):
        raise ShapeError(f"the {what} of a {a.shape[0]}x{a.shape[1]} and a {b.shape[0]}x{b.shape[1]} "
                         "matrix does not fit")
    return op(a, b)
