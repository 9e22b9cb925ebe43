"""The op table: each op's forward rule, its local derivative and its LaTeX, side by side.

Arrays follow one convention: a layer's values are a matrix of shape (units, batch), one
column per sample. Adding an activation or a loss is one entry below.

LaTeX templates take the element symbols by name: ``{a}`` is the op's input, ``{z}`` its
output (activations); ``{y}`` the target and ``{yhat}`` the prediction (losses). Only these
placeholders are replaced (see render.symbols.fill); other braces are plain LaTeX.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import numpy as np
import sympy as sp

from . import mexpr as mx

Array = np.ndarray


# ---------------------------------------------------------------- activations (element-wise)


@dataclass(frozen=True)
class Activation:
    """An element-wise function g with z = g(a) and its derivative g'(a)."""

    name: str
    forward: Callable[[Array], Array]
    derivative: Callable[[Array, Array], Array]  # g'(a), given a and z = g(a)
    sym_forward: Callable[[sp.Expr], sp.Expr]
    sym_derivative: Callable[[sp.Expr, sp.Expr], sp.Expr]  # g'(a) from a and z
    latex: str  # g applied to {a}
    latex_derivative_in_a: str  # g'(a) written with the input
    latex_derivative: str  # g'(a) simplified, written with whatever reads best
    # g'(z) as a matrix expression, entry by entry, from the trees of z and h = g(z); None: 1
    derivative_matrix: Callable[[mx.Expr, mx.Expr], mx.Expr | None] = lambda z, h: None
    kinks: tuple[float, ...] = ()  # points where g is not differentiable
    convention: str = ""  # the value used at a kink, stated on the page

    def forward_matrix(self, z: mx.Expr, key: str = "") -> mx.Expr:
        """h = g(z), entry by entry, as a tree (the identity gives z itself); ``key`` names the
        function where the handout leaves it open."""
        if self.latex == "{a}" and not key:
            return z
        tree = mx.Elementwise(self.latex.replace("{a}", "{x}"), self.forward, z) if self.latex != "{a}" else z
        return mx.Named(key, z, tree, self.forward) if key else tree

    def vjp_matrix(self, upstream: mx.Expr, z: mx.Expr, h: mx.Expr, key: str = "") -> mx.Expr:
        """dJ/dz = dJ/dh (.) g'(z), given the tree of dJ/dh; ``key`` names g where the handout
        leaves it open (printed g'(z) there, and this op's g' beside it)."""
        derivative = self.derivative_matrix(z, h)
        if key:
            return mx.Had(upstream, mx.Named(key + "'", z, derivative if derivative is not None else _ONE(z),
                                             lambda a: self.derivative(a, self.forward(a))))
        return mx.had(upstream, derivative)


def _ONE(z: mx.Expr) -> mx.Expr:
    """The tree 1 shaped like z (the identity's derivative, when it must be written)."""
    return mx.Elementwise("1", lambda a: np.ones_like(a, dtype=float), z)


def _sigmoid(a: Array) -> Array:
    # split by sign so that exp never overflows
    out = np.empty_like(a, dtype=float)
    pos = a >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-a[pos]))
    ea = np.exp(a[~pos])
    out[~pos] = ea / (1.0 + ea)
    return out


class sigma(sp.Function):  # noqa: N801 - named as printed
    """sigma(x) = 1 / (1 + e^{-x}) as a sympy function that keeps its name on the page.

    Its derivative rule sigma' = sigma (1 - sigma) is stated here, beside it, and checked by the
    tests against the derivative of the exponential form.
    """

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sigma(self.args[0]) * (1 - sigma(self.args[0]))

    def _eval_rewrite_as_exp(self, x: sp.Expr, **kwargs) -> sp.Expr:
        return 1 / (1 + sp.exp(-x))

    def _eval_evalf(self, prec: int) -> sp.Expr:
        return (1 / (1 + sp.exp(-self.args[0])))._eval_evalf(prec)

    def _latex(self, printer, exp=None) -> str:
        body = rf"\sigma\left({printer._print(self.args[0])}\right)"
        return body if exp is None else rf"{body}^{{{exp}}}"


def _sym_relu(a: sp.Expr) -> sp.Expr:
    return sp.Piecewise((a, a > 0), (0, True))


