"""Derivations by rules (generator/solve/derivation.py) and their line-by-line proofs.

The oracles are plain `math` (values of sigma', tanh', ReLU') and sympy's own evalf on the
printed lines; the checks that must bite are shown biting: a wrong rule in the op table, a wrong
rule in the engine, and a wrong kink convention each stop the build naming file and question.
"""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import pytest
import sympy as sp

from built_pages import read_page
from conftest import ROOT_DIR, copy_project
from generator import cli
from generator.errors import VerificationError
from generator.graph import ops
from generator.problem.load import load_problem
from generator.solve import derivation
from generator.solve.expression import ChainRule, Derivative, solve_expression

PROBLEMS = ROOT_DIR / "problems"
SECTION_1 = PROBLEMS / "000-derivatives-of-simple-functions.yml"
x = sp.Symbol("x")


def sig(t: float) -> float:
    return 1.0 / (1.0 + math.exp(-t))


def solve(path: Path):
    return solve_expression(load_problem(path, path.parent))


def derivative(solution, number: str) -> Derivative:
    return next(a for q, a in solution.answers if q.number == number)


def value(expr: sp.Expr, at: float) -> float:
    """The line's value by sympy's evalf (not the generator's evaluator)."""
    return float(sp.N(expr.doit().subs(x, sp.Float(at, 30)), 20))


ORACLES = {"1.1": lambda t: sig(t) * (1 - sig(t)), "1.2": lambda t: 1.0 if t > 0 else 0.0,
           "1.3": lambda t: 1 / math.cosh(t) ** 2}


@pytest.mark.parametrize("number", sorted(ORACLES))
def test_every_line_of_every_derivation_has_the_derivatives_value(number):
    d = derivative(solve(SECTION_1), number)
    for way in d.derivations:
        for line in way.lines + tuple(ln for e in way.endings for ln in e):
            assert line.proof in ("sympy", "points")
            for t in (-1.3, 0.4, 2.1):
                assert value(line.expr, t) == pytest.approx(ORACLES[number](t), rel=1e-12, abs=1e-15), line


def test_sigma_is_derived_by_the_chain_rule_and_ends_in_the_op_tables_form():
    way = derivative(solve(SECTION_1), "1.1").derivations[0]
    names = [r.name for line in way.lines for r in line.rules]
    assert "power rule" in names and "chain rule" in names and "exponential rule" in names
    assert way.lines[0].expr == sp.Derivative(1 / (1 + sp.exp(-x)), x)  # sigma written out, not yet differentiated
    s = ops.sigma(x)
    assert way.result.doit() == s * (1 - s)  # sigma (1 - sigma), from the op table, in its order
    assert [a for a in way.result.args] == [s, 1 - s]


def test_tanh_is_derived_both_ways():
    d = derivative(solve(SECTION_1), "1.3")
    assert len(d.derivations) == 2  # as sinh/cosh and as exponentials, both written in the question
    for way in d.derivations:
        assert "quotient rule" in [r.name for r in way.lines[1].rules]
        assert way.result.doit() == 1 - sp.tanh(x) ** 2
    closed = d.derivations[1].endings[0]
    assert [ln.expr for ln in closed][-1] == sp.sech(x) ** 2
    assert any(ln.expr == 4 / (sp.exp(x) + sp.exp(-x)) ** 2 for ln in closed)


def test_relu_states_the_op_tables_kink_convention():
    way = derivative(solve(SECTION_1), "1.2").derivations[0]
    last = way.lines[-1]
    assert [r.name for r in last.rules] == ["kink convention"] and last.rules[0].op is ops.ACTIVATIONS["relu"]
    assert value(last.expr, 0.0) == 0.0  # relu'(0) := 0
    assert last.proof == "points"  # sympy cannot compare piecewise lines: checked at the seeded points


def test_the_value_at_the_stated_point_is_shown(ROOT):
    page = (ROOT / "docs/handouts/000-derivatives-and-backprop-worksheet/"
                   "000-derivatives-of-simple-functions.md").read_text(encoding="utf-8")
    assert "the point where this page works its numbers" in page
    assert rf"\sigma'(1) &= \sigma\left(1\right) \left(1 - \sigma\left(1\right)\right)" in page
    assert rf"\approx {sig(1) * (1 - sig(1)):.4g}" in page
    assert rf"\approx {1 - math.tanh(1) ** 2:.2g}" in page  # 0.42 (4 figures, trailing zeros dropped)
    assert r"\operatorname{ReLU}'(1) &= 1" in page


