"""The op table: each op's forward rule, its local derivative and its LaTeX, side by side.

Arrays follow one convention: a layer's values are a matrix of shape (units, batch), one
column per sample. Adding an activation or a loss is one entry below.

LaTeX templates take the element symbols by name: ``{a}`` is the op's input, ``{z}`` its
output (activations); ``{y}`` the target and ``{yhat}`` the prediction (losses). Only these
placeholders are replaced (see render.symbols.fill); other braces are plain LaTeX.

Each entry is also the op of a graph node: ``op_for(node)`` gives it, configured as the node
uses it, and every entry answers the same questions (``OpEntry``: its value, exact value,
vector-Jacobian products, local derivatives and labels), so code outside the table asks the
entry and never branches on a node's kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Callable

import numpy as np
import sympy as sp

from . import mexpr as mx
from .model import Elem, Graph, Node

Array = np.ndarray
Tidy = Callable[[sp.Expr], sp.Expr]  # the solver's simplify, for the exact forms an op derives


@dataclass(frozen=True)
class Factor:
    """d out / d inp for one op, with the operand entries its formula is written in."""

    out: Elem
    inp: Elem
    role: str  # which input of the op: "input", "weight", "bias", "pre", "cross", "prediction", "decay"
    value: float
    exact: sp.Expr | None
    operands: dict[str, Elem] = field(default_factory=dict)  # template name -> entry
    latex: str = ""  # the derivative, in the operands' placeholders
    latex_in_input: str = ""  # the same first written with the op's input ("" when no other form)


class OpEntry:
    """What every entry of the table answers as the op of a graph node (``op_for(node)``);
    ``args`` are the node's input values, in the node's order. The defaults below are those
    of an op with nothing to add."""

    kinks: tuple[float, ...] = ()  # points where the op is not differentiable
    convention = ""  # the value used at a kink, stated on the page
    numerics = ""  # how float64 evaluation stays finite, stated on the page

    def evaluate(self, args: list[Array]) -> Array:
        """The node's value, in float64."""
        raise NotImplementedError

    def sym_evaluate(self, args: list[sp.Matrix], tidy: Tidy) -> sp.Matrix:
        """The node's exact value; ``tidy`` simplifies what the op derives."""
        raise NotImplementedError

    def vjps(self, upstream: Array, args: list[Array], out: Array) -> list[Array | None]:
        """dJ/d(each input) from dJ/d(out), in the node's input order (None: no gradient flows)."""
        raise NotImplementedError

    def reached(self, position: int, index: tuple[int, int], shape: tuple[int, int]) -> list[tuple[int, int]]:
        """The output entries (of ``shape``) that entry ``index`` of input ``position`` feeds directly."""
        raise NotImplementedError

    def local(self, node: Node, out: Elem, inp: Elem, values: dict, exact: dict | None, tidy: Tidy) -> Factor:
        """The local derivative d out / d inp, with its value, exact form and LaTeX."""
        raise NotImplementedError

    def label(self, graph: Graph, node: Node) -> tuple[str, dict[str, str]]:
        """What the op computes, as a template and the node's symbols for its placeholders."""
        raise NotImplementedError

    def entry_terms(self, node: Node, out: Elem, values: dict) -> list[tuple[Elem, ...]]:
        """The output entry as a sum of products of input entries, term by term ([]: not one)."""
        return []

    def side_by_side(self, node: Node, values: dict) -> list[Elem]:
        """The input entries a drawing sets on one level, in reading order ([]: none)."""
        return []

    def stacked(self, node: Node) -> list[tuple[str, str]]:
        """Pairs of inputs a drawing keeps one above the other ([]: none)."""
        return []


# ---------------------------------------------------------------- activations (element-wise)