def _sym_step(a: sp.Expr) -> sp.Expr:
    # relu'(0) := 0, the convention stated on the page
    return sp.Piecewise((1, a > 0), (0, True))


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation(
            name="identity",
            forward=lambda a: a.astype(float),
            derivative=lambda a, z: np.ones_like(a, dtype=float),
            sym_forward=lambda a: a,
            sym_derivative=lambda a, z: sp.Integer(1),
            latex="{a}",
            latex_derivative_in_a="1",
            latex_derivative="1",
        ),
        Activation(
            name="relu",
            forward=lambda a: np.maximum(a, 0.0),
            derivative=lambda a, z: (a > 0).astype(float),
            sym_forward=_sym_relu,
            sym_derivative=lambda a, z: _sym_step(a),
            latex=r"\operatorname{ReLU}\left({a}\right)",
            latex_derivative_in_a=r"\begin{cases} 1 & {a} > 0 \\ 0 & {a} \le 0 \end{cases}",
            latex_derivative=r"\mathbb{1}\left[{a} > 0\right]",
            # relu'(0) := 0, the convention stated on the page
            derivative_matrix=lambda z, h: mx.Elementwise(r"\mathbb{1}\left[{x} > 0\right]",
                                                          lambda a: (a > 0).astype(float), z),
            kinks=(0.0,),
            convention=r"\operatorname{ReLU}'(0) := 0",
        ),
        Activation(
            name="sigmoid",
            forward=_sigmoid,
            derivative=lambda a, z: z * (1.0 - z),
            sym_forward=lambda a: 1 / (1 + sp.exp(-a)),
            sym_derivative=lambda a, z: z * (1 - z),
            latex=r"\sigma\left({a}\right)",
            latex_derivative_in_a=r"\sigma\left({a}\right)\left(1 - \sigma\left({a}\right)\right)",
            latex_derivative=r"{z}\left(1 - {z}\right)",
            derivative_matrix=lambda z, h: mx.Had(h, mx.OneMinus(h)),
        ),
        Activation(
            name="tanh",
            forward=np.tanh,
            derivative=lambda a, z: 1.0 - z**2,
            sym_forward=sp.tanh,
            sym_derivative=lambda a, z: 1 - z**2,
            latex=r"\tanh\left({a}\right)",
            latex_derivative_in_a=r"1 - \tanh^2\left({a}\right)",
            latex_derivative=r"1 - {z}^2",
            derivative_matrix=lambda z, h: mx.OneMinus(mx.Had(h, h)),
        ),
    ]
}


# ---------------------------------------------------------------- losses (prediction, target -> J)


@dataclass(frozen=True)
class Loss:
    """A loss J(yhat, y) over a batch; per-sample loss l_k, objective J = mean over samples.

    ``scale`` and ``per_output_mean`` define it: l_k = scale * sum_i (yhat_ik - y_ik)^2,
    divided by the number of outputs when ``per_output_mean``.
    """

    name: str
    scale: sp.Rational
    per_output_mean: bool
    latex: str  # per-sample loss of one output, in {y}, {yhat}
    latex_derivative: str  # d l / d yhat for one output, one sample

    def _divisor(self, yhat: Array) -> int:
        outputs, batch = yhat.shape
        return batch * (outputs if self.per_output_mean else 1)

    def forward(self, yhat: Array, y: Array) -> float:
        """J = mean over the batch of the per-sample loss."""
        return float(self.scale) * float(np.sum((yhat - y) ** 2)) / self._divisor(yhat)

    def gradient(self, yhat: Array, y: Array) -> Array:
        """dJ/dyhat, same shape as yhat."""
        return 2.0 * float(self.scale) * (yhat - y) / self._divisor(yhat)

    def sym_forward(self, yhat: sp.Matrix, y: sp.Matrix) -> sp.Expr:
        """J as an exact sympy expression."""
        total = sum(((yhat[i, k] - y[i, k]) ** 2 for i in range(yhat.rows) for k in range(yhat.cols)),
                    sp.Integer(0))
        divisor = yhat.cols * (yhat.rows if self.per_output_mean else 1)
        return self.scale * total / divisor

    def gradient_matrix(self, yhat: mx.Expr, y: mx.Expr, outputs: int, key: str = "") -> mx.Expr:
        """dJ/dyhat as a matrix expression: 2 scale (yhat - y) / m, and / outputs for a mean;
        ``key`` names it where the handout leaves the loss open (J')."""
        den = Fraction(outputs) if self.per_output_mean else Fraction(1)
        tree = mx.scale(Fraction(2 * self.scale), den, 1, mx.Sub(yhat, y))
        return mx.Named(key, yhat, tree, None) if key else tree

    def sym_derivative(self, yhat: sp.Expr, y: sp.Expr, outputs: int, batch: int) -> sp.Expr:
        """dJ/dyhat_ik as an exact sympy expression."""
        divisor = batch * (outputs if self.per_output_mean else 1)
        return 2 * self.scale * (yhat - y) / divisor