# ---------------------------------------------------------------- the checks bite


def _wrong(monkeypatch, name: str, **changes) -> None:
    monkeypatch.setitem(ops.ACTIVATIONS, name, dataclasses.replace(ops.ACTIVATIONS[name], **changes))


def test_a_wrong_rule_in_the_op_table_stops_the_solver_naming_the_question(monkeypatch):
    _wrong(monkeypatch, "sigmoid", sym_derivative=lambda a, z: z * (1 + z))  # sigma' = sigma (1 + sigma)
    with pytest.raises(VerificationError) as err:
        solve(SECTION_1)
    text = str(err.value)
    assert "000-derivatives-of-simple-functions.yml: question 1.1" in text
    assert "(1 + 1/(1 + exp(-x)))" in text and "is not equal to the line before" in text  # sigma (1 + sigma) written out


def test_a_wrong_rule_in_the_engine_stops_the_solver(monkeypatch):
    monkeypatch.setitem(derivation.ELEMENTARY, sp.exp, ("exponential rule", lambda u: -sp.exp(u)))
    with pytest.raises(VerificationError, match=r"question 1\.1: the derivation of d/dx sigma\(x\), line 3"):
        solve(SECTION_1)


def test_a_wrong_kink_convention_is_caught_at_the_random_points(monkeypatch):
    _wrong(monkeypatch, "relu", sym_derivative=lambda a, z: sp.Piecewise((1, a > 0), (1, True)))
    with pytest.raises(VerificationError, match=r"question 1\.2: .* at x = -[0-9.]+ the line before gives 0, this line 1"):
        solve(SECTION_1)


def test_a_wrong_rule_fails_the_build_and_leaves_the_pages(tmp_path, monkeypatch, capsys):
    root = copy_project(tmp_path / "project")
    page = root / "docs/handouts/000-derivatives-and-backprop-worksheet/000-derivatives-of-simple-functions.md"
    before = page.read_bytes()
    _wrong(monkeypatch, "sigmoid", sym_derivative=lambda a, z: z * (1 + z))
    assert cli.main(["--root", str(root), "build", "--strict"]) == 1
    err = capsys.readouterr().err
    assert "000-derivatives-of-simple-functions.yml: question 1.1" in err
    assert page.read_bytes() == before


# ---------------------------------------------------------------- chain rules: general first


def test_the_product_rule_ends_in_the_form_asked_with_the_reason(ROOT):
    page = (ROOT / "docs/handouts/002-chain-rule-and-neural-networks/"
                   "002-chain-rule-is-all-you-need.md").read_text(encoding="utf-8")
    q23 = page.split("{#q-2-3 ")[1].split("## Question")[0]
    rows = re.findall(r"^\s*(.*?)\\\\$|^\s*(&=.*)$", q23, re.M)
    last = [r for pair in rows for r in pair if r.startswith("&=")][-1]
    assert last.startswith(r"&= u \frac{dv}{dx} + v \frac{du}{dx}")  # the order the question writes
    assert "*Why:*" in q23 and r"\frac{\partial y}{\partial u} = v" in q23
    q21 = page.split("{#q-2-1 ")[1].split("## Question")[0]
    assert r"\left.\frac{dy}{dx}\right|" not in q21  # the instance is worked once, in 2.2
    assert page.count("path-y-x.svg") == 1


def test_the_multivariate_chain_rule_is_written_as_a_sum_first(ROOT):
    for handout in ("000-derivatives-and-backprop-worksheet/000", "001-worksheet-official-solution/001"):
        page = (ROOT / f"docs/handouts/{handout}-multivariate-chain-rule.md").read_text(encoding="utf-8")
        general = page.index(r"\sum_{i=1}^{n} \frac{\partial f}{\partial x_i}")
        assert general < page.index(r"\left.\frac{df}{dw}\right|")


def test_a_wrong_form_asked_for_stops_the_solver(tmp_path):
    text = (PROBLEMS / "002-chain-rule-is-all-you-need.yml").read_text(encoding="utf-8")
    wrong = text.replace('forms: ["u*dv_dx + v*du_dx"]', 'forms: ["u*dv_dx - v*du_dx"]')
    assert wrong != text
    path = tmp_path / "002-chain-rule-is-all-you-need.yml"
    path.write_text(wrong, encoding="utf-8")
    with pytest.raises(VerificationError, match=r"question 2\.3: the form .* the question asks for is not"):
        solve(path)


