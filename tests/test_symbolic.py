"""generator/solve/symbolic.py: the zero test behind every "sympy agrees" on a page, and the
readable exact forms. The expected answers are mathematical facts, not the code's own output."""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from generator.graph.ops import sigma
from generator.solve.symbolic import exact, is_zero, simplify

x, u = sp.symbols("x u")
def test_exact_is_the_same_rational():
    assert exact(Fraction(-7, 3)) == sp.Rational(-7, 3)
    assert exact(Fraction(5)) == sp.Integer(5)


def test_simplify_keeps_the_value():
    e = sp.exp(5) / (1 + sp.exp(5)) ** 2
    assert abs(float(simplify(e)) - float(e)) < 1e-15


def test_simplify_brings_in_no_new_functions():
    e = sp.exp(5) / (1 + sp.exp(5)) ** 2
    out = simplify(e)
    assert not out.atoms(sp.cosh) and not out.atoms(sp.sinh) and not out.atoms(sp.tanh)


def test_simplify_leaves_rationals_alone():
    assert simplify(sp.Rational(3, 4)) == sp.Rational(3, 4)



def test_identities_are_zero():
    assert is_zero(sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1)
    assert is_zero(sigma(x) * (1 - sigma(x)) - sp.exp(-x) / (1 + sp.exp(-x)) ** 2)  # sigma' two ways
    assert is_zero(1 - sp.tanh(x) ** 2 - 4 * sigma(2 * x) * (1 - sigma(2 * x)))  # tanh' via sigma
    assert is_zero(sp.Piecewise((1, x > 0), (0, True)) - sp.Piecewise((x, x > 0), (0, True)) / x)


def test_non_identities_are_not_zero():
    assert not is_zero(sp.sin(x) ** 2 - sp.cos(x) ** 2)
    assert not is_zero(sigma(x) * (1 + sigma(x)) - sp.exp(-x) / (1 + sp.exp(-x)) ** 2)
    # zero exactly at the first probe point (x = 3/7), not elsewhere
    assert not is_zero(x - sp.Rational(3, 7))
    assert not is_zero((x - sp.Rational(3, 7)) * (u - sp.Rational(11, 13) - 1))


def test_values_beyond_float_range_are_decided_without_hanging():
    # a 30-digit evaluation of e^(e^(e^(100 x))) at x = 3/7 would never finish; e^(-10^12) would
    # exhaust memory in cancel / sp.simplify. None of them is identically zero.
    assert not is_zero(sp.exp(sp.exp(sp.exp(100 * x))))
    assert not is_zero(sp.exp(-x * 10**15))
    assert not is_zero(sp.exp(-(10**12)) - sp.exp(1 - 10**12))


def test_exact_forms_are_equal_to_what_they_simplify_and_never_longer():
    e5 = sp.exp(5)
    for value in [(-1 + 1 / (1 + e5)) ** 2, 3 * (-2 + 2 / (1 + e5)) * e5 / (1 + e5) ** 2,
                  -1 - 40 * sp.exp(10) / (1 + e5) ** 3, 4 * sp.cos(2) + 4 * sp.sin(2)]:
        form = simplify(value)
        assert sp.N(form - value, 50) == 0 or abs(sp.N(form - value, 50)) < 1e-45
        assert sp.count_ops(form) <= sp.count_ops(value)
        assert not form.atoms(sp.cosh, sp.sinh)  # no functions the value did not have


def test_exact_form_of_a_squared_difference_is_a_single_fraction():
    # (1 - 1/(1 + e^5))^2 reads best as e^10 / (1 + e^5)^2
    assert simplify((-1 + 1 / (1 + sp.exp(5))) ** 2) == sp.exp(10) / (1 + sp.exp(5)) ** 2


def test_a_negated_sum_is_written_without_brackets():
    form = simplify(-1 - 40 * sp.exp(10) / (1 + sp.exp(5)) ** 3)
    assert form.is_Add  # -1 - 40 e^10/(1+e^5)^3, not -(40 e^10/(1+e^5)^3 + 1)
