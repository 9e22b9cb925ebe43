"""generator/solve/symbolic.py: exact values and readable exact forms."""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from generator.solve.symbolic import exact, simplify


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