@dataclass(frozen=True)
class Activation(OpEntry):
    """z = g(a) with its derivative. Element-wise unless ``vjp_rule`` says otherwise: then each
    output entry depends on every input entry of its sample (column), and the Jacobian of one
    sample has ``derivative`` on its diagonal and ``cross`` off it."""

    name: str
    forward: Callable[[Array], Array]
    derivative: Callable[[Array, Array], Array]  # g'(a) (the Jacobian's diagonal), given a and z = g(a)
    sym_forward: Callable[[sp.Expr], sp.Expr]
    sym_derivative: Callable[[sp.Expr, sp.Expr], sp.Expr]  # g'(a) from a and z
    latex: str  # g applied to {a}
    latex_derivative_in_a: str  # g'(a) written with the input
    latex_derivative: str  # g'(a) simplified, written with whatever reads best
    # g'(z) as a matrix expression, entry by entry, from the trees of z and h = g(z); None: 1
    derivative_matrix: Callable[[mx.Expr, mx.Expr], mx.Expr | None] = lambda z, h: None
    kinks: tuple[float, ...] = ()  # points where g is not differentiable
    convention: str = ""  # the value used at a kink, stated on the page
    notation: str = ""  # a symbol its LaTeX uses that a reader may not know, defined on the page
    numerics: str = ""  # how float64 evaluation keeps overflow away, stated on the page
    # ---- an op whose output entry depends on every input entry of its sample (softmax)
    vjp_rule: Callable[[Array, Array, Array], Array] | None = None  # (dJ/dz, a, z) -> dJ/da
    cross: Callable[[float, float], float] | None = None  # d z_i / d a_p (i != p) from z_i, z_p
    sym_cross: Callable[[sp.Expr, sp.Expr], sp.Expr] | None = None
    latex_cross: str = ""  # d z_i / d a_p (i != p), in {z} (z_i) and {zp} (z_p)
    sym_forward_column: Callable[[list], list] | None = None  # one sample's exact values
    vjp_tree: Callable[[mx.Expr, mx.Expr, mx.Expr], mx.Expr] | None = None  # (upstream, z, h)
    # ---- a per-layer parameter (leaky ReLU's slope): its key, default and the entry it gives
    parameter: str = ""
    default: Fraction | None = None
    configure: Callable[[Fraction], "Activation"] | None = None

    @property
    def elementwise(self) -> bool:
        return self.vjp_rule is None

    def vjp(self, upstream: Array, a: Array, z: Array) -> Array:
        """dJ/da from dJ/dz, one sample per column."""
        if self.vjp_rule is not None:
            return self.vjp_rule(upstream, a, z)
        return upstream * self.derivative(a, z)

    def forward_matrix(self, z: mx.Expr, key: str = "") -> mx.Expr:
        """h = g(z), entry by entry, as a tree (the identity gives z itself); ``key`` names the
        function where the handout leaves it open."""
        if self.latex == "{a}" and not key:
            return z
        tree = (mx.Elementwise(self.latex.replace("{a}", "{x}"), self.forward, z, not self.elementwise)
                if self.latex != "{a}" else z)
        return mx.Named(key, z, tree, self.forward) if key else tree

    def vjp_matrix(self, upstream: mx.Expr, z: mx.Expr, h: mx.Expr, key: str = "") -> mx.Expr:
        """dJ/dz = dJ/dh (.) g'(z), given the tree of dJ/dh; ``key`` names g where the handout
        leaves it open (printed g'(z) there, and this op's g' beside it)."""
        if self.vjp_tree is not None:  # not element-wise (softmax): its own rule, written out
            return self.vjp_tree(upstream, z, h)
        derivative = self.derivative_matrix(z, h)
        if key:
            return mx.Had(upstream, mx.Named(key + "'", z, derivative if derivative is not None else _ONE(z),
                                             lambda a: self.derivative(a, self.forward(a))))
        return mx.had(upstream, derivative)

    def sym_forward_matrix(self, a: sp.Matrix) -> sp.Matrix:
        """The exact values of a whole layer (one column per sample)."""
        if self.sym_forward_column is None:
            return a.applyfunc(self.sym_forward)
        cols = [sp.Matrix(self.sym_forward_column(list(a[:, k]))) for k in range(a.cols)]
        return sp.Matrix.hstack(*cols)

    def with_parameter(self, value: Fraction | None) -> "Activation":
        """The entry for one layer: configured with its parameter (the default when None)."""
        if self.configure is None or value is None:
            return self
        return self.configure(Fraction(value))

    # ---- as the op of a node z = g(a) (args: the node's input values, in order)

    def evaluate(self, args: list[Array]) -> Array:
        """z = g(a)."""
        return self.forward(args[0])

    def sym_evaluate(self, args: list[sp.Matrix], tidy: Tidy) -> sp.Matrix:
        """z = g(a) exactly."""
        if not self.elementwise:  # each entry from its whole sample (softmax)
            return self.sym_forward_matrix(args[0])
        # simplify only values of rational inputs (cheap, e.g. 1/(1+e^5)); nested forms stay raw
        return args[0].applyfunc(lambda a: tidy(self.sym_forward(a)) if a.is_Rational else self.sym_forward(a))

    def vjps(self, upstream: Array, args: list[Array], z: Array) -> list[Array | None]:
        """dJ/da from dJ/dz."""
        return [self.vjp(upstream, args[0], z)]

    def reached(self, position: int, index: tuple[int, int], shape: tuple[int, int]) -> list[tuple[int, int]]:
        """The entries of z that entry ``index`` of a depends on directly."""
        r, c = index
        if self.elementwise:
            return [(r, c)]
        return [(i, c) for i in range(shape[0])]  # every entry of the sample depends on this one

    def local(self, node: Node, out: Elem, inp: Elem, values: dict, exact: dict | None, tidy: Tidy) -> Factor:
        """d z_i / d a_p at one entry: g'(a) on the diagonal, ``cross`` off it."""
        (i, k), (p, q) = out.index, inp.index
        if i != p and not self.elementwise:  # d z_i / d a_p of an op that couples a sample's entries
            zp = Elem(out.node, (p, q))
            sym = tidy(self.sym_cross(exact[out.node][i, k], exact[out.node][p, q])) if exact is not None else None
            return Factor(out, inp, "cross", float(self.cross(values[out.node][i, k], values[out.node][p, q])),
                          sym, {"z": out, "zp": zp}, self.latex_cross)
        a, z = values[inp.node][p, q], values[out.node][i, k]
        value = float(self.derivative(np.array([[a]]), np.array([[z]]))[0, 0])
        sym = tidy(self.sym_derivative(exact[inp.node][p, q], exact[out.node][i, k])) if exact is not None else None
        return Factor(out, inp, "pre", value, sym, {"a": inp, "z": out}, self.latex_derivative,
                      self.latex_derivative_in_a)

    def label(self, graph: Graph, node: Node) -> tuple[str, dict[str, str]]:
        """What the op computes, as a template and the node's symbols for it: ReLU(a)."""
        return self.latex, {"a": graph.node(node.inputs[0]).latex}


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


