"""Numbers and matrices as LaTeX, with a fixed, stated rounding (significant figures)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp


MAX_EXACT_LATEX = 90


def number(x: float, figures: int) -> str:
    """x rounded to ``figures`` significant figures; whole numbers exactly; never '-0'."""
    x = float(x)
    if x == 0 or abs(x) < 1e-300:
        return "0"
    if x == round(x) and abs(x) < 1e15:
        return str(int(round(x)))
    rounded = float(f"{x:.{figures - 1}e}")  # round first, so 9.99996e-5 becomes 1.000e-4
    exponent = int(np.floor(np.log10(abs(rounded))))
    if -4 <= exponent < figures:
        text = f"{rounded:.{max(figures - 1 - exponent, 0)}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text in ("-0", "0") else text
    mantissa = f"{rounded / 10 ** exponent:.{figures - 1}f}".rstrip("0").rstrip(".")
    return rf"{mantissa} \times 10^{{{exponent}}}"


def operand(x: float, figures: int) -> str:
    """A number to substitute into a formula: negatives in parentheses."""
    text = number(x, figures)
    return f"\\left({text}\\right)" if text.startswith("-") else text


def fraction(x: Fraction) -> str:
    """An exact input number as written: 3, -1, \\frac{1}{3}, 0.25."""
    if x.denominator == 1:
        return str(x.numerator)
    decimal = float(x)
    if Fraction(repr(decimal)) == x and len(repr(decimal)) <= 12:
        return repr(decimal)
    sign = "-" if x < 0 else ""
    return rf"{sign}\frac{{{abs(x.numerator)}}}{{{x.denominator}}}"


def exact(expr: sp.Expr) -> str:
    """An exact sympy value as LaTeX (e^{5} rather than exp(5))."""
    return sp.latex(expr)


def equals(x: float, expr: sp.Expr | None, figures: int) -> str:
    """'= 3', '= \\frac{e^{5}}{...} \\approx 0.006648', or '\\approx 0.7132' when no short exact form."""
    if expr is not None and getattr(expr, "is_Rational", False):
        return "= " + fraction(Fraction(int(expr.p), int(expr.q)))
    if expr is None or len(exact(expr)) > MAX_EXACT_LATEX:  # a long exact form teaches nothing
        return approx(x, figures)
    return rf"= {exact(expr)} \approx {number(x, figures)}"


def approx(x: float, figures: int) -> str:
    """'= 3' for exactly printed numbers, '\\approx 0.006693' for rounded ones."""
    return f"= {number(x, figures)}" if number(x, figures) == _full(x) else rf"\approx {number(x, figures)}"


def _full(x: float) -> str:
    return number(x, 17)


def matrix(rows: list[list[str]]) -> str:
    """A bmatrix from already formatted entries."""
    body = r" \\ ".join(" & ".join(r) for r in rows)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


def numeric_matrix(m: np.ndarray, figures: int) -> str:
    return matrix([[number(v, figures) for v in row] for row in np.atleast_2d(m)])


def is_exact(m: np.ndarray, figures: int) -> bool:
    """Whether every entry prints without rounding."""
    return all(number(v, figures) == _full(v) for v in np.ravel(m))
