"""LaTeX for matrix expressions (graph.mexpr), in the page's names and convention.

The printer dispatches on the tree's node type; ``Names`` gives each leaf its symbol. A transposed
leaf is written ``{x}^{\\top}``; a product is juxtaposition, the entry-by-entry product is
``\\odot``; a sum over the batch is a product with the column of ones ``\\mathbf{1}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

from ..graph import mexpr as mx

# precedence: a tree printed inside a tighter context gets parentheses
SUM, HADAMARD, PRODUCT, ATOM = 1, 2, 3, 4
# a op b: the sign, the level of the result, and the context each operand is printed in
INFIX = {
    mx.Had: (r"\odot", HADAMARD, ATOM, ATOM),  # products inside are bracketed: no precedence to remember
    mx.Sub: ("-", SUM, SUM, HADAMARD),
    mx.Add: ("+", SUM, SUM, HADAMARD),
}
# each entry replaced by the sum over its sample's entries (the units j of one sample)
COLUMN_SUM = r"\operatorname{sum}_{j}"


@dataclass(frozen=True)
class Names:
    """How leaves are written: ``value(name)`` for a node, ``grad(name)`` for dJ/d(node)."""

    value: Callable[[str], str]
    grad: Callable[[str], str]
    batch: int  # m; with m = 1 the 1/m and the sum over the batch disappear
    named: Callable[[str], str | None] = lambda key: None  # the handout's name of an open function
    concrete: bool = False  # print what a named function is on this page instead of its name


def latex(e: mx.Expr, names: Names) -> str:
    """The tree as LaTeX."""
    return _print(e, names)[0]


def _group(text: str, level: int, context: int) -> str:
    return f"\\left({text}\\right)" if level < context else text


def _print(e: mx.Expr, n: Names) -> tuple[str, int]:
    if isinstance(e, mx.Vec) or isinstance(e, mx.Mat):
        return n.value(e.name), ATOM
    if isinstance(e, mx.Grad):
        text = n.grad(e.name)
        return text, ATOM if not text.startswith("\\frac") else PRODUCT
    if isinstance(e, mx.Ones):
        return r"\mathbf{1}", ATOM
    if isinstance(e, mx.Augment):
        inner, _ = _print(e.x, n)
        return rf"\tilde{{{inner}}}", ATOM
    if isinstance(e, mx.DropBias):
        inner, _ = _print(e.x, n)
        return rf"{{{inner}}}_{{:,\,1:}}", ATOM  # columns 1 onward: column 0 is the bias (notation.md)
    if isinstance(e, mx.T):
        inner, level = _print(e.x, n)
        if inner.endswith(r"^{\top}") and level == ATOM:  # a symbol written transposed: 1^T -> 1
            return inner[: -len(r"^{\top}")], ATOM
        if level == ATOM:
            return rf"{{{inner}}}^{{\top}}", ATOM
        return rf"\left({inner}\right)^{{\top}}", ATOM
    if isinstance(e, mx.MatMul):
        if n.batch == 1 and (isinstance(e.b, mx.Ones) or isinstance(e.a, mx.T) and isinstance(e.a.x, mx.Ones)):
            return _print(e.a if isinstance(e.b, mx.Ones) else e.b, n)  # m = 1: the sum is the one sample
        a, la = _print(e.a, n)
        b, lb = _print(e.b, n)
        return f"{_group(a, la, PRODUCT)}\\, {_group(b, lb, ATOM if lb == PRODUCT and la == PRODUCT else PRODUCT)}", PRODUCT
    if type(e) in INFIX:
        sign, level, left, right = INFIX[type(e)]
        a, la = _print(e.a, n)
        b, lb = _print(e.b, n)
        return f"{_group(a, la, left)} {sign} {_group(b, lb, right)}", level
    if isinstance(e, mx.ColumnSum):
        x, _ = _print(e.x, n)
        return rf"{COLUMN_SUM}\left({x}\right)", ATOM
    if isinstance(e, mx.OneMinus):
        x, lx = _print(e.x, n)
        return f"1 - {_group(x, lx, HADAMARD)}", SUM
    if isinstance(e, mx.Scale):
        x, lx = _print(e.x, n)
        coef = e.symbol or coefficient(e.num, e.den, e.batch_power if n.batch > 1 else 0)
        if not coef:
            return x, lx
        return f"{coef} {_group(x, lx, PRODUCT)}", PRODUCT
    if isinstance(e, mx.Named):
        symbol = None if n.concrete else n.named(e.key.rstrip("'"))
        if symbol is None:
            return _print(e.tree, n)
        if e.key == "d_loss":
            return symbol, ATOM
        x, _ = _print(e.x, n)
        prime = "'" if e.key.endswith("'") else ""
        return rf"{{{symbol}}}{prime}\left({x}\right)", ATOM
    if isinstance(e, mx.Elementwise):
        x, _ = _print(e.x, n)
        return e.latex.replace("{x}", x), ATOM
    raise TypeError(f"not a matrix expression: {e!r}")


def coefficient(num: Fraction, den: Fraction, batch_power: int) -> str:
    """c = num / (den m^p) as LaTeX: '2', '\\frac{1}{m}', '\\frac{2}{3m}'; '' for 1."""
    c = Fraction(num) / Fraction(den)
    m = "m" if batch_power == 1 else (f"m^{{{batch_power}}}" if batch_power else "")
    if not m:
        if c == 1:
            return ""
        return str(c.numerator) if c.denominator == 1 else rf"\frac{{{c.numerator}}}{{{c.denominator}}}"
    below = (str(c.denominator) if c.denominator != 1 else "") + m
    return rf"\frac{{{c.numerator}}}{{{below}}}"