def _number_latex(x: Fraction) -> str:
    """A parameter as LaTeX: 0.01 when a short decimal says it exactly, else a fraction."""
    for places in range(7):
        if (x * 10 ** places).denominator == 1:
            return f"{float(x):.{places}f}" if places else str(x.numerator)
    return rf"\tfrac{{{x.numerator}}}{{{x.denominator}}}"


# the step in ReLU's derivative, as handout 003 writes it ("x > y evaluates to 1 if true and 0 if false")
def _iverson(example: str) -> str:
    return (r"A condition in square brackets is a number, 1 where it holds and 0 where it does not, "
            rf"taken entry by entry for a vector or matrix (an Iverson bracket): \({example}\)")


def _leaky_relu(slope: Fraction) -> Activation:
    """max(a, alpha a) for a slope 0 <= alpha < 1; its derivative is 1 or alpha."""
    alpha, s = float(slope), sp.Rational(slope.numerator, slope.denominator)
    al = _number_latex(slope)
    return Activation(
        name="leaky_relu",
        forward=lambda a: np.where(a > 0, a, alpha * a).astype(float),
        derivative=lambda a, z: np.where(a > 0, 1.0, alpha),
        sym_forward=lambda a: sp.Piecewise((a, a > 0), (s * a, True)),
        # LReLU'(0) := alpha, the convention stated on the page (the left derivative, as for ReLU)
        sym_derivative=lambda a, z: sp.Piecewise((1, a > 0), (s, True)),
        latex=rf"\operatorname{{LReLU}}_{{{al}}}\left({{a}}\right)",
        latex_derivative_in_a=rf"\begin{{cases}} 1 & {{a}} > 0 \\ {al} & {{a}} \le 0 \end{{cases}}",
        latex_derivative=rf"\begin{{cases}} 1 & {{a}} > 0 \\ {al} & {{a}} \le 0 \end{{cases}}",
        derivative_matrix=lambda z, h: mx.Elementwise(
            rf"\left(\left[{{x}} > 0\right] + {al}\, \left[{{x}} \le 0\right]\right)",
            lambda a: np.where(a > 0, 1.0, alpha), z),
        kinks=(0.0,),
        convention=rf"\operatorname{{LReLU}}_{{{al}}}'(0) := {al}",
        notation=_iverson(rf"\operatorname{{LReLU}}_{{{al}}}'(a) = [a > 0] + {al}\, [a \le 0]"),
        parameter="slope",
        default=Fraction(1, 100),
        configure=_leaky_relu,
    )