LOSSES: dict[str, Loss] = {
    l.name: l
    for l in [
        Loss(
            name="squared_error",
            scale=sp.Integer(1),
            per_output_mean=False,
            latex=r"\left({y} - {yhat}\right)^2",
            latex_derivative=r"-2\left({y} - {yhat}\right)",
        ),
        Loss(
            name="half_squared_error",
            scale=sp.Rational(1, 2),
            per_output_mean=False,
            latex=r"\tfrac{1}{2}\left({yhat} - {y}\right)^2",
            latex_derivative=r"{yhat} - {y}",
        ),
        Loss(
            name="mean_squared_error",
            scale=sp.Integer(1),
            per_output_mean=True,
            latex=r"\left({y} - {yhat}\right)^2",
            latex_derivative=r"-2\left({y} - {yhat}\right)",
        ),
    ]
}


# ---------------------------------------------------------------- linear map a = W x (+ b)


BIAS_CONVENTIONS = ("folded", "separate", "none")


@dataclass(frozen=True)
class Linear:
    """a = W x~ + b, where x~ = [1; x] when the bias is folded into column 0 of W."""

    bias: str  # one of BIAS_CONVENTIONS

    @property
    def column_offset(self) -> int:
        """Column of W that multiplies x_1 (1 when column 0 holds the bias)."""
        return 1 if self.bias == "folded" else 0

    def augment(self, x: Array) -> Array:
        """x~: x with a row of ones on top when the bias is folded."""
        if self.bias != "folded":
            return x
        return np.vstack([np.ones((1, x.shape[1])), x])

    def forward(self, x: Array, w: Array, b: Array | None = None) -> Array:
        """a = W x~ (+ b)."""
        a = w @ self.augment(x)
        return a + b if b is not None else a

    def vjp(self, g: Array, x: Array, w: Array) -> tuple[Array, Array, Array | None]:
        """Given g = dJ/da, return dJ/dx, dJ/dW and dJ/db (None unless the bias is separate)."""
        dw = g @ self.augment(x).T
        dx = w[:, self.column_offset:].T @ g
        db = g.sum(axis=1, keepdims=True) if self.bias == "separate" else None
        return dx, dw, db

    def forward_matrix(self, x: mx.Expr, w: mx.Expr, b: mx.Expr | None = None) -> mx.Expr:
        """a = W x~ (+ b) as a tree."""
        a = mx.MatMul(w, mx.Augment(x) if self.bias == "folded" else x)
        return mx.Add(a, b) if b is not None else a

    def vjp_matrix(self, delta: mx.Expr, x: mx.Expr, w: mx.Expr) -> dict[str, mx.Expr]:
        """The backward rule in matrix form, from delta = dJ/da: dJ/dW = delta x~^T,
        dJ/dx = W^T delta (without W's bias column when folded), dJ/db = delta 1 (the batch sum)."""
        x_tilde = mx.Augment(x) if self.bias == "folded" else x
        w_x = mx.DropBias(w) if self.bias == "folded" else w
        rules = {"weight": mx.MatMul(delta, mx.T(x_tilde)), "input": mx.MatMul(mx.T(w_x), delta)}
        if self.bias == "separate":
            rules["bias"] = mx.MatMul(delta, mx.Ones())
        return rules

    def sym_augment(self, x: sp.Matrix) -> sp.Matrix:
        """x~ for exact sympy matrices."""
        if self.bias != "folded":
            return x
        return sp.Matrix.vstack(sp.ones(1, x.cols), x)

    def sym_forward(self, x: sp.Matrix, w: sp.Matrix, b: sp.Matrix | None = None) -> sp.Matrix:
        """a = W x~ (+ b), exactly."""
        a = w * self.sym_augment(x)
        if b is not None:
            a = a + b * sp.ones(1, x.cols)
        return a
