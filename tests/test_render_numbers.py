"""generator/render/numbers.py: printed numbers are the stated rounding of the value."""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

import oracle
from generator.render import numbers as num

PRINTED = re.compile(r"^(-?\d+(?:\.\d+)?)(?: \\times 10\^\{(-?\d+)\})?$")


def parse(text: str) -> tuple[float, str, int | None]:
    m = PRINTED.match(text)
    assert m, f"unexpected format {text!r}"
    exponent = int(m.group(2)) if m.group(2) else None
    return float(m.group(1)) * 10.0 ** (exponent or 0), m.group(1), exponent


def sig_digits(mantissa: str) -> int:
    digits = mantissa.lstrip("-").replace(".", "").lstrip("0")
    return len(digits if "." in mantissa else digits.rstrip("0")) or 1


def sweep(figures: int) -> list[float]:
    """Log-uniform samples from 1e-4 to 10^figures (both signs), plus values that round up to
    the next power of ten and halfway cases (fixed seed: the same values every run)."""
    rng = np.random.default_rng(1234 + figures)
    xs = 10.0 ** rng.uniform(-4, figures, 3000)
    edges = [10.0 ** k * (1 - 10.0 ** -(figures + 1)) for k in range(-3, figures)]
    halves = [1.25, 0.125, 2.675, 1.005, 0.0015]
    values = [float(x) for x in xs] + edges + halves
    return values + [-v for v in values]


def half_away(x, figures: int) -> Decimal:
    """The oracle: x rounded to ``figures`` significant figures, half away from zero, with
    Python's decimal module. A Fraction by its exact value; a float by its exact binary value,
    but within 1e-12 (relative) of a tie or of a shorter decimal, as that (the stated band)."""
    q = Fraction(x)
    with localcontext() as ctx:
        ctx.prec = 80
        d = Decimal(q.numerator) / Decimal(q.denominator)
        unit = Decimal(1).scaleb(d.adjusted() - figures + 1)
        if isinstance(x, float):
            band = abs(d) * Decimal("1e-12")
            nearest = d.quantize(unit, rounding=ROUND_HALF_UP)
            if abs(d - nearest) <= band:  # a short decimal, up to noise
                return nearest
            tie = (d.copy_abs() / unit).to_integral_value(rounding="ROUND_FLOOR") * unit + unit / 2
            if abs(abs(d) - tie) <= band:  # a tie, up to noise: away from zero
                return (tie + unit / 2).copy_sign(d)
        return d.quantize(unit, rounding=ROUND_HALF_UP)


def printed(text: str) -> Decimal:
    m = PRINTED.match(text)
    assert m, f"unexpected format {text!r}"
    return Decimal(m.group(1)).scaleb(int(m.group(2) or 0))


@pytest.mark.parametrize("figures", [2, 4, 6])
def test_number_is_x_rounded_half_away_from_zero(figures):
    """Away from ties (within 1e-12, where the band decides) the print is the exact rounding."""
    for x in sweep(figures):
        text = num.number(x, figures)
        value, mantissa, _ = parse(text)
        if x == round(x):
            assert value == x, text  # whole numbers exactly
            continue
        expected = half_away(x, figures)
        assert printed(text) == expected, (x, text, expected)
        if abs(Fraction(x) - Fraction(printed(text))) > abs(Fraction(x)) / 10 ** 12:
            # rounded: exactly ``figures`` digits, trailing zeros kept
            assert len(mantissa.lstrip("-").replace(".", "").lstrip("0")) == figures, (x, text)


@pytest.mark.parametrize("figures", [2, 3, 4, 5])
def test_exact_fractions_round_half_away_from_zero(figures):
    rng = np.random.default_rng(99 + figures)
    for _ in range(2000):
        q = Fraction(int(rng.integers(-10 ** 7, 10 ** 7)), int(10 ** rng.integers(0, 9)))
        if q == 0 or q.denominator == 1:
            continue
        assert printed(num.number(q, figures)) == half_away(q, figures), q


def test_trailing_zeros_are_kept():
    assert num.number(0.104994, 4) == "0.1050"
    assert num.number(-1.67996, 4) == "-1.680"
    assert num.number(0.0585998, 4) == "0.05860"
    assert num.number(2.9999999, 4) == "3.000"  # rounded to 3, not the whole number 3


def test_exact_short_decimals_are_written_as_they_are():
    for x, text in [(0.97, "0.97"), (Fraction(97, 100), "0.97"), (-1.086, "-1.086"), (0.5, "0.5"),
                    (Fraction(-1, 8), "-0.125"), (3.0, "3"), (-12345678.0, "-12345678")]:
        assert num.number(x, 4) == text
        assert num.approx(x, 4) == f"= {text}"


def test_ties_go_away_from_zero_on_the_exact_value():
    assert num.number(Fraction(-17557, 20000), 4) == "-0.8779"  # -0.87785
    assert num.number(Fraction(17557, 20000), 4) == "0.8779"
    assert num.number(Fraction(1, 16), 2) == "0.063"  # not 0.062 (half to even)
    assert num.number(Fraction(-1, 16), 2) == "-0.063"
    assert num.number(0.125, 2) == "0.13"  # a float that is exactly a tie
    assert num.number(1.25, 2) == "1.3"
    assert num.number(Fraction(-104075, 10 ** 6), 4) == "-0.1041"  # below the tie stays below