def _softmax(a: Array) -> Array:
    # e^(a - max) / sum e^(a - max) per sample: the largest exponent is 0, so nothing overflows
    e = np.exp(a - a.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def _sym_softmax(column: list) -> list:
    exps = [sp.exp(a) for a in column]
    total = sp.Add(*exps)
    return [e / total for e in exps]


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
            latex_derivative=r"\left[{a} > 0\right]",
            # relu'(0) := 0, the convention stated on the page
            derivative_matrix=lambda z, h: mx.Elementwise(r"\left[{x} > 0\right]",
                                                          lambda a: (a > 0).astype(float), z),
            kinks=(0.0,),
            convention=r"\operatorname{ReLU}'(0) := 0",
            notation=_iverson(r"\operatorname{ReLU}'(a) = [a > 0]"),
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
            numerics=(r"\(\sigma(a)\) in float64 as \(1/(1 + e^{-a})\) for \(a \ge 0\) and "
                      r"\(e^{a}/(1 + e^{a})\) for \(a < 0\) (the same value; no exponent overflows)"),
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
        _leaky_relu(Fraction(1, 100)),
        Activation(
            name="softmax",
            forward=_softmax,
            derivative=lambda a, z: z * (1.0 - z),  # d z_i / d a_i
            sym_forward=sp.exp,  # (one entry alone is not defined; sym_forward_column is used)
            sym_derivative=lambda a, z: z * (1 - z),
            latex=r"\operatorname{softmax}\left({a}\right)",
            latex_derivative_in_a=r"\operatorname{softmax}\left({a}\right)\left(1 - \operatorname{softmax}\left({a}\right)\right)",
            latex_derivative=r"{z}\left(1 - {z}\right)",
            numerics=(r"\(\operatorname{softmax}(a)_i = e^{a_i - \max_j a_j} / \sum_k e^{a_k - \max_j a_j}\) "
                      "in float64 (the same value; the largest exponent is 0, so nothing overflows)"),
            # dJ/da = z (.) (dJ/dz - sum_j z_j dJ/dz_j), one sample at a time
            vjp_rule=lambda g, a, z: z * (g - np.sum(z * g, axis=0, keepdims=True)),
            cross=lambda zi, zp: -zi * zp,
            sym_cross=lambda zi, zp: -zi * zp,
            latex_cross=r"-{z} \cdot {zp}",
            sym_forward_column=_sym_softmax,
            vjp_tree=lambda g, z, h: mx.Had(h, mx.Sub(g, mx.ColumnSum(mx.Had(h, g)))),
        ),
    ]
}


# ---------------------------------------------------------------- losses (prediction, target -> J)