def test_chain_answers_record_how_they_were_proved():
    s = solve(PROBLEMS / "002-chain-rule-is-all-you-need.yml")
    assert {a.proof for _, a in s.answers if isinstance(a, ChainRule)} == {"sympy"}


# ---------------------------------------------------------------- the marks on the page


def test_every_mark_has_its_footnote_and_no_tex_is_left(ROOT):
    site = ROOT / "site/handouts/000-derivatives-and-backprop-worksheet/000-derivatives-of-simple-functions.html"
    html = read_page(site)  # the folded solutions put back (hooks/defer_hook.py moves them to parts)
    marks = re.findall(r'<span class="checked"[^>]*>✓ checked<sup id="fnref:([^"]+)">'
                       r'<a class="footnote-ref" href="#fn:\1"', html)
    assert len(marks) >= 7  # 4 derivations, a closed form, 3 values at the point
    for key in marks:
        assert f'id="fn:{key}"' in html
    notes = html.split('<div class="footnote">')[1]
    assert r"\(" not in notes and r"\frac" not in re.sub(r'<annotation[^>]*>.*?</annotation>', "", notes, flags=re.S)


# ---------------------------------------------------------------- the engine on its own


@pytest.mark.parametrize("f, rule, oracle", [
    (sp.sin(x) * x**2, "product rule", lambda t: math.cos(t) * t * t + 2 * t * math.sin(t)),
    (sp.sin(x) / x**2, "quotient rule", lambda t: math.cos(t) / t**2 - 2 * math.sin(t) / t**3),
    (sp.exp(sp.cos(3 * x)), "exponential rule", lambda t: -3 * math.sin(3 * t) * math.exp(math.cos(3 * t))),
    (sp.log(1 + x**2) * sp.cosh(x), "product rule",
     lambda t: 2 * t / (1 + t * t) * math.cosh(t) + math.log(1 + t * t) * math.sinh(t)),
])
def test_the_rules_derive_other_functions_and_every_line_is_proved(f, rule, oracle):
    way = derivation.derive(f, x)
    assert rule in [r.name for r in way.lines[1].rules]  # the outer rule first, on its own line
    lines = derivation.prove_lines(sp.Derivative(f, x), way.lines, "test")
    assert all(ln.proof == "sympy" for ln in lines)
    assert not way.result.has(sp.Derivative)
    for t in (0.7, 1.9, -2.3):
        assert value(way.result, t) == pytest.approx(oracle(t), rel=1e-12)


def test_a_step_sympy_cannot_decide_is_compared_at_seeded_points():
    step = sp.Piecewise((x, x > 0), (0, True))
    assert derivation.prove_equal(step, (x + sp.Abs(x)) / 2, "test") == "points"
    with pytest.raises(VerificationError, match=r"test: .*Abs\(x\).* is not equal to the line before"):
        derivation.prove_equal(step, (x + sp.Abs(x)) / 2 + sp.Rational(1, 10**6), "test")


def test_the_pages_wording_of_an_op_comes_from_its_entry(monkeypatch):
    from generator.render.expression_page import render_expression_page
    _wrong(monkeypatch, "relu", convention=r"\operatorname{ReLU}'(0) := \tfrac{1}{2}",
           latex=r"\operatorname{Rect}\left({a}\right)")
    page = render_expression_page(solve(SECTION_1), "assets", "Worksheet")
    assert r"\text{at the kink: } \operatorname{ReLU}'(0) := \tfrac{1}{2}" in page
    assert r"\operatorname{Rect}'(x) &= \frac{d}{d x}" in page and r"\operatorname{ReLU}'(x)" not in page


def test_via_is_only_for_a_derivative(tmp_path):
    from conftest import write_problem
    from generator.errors import ProblemFileError
    data = {"kind": "expression", "title": "t", "handout": "000", "variables": ["x"],
            "definitions": [{"name": "y", "formula": "x^2"}],
            "questions": [{"number": "1", "ask": "chain", "of": "y", "wrt": "x", "via": ["x*x"]}]}
    path = write_problem(tmp_path, data)
    with pytest.raises(ProblemFileError, match=r"questions\[0\]\.via: expected only on a question with ask: derivative"):
        load_problem(path, tmp_path)
