"""An activation's derivative stated for any input (rule: x on a local question, as handout
003's question 6 asks "What is the derivative for the ReLU activation function?"): checked at
fixed points against central differences before the page is written, and printed before the
worked entry.

The oracle here is the test's own: each activation written out in numpy and differentiated by
central differences in the test, not the generator's forward rules or its finite differences.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp

from conftest import ROOT_DIR
from generator.errors import VerificationError
from generator.graph import ops
from generator.problem.load import load_problem
from generator.solve.solution import RULE_POINTS, Local, rule_checks_of, solve

PROBLEM = ROOT_DIR / "problems" / "003-single-sample.yml"
PAGE = ROOT_DIR / "docs" / "handouts" / "003-relu-network-homework" / "003-single-sample.md"

# the activations, written out independently of the op table
OWN = {
    "relu": lambda x: max(x, 0.0),
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "tanh": lambda x: float(np.tanh(x)),
    "identity": lambda x: x,
}


def _central(f, x: float, h: float = 1e-6) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


def _rule_answer():
    problem = load_problem(PROBLEM, ROOT_DIR)
    solution = solve(problem)
    found = [(q, a) for q, a in solution.answers if isinstance(a, Local) and a.rule]
    assert len(found) == 1, "003 question 6 is the one local question with rule: x"
    return found[0]


def test_the_relu_rule_is_checked_at_every_point_away_from_the_kink():
    q, a = _rule_answer()
    assert q.number == "6" and a.rule == "x"
    xs = [x for x in RULE_POINTS if abs(x) >= 0.1]
    assert len(a.rule_checks) == len(xs) >= 6
    assert any(x < 0 for x in xs) and any(x > 0 for x in xs), "both sides of the kink"
    for x, check in zip(xs, a.rule_checks):
        assert check.passed, check
        assert check.analytic == pytest.approx(_central(OWN["relu"], x), abs=1e-6), x


@pytest.mark.parametrize("name", sorted(OWN))
def test_each_activations_printed_rule_matches_its_own_central_difference(name):
    op = ops.ACTIVATIONS[name]
    checks = rule_checks_of(op, "")
    assert checks
    for check in checks:
        x = float(check.what.rsplit("x = ", 1)[1])
        assert check.passed, check
        assert check.analytic == pytest.approx(_central(OWN[name], x), rel=1e-6, abs=1e-8), (name, x)


def test_the_page_states_the_rule_before_the_entry():
    text = PAGE.read_text(encoding="utf-8")
    solution = text[text.index("## Question 6"):text.index("## Question 7")]
    rule = solution.index(r"\frac{d}{dx}\, \operatorname{ReLU}\left(x\right)")
    assert r"\left[x > 0\right]" in solution[rule:]
    assert solution.index("Convention at the kink") > rule
    assert solution.index(r"\frac{\partial h^{2}_{1,1}}{\partial z^{2}_{1,1}}") > rule, "the rule, then the entry"


def test_a_wrong_rule_stops_the_build_naming_the_question(monkeypatch):
    relu = ops.ACTIVATIONS["relu"]

    def wrong(a, z):  # 1 for every negative input below -1: the rule the page would print is wrong
        if a.is_number and a < -1:
            return sp.Integer(1)
        return relu.sym_derivative(a, z)

    monkeypatch.setitem(ops.ACTIVATIONS, "relu", dataclasses.replace(relu, sym_derivative=wrong))
    with pytest.raises(VerificationError) as err:
        solve(load_problem(PROBLEM, ROOT_DIR))
    message = str(err.value)
    assert "003-single-sample.yml" in message
    assert "question 6: the rule d/dx relu(x) at x = -2.5" in message
    assert "question 6: the rule d/dx relu(x) at x = 3" not in message