@dataclass(frozen=True)
class Loss(OpEntry):
    """A loss J(yhat, y): the per-sample loss l_k summed over the outputs, J = mean over the batch
    (and over the outputs too when ``per_output_mean``). Arrays have one column per sample."""

    name: str
    latex: str  # per-sample loss of one output, in {y}, {yhat}
    latex_derivative: str  # d l / d yhat for one output, one sample
    per_output: Callable[[Array, Array], Array]  # l for each entry
    per_output_derivative: Callable[[Array, Array], Array]  # d l / d yhat for each entry
    sym_per_output: Callable[[sp.Expr, sp.Expr], sp.Expr]
    sym_per_output_derivative: Callable[[sp.Expr, sp.Expr], sp.Expr]
    # dJ/dyhat as a matrix expression (yhat, y, outputs); None where it needs a division
    gradient_rule: Callable[[mx.Expr, mx.Expr, int], mx.Expr | None] = lambda yhat, y, outputs: None
    per_output_mean: bool = False
    # ---- a loss meant for one output activation (the fused form dJ/dz = (yhat - y) / m)
    output_activation: str = ""  # the activation the last layer must have ("" = any)
    latex_fused: str = ""  # d l / d z for one output, in {y}, {yhat}
    fused_why: str = ""  # the chain rule that gives it, per sample, in LaTeX (stated on the page)
    targets: str = "any"  # any | probability (each in [0, 1]) | distribution (>= 0, sum 1 per sample)
    numerics: str = ""  # how log(0) is kept away, stated on the page
    clip: float = 0.0  # yhat is clipped to [clip, 1 - clip] before a log; a clipped yhat is refused
    # ---- the loss node's weight decay (its weights are the node's inputs after yhat and y)
    decay: WeightDecay | None = None

    def gradient_matrix(self, yhat: mx.Expr, y: mx.Expr, outputs: int, key: str = "") -> mx.Expr | None:
        """dJ/dyhat as a matrix expression; None for a loss shown only fused with its activation;
        ``key`` names it where the handout leaves the loss open (J')."""
        tree = self.gradient_rule(yhat, y, outputs)
        if tree is None:
            return None
        return mx.Named(key, yhat, tree, None) if key else tree

    def divisor(self, outputs: int, batch: int) -> int:
        return batch * (outputs if self.per_output_mean else 1)

    def scaled(self, latex: str, outputs: int, batch: int) -> str:
        """One output's derivative, ``latex``, as a part of J: divided by the batch size m (J is the
        mean over the batch) and, for a mean over the outputs, by their number, written out:
        \\tfrac{1}{2m}. The same divisor as ``divisor``."""
        each = outputs if self.per_output_mean and outputs > 1 else 1
        den = (str(each) if each > 1 else "") + ("m" if batch > 1 else "")
        return latex if not den else rf"\tfrac{{1}}{{{den}}}\left({latex}\right)"

    def forward(self, yhat: Array, y: Array) -> float:
        """J = mean over the batch of the per-sample loss."""
        return float(np.sum(self.per_output(yhat, y))) / self.divisor(*yhat.shape)

    def gradient(self, yhat: Array, y: Array) -> Array:
        """dJ/dyhat, same shape as yhat."""
        return self.per_output_derivative(yhat, y) / self.divisor(*yhat.shape)

    def sym_forward(self, yhat: sp.Matrix, y: sp.Matrix) -> sp.Expr:
        """J as an exact sympy expression."""
        total = sum((self.sym_per_output(yhat[i, k], y[i, k]) for i in range(yhat.rows)
                     for k in range(yhat.cols)), sp.Integer(0))
        return total / self.divisor(yhat.rows, yhat.cols)

    def sym_derivative(self, yhat: sp.Expr, y: sp.Expr, outputs: int, batch: int) -> sp.Expr:
        """dJ/dyhat_ik as an exact sympy expression."""
        return self.sym_per_output_derivative(yhat, y) / self.divisor(outputs, batch)

    def fused_matrix(self, yhat: mx.Expr, y: mx.Expr) -> mx.Expr:
        """dJ/dz at the output activation this loss is meant with: (yhat - y) / m."""
        return mx.scale(Fraction(1), Fraction(1), 1, mx.Sub(yhat, y))

    def saturated(self, yhat: Array) -> Array:
        """The entries where the clip before the log is active (False everywhere without a log)."""
        if not self.clip:
            return np.zeros(yhat.shape, dtype=bool)
        return (yhat < self.clip) | (yhat > 1.0 - self.clip)

    # ---- as the op of the node J = J(yhat, y) (+ the decay of the weights after them)

    def evaluate(self, args: list[Array]) -> Array:
        """J, as a 1 x 1 array."""
        value = self.forward(args[0], args[1])
        if self.decay is not None:
            value += self.decay.forward(args[2:])
        return np.array([[value]])

    def sym_evaluate(self, args: list[sp.Matrix], tidy: Tidy) -> sp.Matrix:
        """J exactly."""
        value = self.sym_forward(args[0], args[1])
        if self.decay is not None:
            value += self.decay.sym_forward(args[2:])
        return sp.Matrix([[tidy(value)]])

    def vjps(self, upstream: Array, args: list[Array], out: Array) -> list[Array | None]:
        """dJ/dyhat, none for the target, lambda W for each decayed weight."""
        g = upstream[0, 0]
        return [g * self.gradient(args[0], args[1]), None] + [g * self.decay.gradient(w) for w in args[2:]]

    def reached(self, position: int, index: tuple[int, int], shape: tuple[int, int]) -> list[tuple[int, int]]:
        """J depends on every prediction and decayed weight entry (no gradient flows to y)."""
        return [] if position == 1 else [(0, 0)]

    def local(self, node: Node, out: Elem, inp: Elem, values: dict, exact: dict | None, tidy: Tidy) -> Factor:
        """dJ/dyhat_pq, or lambda W_pq for a decayed weight."""
        p, q = inp.index
        if node.inputs.index(inp.node) >= 2:  # d J / d W_pq of the weight decay: lambda W_pq
            w = float(values[inp.node][p, q])
            sym = tidy(self.decay.sym_derivative(exact[inp.node][p, q])) if exact is not None else None
            return Factor(out, inp, "decay", float(self.decay.gradient(np.array(w))), sym, {"w": inp},
                          self.decay.latex_derivative)
        pred, target = node.inputs[:2]
        yhat = values[pred]
        value = float(self.gradient(yhat, values[target])[p, q])
        sym = (tidy(self.sym_derivative(exact[pred][p, q], exact[target][p, q], *yhat.shape))
               if exact is not None else None)
        latex = self.scaled(self.latex_derivative, *yhat.shape)
        return Factor(out, inp, "prediction", value, sym, {"yhat": Elem(pred, (p, q)), "y": Elem(target, (p, q))},
                      latex)

    def label(self, graph: Graph, node: Node) -> tuple[str, dict[str, str]]:
        """What J computes: the per-output loss for one output, else its name; + the penalty."""
        pred, target = node.inputs[:2]
        template = self.latex if graph.node(pred).shape == (1, 1) else self.name.replace("_", " ") + "({yhat}, {y})"
        penalty = " + " + self.decay.latex if self.decay is not None else ""
        return template + penalty, {"yhat": graph.node(pred).latex, "y": graph.node(target).latex}

    def side_by_side(self, node: Node, values: dict) -> list[Elem]:
        """Each prediction entry beside its target, in reading order."""
        pred, target = node.inputs[:2]
        rows, cols = values[pred].shape
        return [Elem(n, (r, c)) for r in range(rows) for c in range(cols) for n in (pred, target)]


