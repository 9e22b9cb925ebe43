"""Numbers as LaTeX, by one rule stated on the notation page (docs/notation.md, "Numbers").

With F the significant figures a page states:

* a value that is exactly a decimal of at most F significant figures, or a whole number, is
  written as that decimal: 3, 0.5, -0.905, -1.086 (no zeros added);
* any other value is rounded to F significant figures, ties away from zero, and keeps its
  trailing zeros: 0.104994 -> 0.1050, -1.67996 -> -1.680, -0.87785 -> -0.8779;
* below 10^-4 or from 10^F on (whole numbers below 10^15 excepted), scientific notation;
* '=' stands before a value written exactly, '\\approx' before a rounded one.

Rounding is done on the exact value: a Fraction, an int or a sympy Rational exactly; a float
by its exact binary value, except that a float within ``BAND`` (relative) of a tie or of a
short decimal is taken to be it: float64 arithmetic and BLAS kernels move an exact tie such
as -0.905 * 0.97 = -0.87785 by a few units in the last place, and the page must not depend on
which way.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp

MAX_EXACT_LATEX = 90
BAND = Fraction(1, 10 ** 12)  # float64 values are cross-checked against exact ones to 1e-12
WHOLE_LIMIT = 10 ** 15  # whole numbers below this are written in full
EXACT_DIGITS = 30  # sympy values that are not rational are evaluated to this many digits


# ---------------------------------------------------------------- the rule


def _split(x) -> tuple[Fraction, bool]:
    """x as a Fraction, and whether that is its exact value (not a float64 or an evaluation)."""
    if isinstance(x, bool):
        raise TypeError("a truth value is not a number")
    if isinstance(x, (int, Fraction)):
        return Fraction(x), True
    if isinstance(x, sp.Basic):
        if x.is_Rational:
            return Fraction(int(x.p), int(x.q)), True
        return Fraction(str(sp.N(x, EXACT_DIGITS))), False
    value = float(x)
    if not np.isfinite(value):
        raise ValueError(f"cannot print {value!r}")
    if abs(value) < 1e-300:  # a subnormal is float64's zero, not a number to print
        return Fraction(0), False
    return Fraction(value), False


def _exponent(a: Fraction) -> int:
    """floor(log10(a)) for a > 0, exactly."""
    e = len(str(a.numerator)) - len(str(a.denominator))
    while Fraction(10) ** e > a:
        e -= 1
    while Fraction(10) ** (e + 1) <= a:
        e += 1
    return e


def _round(x, figures: int) -> tuple[int, int, int, bool]:
    """(sign, digits, exponent, exact): |x| ~ digits * 10^(exponent - figures + 1) with ``digits``
    of exactly ``figures`` digits, rounded half away from zero; ``exact`` when that is x itself."""
    q, is_exact = _split(x)
    if q == 0:
        return 0, 0, 0, True
    sign, a = (-1 if q < 0 else 1), abs(q)
    band = Fraction(0) if is_exact else BAND * a
    e = _exponent(a)
    unit = Fraction(10) ** (e - figures + 1)
    digits, rest = divmod(a, unit)
    digits = int(digits)
    if rest * 2 >= unit - 2 * band:  # a half (or within the band of one) goes away from zero
        digits += 1
    exact = abs(a - digits * unit) <= band
    if digits == 10 ** figures:  # 9.9996 -> 10.00
        digits, e = 10 ** (figures - 1), e + 1
    return sign, digits, e, exact


def _whole(x) -> int | None:
    """x as an int when it is a whole number below WHOLE_LIMIT (a float within the band of one)."""
    q, is_exact = _split(x)
    n = round(q)
    if abs(n) >= WHOLE_LIMIT:
        return None
    if q == n or (not is_exact and abs(q - n) <= BAND * abs(q)):
        return int(n)
    return None


def number(x, figures: int) -> str:
    """x by the rule above: exact short decimals as they are, others to ``figures`` significant
    figures with trailing zeros; never '-0'."""
    whole = _whole(x)
    if whole is not None:
        return str(whole)
    sign, digits, e, exact = _round(x, figures)
    text = str(digits)
    if exact:  # an exact short decimal: no zeros added
        text = text.rstrip("0") or "0"
    minus = "-" if sign < 0 else ""
    if -4 <= e < figures:
        point = e + 1  # digits before the decimal point
        if point <= 0:
            body = "0." + "0" * -point + text
        elif point >= len(text):
            body = text + "0" * (point - len(text))
        else:
            body = text[:point] + "." + text[point:]
        return minus + body
    mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
    return rf"{minus}{mantissa} \times 10^{{{e}}}"


def is_exact(x, figures: int) -> bool:
    """Whether ``number(x, figures)`` is x itself (for an array: every entry)."""
    if isinstance(x, np.ndarray):
        return all(is_exact(v, figures) for v in np.ravel(denoised(x)))
    return _whole(x) is not None or _round(x, figures)[3]


def relation(x, figures: int) -> str:
    """'=' before a value printed exactly, '\\approx' before a rounded one (arrays: all entries)."""
    return "=" if is_exact(x, figures) else r"\approx"


# ---------------------------------------------------------------- numbers in formulas


def operand(x, figures: int) -> str:
    """A number to substitute into a formula: negatives in parentheses."""
    text = number(x, figures)
    return f"\\left({text}\\right)" if text.startswith("-") else text


def fraction(x: Fraction) -> str:
    """An exact input number as written: 3, -1, \\frac{1}{3}, 0.25."""
    if x.denominator == 1:
        return str(x.numerator)
    decimal = _terminating(x)
    if decimal is not None:
        return decimal
    sign = "-" if x < 0 else ""
    return rf"{sign}\frac{{{abs(x.numerator)}}}{{{x.denominator}}}"


def _terminating(x: Fraction, max_chars: int = 12) -> str | None:
    """x as a terminating decimal of at most ``max_chars`` characters, or None."""
    d, twos, fives = x.denominator, 0, 0
    while d % 2 == 0:
        d, twos = d // 2, twos + 1
    while d % 5 == 0:
        d, fives = d // 5, fives + 1
    if d != 1:
        return None
    places = max(twos, fives)
    scaled = abs(x.numerator) * 10 ** places // x.denominator
    text = str(scaled).rjust(places + 1, "0")
    text = ("-" if x < 0 else "") + text[:-places] + "." + text[-places:]
    return text if len(text) <= max_chars else None


def exact(expr: sp.Expr) -> str:
    """An exact sympy value as LaTeX (e^{5} rather than exp(5))."""
    return sp.latex(expr)


def equals(x, expr: sp.Expr | None, figures: int) -> str:
    """'= 3', '= -0.87785 \\approx -0.8779', '= \\frac{e^{5}}{...} \\approx 0.006648', or
    '\\approx 0.7132' when there is no short exact form. Rounded from the exact form if given."""
    form = _form(expr, figures)
    value = x if expr is None else expr
    if form is None:
        return approx(value, figures)
    return rf"= {form} \approx {number(value, figures)}"


def _form(expr: sp.Expr | None, figures: int) -> str | None:
    """The exact form worth writing before a rounded value: None when the value prints exactly,
    or has no exact form, or a too long one."""
    if expr is None or is_exact(expr, figures):
        return None
    form = fraction(Fraction(int(expr.p), int(expr.q))) if expr.is_Rational else exact(expr)
    return form if len(form) <= MAX_EXACT_LATEX else None  # a long exact form teaches nothing


def worked(applied: str, operands, x, expr: sp.Expr | None, figures: int) -> list[str]:
    """The links after a formula: ``applied`` (the formula with ``operands`` substituted), then
    its value, each with the relation that holds. Substituted numbers that are all exact give
    '= applied = exact \\approx value'; rounded ones cannot equal the exact value, so the exact
    form comes first: '= exact \\approx applied \\approx value' (docs/notation.md, Numbers)."""
    if all(is_exact(v, figures) for v in operands):
        return [f"= {applied}", equals(x, expr, figures)]
    value = x if expr is None else expr
    if is_exact(value, figures):  # e.g. 1[a > 0] = 1: rounded numbers substituted would only blur it
        return [f"= {number(value, figures)}"]
    form = _form(expr, figures)
    return ([f"= {form}"] if form else []) + [rf"\approx {applied}", rf"\approx {number(value, figures)}"]


def approx(x, figures: int) -> str:
    """'= 3' for exactly printed numbers, '\\approx 0.006693' for rounded ones."""
    return f"{relation(x, figures)} {number(x, figures)}"


def matrix(rows: list[list[str]]) -> str:
    """A bmatrix from already formatted entries."""
    body = r" \\ ".join(" & ".join(r) for r in rows)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


NOISE = 1e-12  # relative to a matrix's largest entry: a rounding error of float64, not a value


def denoised(m: np.ndarray) -> np.ndarray:
    """An entry below NOISE times the matrix's largest is a zero computed with rounding errors
    (5.7e-16 from one BLAS kernel, 9.4e-16 from another): it is 0."""
    m = np.atleast_2d(np.asarray(m, dtype=float))
    scale = float(np.max(np.abs(m))) if m.size else 0.0
    return np.where(np.abs(m) <= NOISE * scale, 0.0, m)


def numeric_matrix(m: np.ndarray, figures: int) -> str:
    """A matrix of numbers, its rounding-error zeros written 0."""
    return matrix([[number(v, figures) for v in row] for row in denoised(m)])


# ---------------------------------------------------------------- words around numbers


def count(n: int, noun: str, plural: str | None = None) -> str:
    """'1 check', '64 checks', '0 questions'."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def plain(x, figures: int) -> str:
    """``number`` as plain text for a drawing or chart: '-0.8779', '1.235×10⁻⁵'."""
    text = number(x, figures)
    if r" \times 10^" not in text:
        return text
    mantissa, power = text.split(r" \times 10^")
    return f"{mantissa}×{power_of_ten(int(power.strip('{}')))}"


def power_of_ten(power: int) -> str:
    """10^power as plain text for a drawing or chart: '10⁴', '10⁻⁶'."""
    return "10" + str(power).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))


def below(power: int) -> str:
    """An error bound as LaTeX: 'below \\(10^{-6}\\)'."""
    return rf"below \(10^{{{power}}}\)"


def stated(figures: int, notation: str = "../../notation.md") -> str:
    """The rule in one sentence, for the top of a page (``notation``: the notation page's path)."""
    return (f"Numbers follow [one rule]({notation}#numbers): exact values as they are, others rounded "
            f"to {figures} significant figures (trailing zeros kept) after \\(\\approx\\); exact forms "
            "are given where they exist.")
