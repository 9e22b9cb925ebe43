"""generator/render/numbers.py: printed numbers are the stated rounding of the value."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np
import pytest

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


@pytest.mark.parametrize("figures", [2, 4, 6])
def test_number_is_x_rounded_to_the_figures(figures):
    for x in sweep(figures):
        text = num.number(x, figures)
        value, mantissa, _ = parse(text)
        if x == round(x):
            assert value == x, text  # whole numbers exactly
            continue
        assert sig_digits(mantissa) <= figures, (x, text)
        assert math.isclose(value, oracle.round_sig(x, figures), rel_tol=1e-12), (x, text)


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


def test_matrix_layout():
    assert num.matrix([["1", "2"], ["3", "4"]]) == r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}"