def _squared(name: str, scale: sp.Rational, per_output_mean: bool, latex: str, latex_derivative: str) -> Loss:
    """scale * (yhat - y)^2 per output; its gradient 2 scale (yhat - y) / m (/ outputs for a mean)."""
    c = float(scale)

    def gradient_matrix(yhat: mx.Expr, y: mx.Expr, outputs: int) -> mx.Expr:
        den = Fraction(outputs) if per_output_mean else Fraction(1)
        return mx.scale(Fraction(2 * scale), den, 1, mx.Sub(yhat, y))

    return Loss(name=name, latex=latex, latex_derivative=latex_derivative,
                per_output=lambda yhat, y: c * (yhat - y) ** 2,
                per_output_derivative=lambda yhat, y: 2.0 * c * (yhat - y),
                sym_per_output=lambda yhat, y: scale * (yhat - y) ** 2,
                sym_per_output_derivative=lambda yhat, y: 2 * scale * (yhat - y),
                gradient_rule=gradient_matrix, per_output_mean=per_output_mean)


# a probability is clipped to [CLIP, 1 - CLIP] before its log; a problem where the clip is
# active (the output saturated in float64) is refused: there the printed derivative would be wrong
CLIP = 1e-12


def _log(p: Array) -> Array:
    return np.log(np.clip(p, CLIP, 1.0 - CLIP))


_LOG_NOTE = (r"the logarithm is taken of \(\hat{y}\) clipped to \([10^{-12}, 1 - 10^{-12}]\), so "
             r"\(\log 0\) is never evaluated; a problem whose output comes that close to 0 or 1 "
             "(a saturated output) is refused, since there the clipped derivative would be wrong")


def _log_loss(name: str, rule: Callable, derivative: Callable, latex: str, latex_derivative: str,
              output_activation: str, fused_why: str, targets: str) -> Loss:
    """A loss with a logarithm, meant for one output activation (fused: dJ/dz = (yhat - y) / m).
    ``rule(yhat, y, log)`` and ``derivative(yhat, y)`` are written once, for float64 (with the
    log of the clipped yhat) and exactly."""
    return Loss(name=name, latex=latex, latex_derivative=latex_derivative,
                per_output=lambda yhat, y: rule(yhat, y, _log), per_output_derivative=derivative,
                sym_per_output=lambda yhat, y: rule(yhat, y, sp.log), sym_per_output_derivative=derivative,
                output_activation=output_activation, latex_fused=r"{yhat} - {y}", fused_why=fused_why,
                targets=targets, numerics=_LOG_NOTE, clip=CLIP)