def test_a_float_within_noise_of_a_tie_is_the_tie():
    """-0.905 * 0.97 = -0.87785 exactly; float64 and BLAS move it by ulps either way."""
    tie = -0.905 * 0.97
    for ulps in range(-8, 9):
        x = tie
        for _ in range(abs(ulps)):
            x = float(np.nextafter(x, np.inf if ulps > 0 else -np.inf))
        assert num.number(x, 4) == "-0.8779", (ulps, x)
        assert num.approx(x, 4) == r"\approx -0.8779"
    assert num.number(-0.87784, 4) == "-0.8778"  # far from the tie: the plain rounding


def test_a_float_within_noise_of_a_short_decimal_is_that_decimal():
    assert num.number(0.1 + 0.2, 4) == "0.3"  # 0.30000000000000004
    assert num.approx(0.1 + 0.2, 4) == "= 0.3"
    assert num.number(float(np.nextafter(0.97, 0)), 4) == "0.97"


@pytest.mark.parametrize("x", [1e-7, -3.2e-9, 2.5e15, 1.5e20, 6.02e23])
def test_very_small_and_large_numbers_use_scientific_notation(x):
    value, mantissa, exponent = parse(num.number(x, 4))
    assert exponent is not None
    assert 1 <= abs(float(mantissa)) < 10
    assert math.isclose(value, oracle.round_sig(x, 4), rel_tol=1e-12)


def test_zero_and_negative_zero_print_as_zero():
    assert num.number(0.0, 4) == "0"
    assert num.number(-0.0, 4) == "0"
    assert num.number(-1e-320, 4) == "0"
    assert num.number(-0.00001, 2) != "-0"


def test_whole_numbers_are_printed_exactly():
    assert num.number(3.0, 4) == "3"
    assert num.number(-12345678.0, 4) == "-12345678"


def test_rounding_up_to_the_next_power_of_ten_is_normalised():
    for x in (9.99996e-5, 9.99996e-6, 99999.6):
        value, mantissa, exponent = parse(num.number(x, 4))
        assert value == pytest.approx(oracle.round_sig(x, 4))
        if exponent is not None:
            assert 1 <= abs(float(mantissa)) < 10, mantissa


def test_large_non_whole_numbers_keep_the_stated_significant_figures():
    for x in (123456.7, 12345.67, -98765.43):
        value, mantissa, _ = parse(num.number(x, 4))
        assert value == pytest.approx(oracle.round_sig(x, 4), rel=1e-12)
        assert sig_digits(mantissa) <= 4


def test_operand_wraps_negatives_in_parentheses():
    assert num.operand(-2.5, 4) == r"\left(-2.5\right)"
    assert num.operand(2.5, 4) == "2.5"


@pytest.mark.parametrize("value", [Fraction(3), Fraction(-1), Fraction(1, 4), Fraction(-1, 3), Fraction(22, 7)])
def test_fraction_prints_the_exact_input(value):
    text = num.fraction(value)
    m = re.fullmatch(r"(-?)\\frac\{(\d+)\}\{(\d+)\}", text)
    back = (Fraction(int(m.group(2)), int(m.group(3))) * (-1 if m.group(1) else 1)) if m else Fraction(text)
    assert back == value


def test_approx_says_equals_only_for_exact_prints():
    assert num.approx(3.0, 4) == "= 3"
    assert num.approx(0.5, 4) == "= 0.5"
    assert num.approx(1 / 3, 4) == r"\approx 0.3333"
    assert num.approx(0.104994, 4) == r"\approx 0.1050"


def test_equals_gives_a_long_exact_value_then_its_rounding():
    assert num.equals(-0.87785, sp.Rational(-17557, 20000), 4) == r"= -0.87785 \approx -0.8779"
    assert num.equals(0.97, sp.Rational(97, 100), 4) == "= 0.97"
    assert num.equals(1 / 3, sp.Rational(1, 3), 4) == r"= \frac{1}{3} \approx 0.3333"
    e = sp.exp(5) / (1 + sp.exp(5)) ** 2
    assert num.equals(float(e), e, 4) == rf"= {sp.latex(e)} \approx 0.006648"
    assert num.equals(0.71321, None, 4) == r"\approx 0.7132"


def test_worked_marks_a_line_of_rounded_numbers_approx():
    """A product of printed factors either equals its printed result or is marked \\approx."""
    exact = [Fraction(-181, 200), Fraction(97, 100)]  # -0.905 and 0.97: printed exactly
    links = num.worked("(-0.905) 0.97", exact, -0.87785, sp.Rational(-17557, 20000), 4)
    assert links == ["= (-0.905) 0.97", r"= -0.87785 \approx -0.8779"]
    e = sp.exp(5) / (1 + sp.exp(5)) ** 2
    links = num.worked("0.006648 \\cdot 3", [float(e), 3], float(3 * e), 3 * e, 4)
    assert links[0] == f"= {sp.latex(3 * e)}"  # the exact value first: it equals the formula
    assert links[1:] == [r"\approx 0.006648 \cdot 3", r"\approx 0.01994"]


def test_counts_are_pluralised():
    assert num.count(1, "check") == "1 check"
    assert num.count(64, "check") == "64 checks"
    assert num.count(0, "question") == "0 questions"
    assert num.count(1, "entry", "entries") == "1 entry"
    assert num.count(2, "entry", "entries") == "2 entries"


def test_matrix_layout():
    assert num.matrix([["1", "2"], ["3", "4"]]) == r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}"


def test_worked_gives_an_exact_result_without_blurring_it():
    """1[a > 0] with a = 19/3 is exactly 1: not '\\approx 1[6.333 > 0] \\approx 1'."""
    assert num.worked(r"\mathbb{1}[6.333 > 0]", [19 / 3], 1.0, sp.Integer(1), 4) == ["= 1"]