LOSSES: dict[str, Loss] = {
    l.name: l
    for l in [
        _squared("squared_error", sp.Integer(1), False, r"\left({y} - {yhat}\right)^2",
                 r"-2\left({y} - {yhat}\right)"),
        _squared("half_squared_error", sp.Rational(1, 2), False, r"\tfrac{1}{2}\left({yhat} - {y}\right)^2",
                 r"{yhat} - {y}"),
        _squared("mean_squared_error", sp.Integer(1), True, r"\left({y} - {yhat}\right)^2",
                 r"-2\left({y} - {yhat}\right)"),
        _log_loss(
            "binary_cross_entropy",
            lambda yhat, y, log: -(y * log(yhat) + (1 - y) * log(1 - yhat)),
            lambda yhat, y: (yhat - y) / (yhat * (1 - yhat)),
            latex=r"-\left({y} \log {yhat} + \left(1 - {y}\right) \log\left(1 - {yhat}\right)\right)",
            latex_derivative=r"\frac{{yhat} - {y}}{{yhat}\left(1 - {yhat}\right)}",
            output_activation="sigmoid",
            fused_why=(r"\frac{\partial \ell}{\partial \hat{y}} \frac{\partial \hat{y}}{\partial z} = "
                       r"\frac{\hat{y} - y}{\hat{y}\left(1 - \hat{y}\right)} \cdot \hat{y}\left(1 - \hat{y}\right) "
                       r"= \hat{y} - y"),
            targets="probability",
        ),
        _log_loss(
            "cross_entropy",
            lambda yhat, y, log: -y * log(yhat),
            lambda yhat, y: -y / yhat,
            latex=r"-{y} \log {yhat}",
            latex_derivative=r"-\frac{{y}}{{yhat}}",
            output_activation="softmax",
            # every output depends on every input: a sum over the outputs p, and sum_p y_p = 1
            fused_why=(r"\sum_{p} \frac{\partial \ell}{\partial \hat{y}_p} \frac{\partial \hat{y}_p}{\partial z_i} = "
                       r"\sum_{p} -\frac{y_p}{\hat{y}_p} \, \hat{y}_p \left(\delta_{pi} - \hat{y}_i\right) = "
                       r"-y_i + \hat{y}_i \sum_{p} y_p = \hat{y}_i - y_i"),
            targets="distribution",
        ),
    ]
}


# ---------------------------------------------------------------- weight decay (L2 on the weights)


@dataclass(frozen=True)
class WeightDecay:
    """J gains (lambda/2) sum_l ||W_l||^2 over the learned weight matrices (not the biases);
    each weight's gradient gains lambda W."""

    rate: Fraction
    latex = r"\frac{\lambda}{2} \sum_{l} \lVert W_{l} \rVert^{2}"
    latex_derivative = r"\lambda\, {w}"  # d/dw of the penalty, in {w}

    def forward(self, weights: list[Array]) -> float:
        return float(self.rate) / 2 * float(sum(np.sum(w ** 2) for w in weights))

    def gradient(self, w: Array) -> Array:
        return float(self.rate) * w

    def sym_forward(self, weights: list[sp.Matrix]) -> sp.Expr:
        rate = sp.Rational(self.rate.numerator, self.rate.denominator)
        return rate / 2 * sum((v ** 2 for w in weights for v in w), sp.Integer(0))

    def sym_derivative(self, w: sp.Expr) -> sp.Expr:
        return sp.Rational(self.rate.numerator, self.rate.denominator) * w

    def gradient_matrix(self, w: mx.Expr) -> mx.Expr:
        """lambda W as a matrix expression."""
        return mx.Scale(Fraction(self.rate.numerator), Fraction(self.rate.denominator), 0, w, r"\lambda")


# ---------------------------------------------------------------- linear map a = W x (+ b)


BIAS_CONVENTIONS = ("folded", "separate", "none")


@dataclass(frozen=True)
class Linear(OpEntry):
    """a = W x~ + b, where x~ = [1; x] when the bias is folded into column 0 of W."""

    bias: str  # one of BIAS_CONVENTIONS
    name = "linear"

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

    # ---- as the op of a node a = W x~ (+ b) (args: x, W and b when separate)

    def evaluate(self, args: list[Array]) -> Array:
        """a = W x~ (+ b)."""
        return self.forward(*args)

    def sym_evaluate(self, args: list[sp.Matrix], tidy: Tidy) -> sp.Matrix:
        """a = W x~ (+ b) exactly (a sum of products: nothing to tidy)."""
        return self.sym_forward(*args)

    def vjps(self, upstream: Array, args: list[Array], a: Array) -> list[Array | None]:
        """dJ/dx, dJ/dW and dJ/db (None unless the bias is separate) from dJ/da."""
        return list(self.vjp(upstream, args[0], args[1]))

    def reached(self, position: int, index: tuple[int, int], shape: tuple[int, int]) -> list[tuple[int, int]]:
        """x_j feeds every a_i of its sample; W_ij and b_i feed a_i of every sample."""
        r, c = index
        if position == 0:
            return [(i, c) for i in range(shape[0])]
        return [(r, k) for k in range(shape[1])]

    def local(self, node: Node, out: Elem, inp: Elem, values: dict, exact: dict | None, tidy: Tidy) -> Factor:
        """d a_i / d W_ij = x~_j, d a_i / d x_j = W_ij, d a_i / d b_i = 1."""
        (i, k), (p, q) = out.index, inp.index
        x_name, w_name = node.inputs[0], node.inputs[1]
        given = lambda e: exact[e.node][e.index] if exact is not None else None  # noqa: E731
        if inp.node == w_name:
            j = q - self.column_offset
            if j < 0:  # the bias column multiplies the constant 1
                return Factor(out, inp, "weight", 1.0, sp.Integer(1), {}, "1")
            x = Elem(x_name, (j, k))
            return Factor(out, inp, "weight", float(values[x_name][j, k]), given(x), {"x": x}, "{x}")
        if inp.node == x_name:
            w = Elem(w_name, (i, p + self.column_offset))
            return Factor(out, inp, "input", float(values[w_name][w.index]), given(w), {"w": w}, "{w}")
        return Factor(out, inp, "bias", 1.0, sp.Integer(1), {}, "1")

    def entry_terms(self, node: Node, out: Elem, values: dict) -> list[tuple[Elem, ...]]:
        """a_i = sum_j W_ij x~_j (+ b_i), term by term: x~_0 = 1 leaves W_i0 alone."""
        x_name, w_name = node.inputs[0], node.inputs[1]
        i, k = out.index
        terms = [(Elem(w_name, (i, c)),) if c < self.column_offset
                 else (Elem(w_name, (i, c)), Elem(x_name, (c - self.column_offset, k)))
                 for c in range(values[w_name].shape[1])]
        if self.bias == "separate":
            terms.append((Elem(node.inputs[2], (i, 0)),))
        return terms

    def label(self, graph: Graph, node: Node) -> tuple[str, dict[str, str]]:
        """What the op computes: W x~ (W [1; x] where a tilde would cover more than a letter), W x + b."""
        symbols = dict(zip("xwb", (graph.node(n).latex for n in node.inputs)))
        if self.bias == "folded":
            return ("{w} \\tilde{{x}}" if len(symbols["x"]) == 1 else "{w} [1; {x}]"), symbols
        return ("{w} {x} + {b}" if self.bias == "separate" else "{w} {x}"), symbols

    def side_by_side(self, node: Node, values: dict) -> list[Elem]:
        """The rows of W (each with its bias entry) around the input x, in reading order."""
        x_name, w_name = node.inputs[0], node.inputs[1]
        rows, cols = values[w_name].shape
        row = lambda i: ([Elem(w_name, (i, c)) for c in range(cols)]  # noqa: E731
                         + ([Elem(node.inputs[2], (i, 0))] if self.bias == "separate" else []))
        x = [Elem(x_name, (r, c)) for r in range(values[x_name].shape[0]) for c in range(values[x_name].shape[1])]
        half = (rows + 1) // 2
        return [e for i in range(half) for e in row(i)] + x + [e for i in range(half, rows) for e in row(i)]

    def stacked(self, node: Node) -> list[tuple[str, str]]:
        """The bias vector above its weight matrix (keeps a drawing narrow)."""
        return [(node.inputs[2], node.inputs[1])] if self.bias == "separate" else []


# ---------------------------------------------------------------- an op of the graph, with its parameter


def op_for(node: Node) -> Linear | Activation | Loss:
    """The op table's entry for an op node, configured as the node uses it (its bias
    convention, its activation's parameter, its weight decay): the one place that reads a
    node's kind. Every entry answers evaluate, sym_evaluate, vjps, reached, local,
    entry_terms and label, and states its kinks, convention and numerics."""
    if node.kind == "linear":
        return Linear(node.op)
    if node.kind == "activation":
        return activation_of(node.op, node.param)
    if node.kind == "loss":
        return replace(LOSSES[node.op], decay=decay_of(node.param))
    raise ValueError(f"{node.name} is a {node.kind}, not an op: it has no op entry")


def activation_of(name: str, param: Fraction | None = None) -> Activation:
    """The activation entry for one layer, configured with its parameter (e.g. the slope)."""
    return ACTIVATIONS[name].with_parameter(param)


def decay_of(param: Fraction | None) -> WeightDecay | None:
    """The loss node's weight decay, if it has one."""
    return WeightDecay(Fraction(param)) if param else None
