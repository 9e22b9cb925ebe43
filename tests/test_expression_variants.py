"""Practice variants of expression problems (issue 14): the point moved, each variant's answers
right (recomputed here with the math module from the formulas), degenerate points rejected and
counted, the named mistakes what their names say (derived by hand for these functions)."""

from __future__ import annotations

import dataclasses
import math
import re
from fractions import Fraction
from pathlib import Path

import pytest

from generator.errors import ProblemFileError
from generator.problem.load import load_problem
from generator.problem.spec import ValueRange, VariantSpec
from generator.solve import expression_variants as EV

ROOT = Path(__file__).resolve().parents[1]


def _problem(stem: str):
    return load_problem(ROOT / "problems" / f"{stem}.yml", ROOT)


@pytest.fixture(scope="module")
def chain():
    return EV.make_expression_variants(_problem("002-chain-rule-is-all-you-need"), count=8)


@pytest.fixture(scope="module")
def simple():
    return EV.make_expression_variants(_problem("000-derivatives-of-simple-functions"), count=8)


def _pr(v, number):
    return next(p for p in v.practised if p.question.number == number)


def _with(pr, kind):
    return [m.values[0][0, 0] for m in pr.mistakes if kind in m.kinds]


def _sigma(x):
    return 1 / (1 + math.exp(-x))


def test_variants_are_the_same_run_to_run_and_move_the_point(chain):
    again = EV.make_expression_variants(_problem("002-chain-rule-is-all-you-need"), count=8)
    assert [v.problem.point for v in again.variants] == [v.problem.point for v in chain.variants]
    points = [v.problem.point["x"] for v in chain.variants]
    assert len(set(points)) == len(points) and Fraction(2) not in points
    assert all((x * 10).denominator == 1 and abs(x - 2) <= 2 for x in points)  # one decimal, within 2


def test_chain_answers_and_mistakes(chain):
    """y = sin(x) x^2 and yq = sin(x) / x^2 at each variant's x: the answers, the path through u
    without du/dx (v + u 2x), and the quotient rule with a plus (cos/x^2 + sin 2x/x^4)."""
    for v in chain.variants:
        x = float(v.problem.point["x"])
        s, c = math.sin(x), math.cos(x)
        y = _pr(v, "2.2")
        assert math.isclose(y.parts[0].value[0, 0], c * x * x + 2 * x * s, rel_tol=1e-12)
        assert any(math.isclose(m, x * x + 2 * x * s, rel_tol=1e-12) for m in _with(y, "no_inner:u"))
        q = _pr(v, "2.4")
        assert math.isclose(q.parts[0].value[0, 0], (x * x * c - 2 * x * s) / x ** 4, rel_tol=1e-12)
        assert _with(q, "sign:yq:v") and math.isclose(_with(q, "sign:yq:v")[0], c / x ** 2 + 2 * x * s / x ** 4,
                                                      rel_tol=1e-12)
    # the general questions 2.1 and 2.3 ask for a formula; 2.2 works the same derivative in numbers
    assert [p.question.number for p in chain.variants[0].practised] == ["2.2", "2.4"]


def test_derivative_answers_and_mistakes(simple):
    """sigma'(x) = sigma (1 - sigma); its slips: the inner derivative of -x dropped (the sign
    flips: -sigma'), and the chain rule through (1 + e^-x)^-1 without the inner derivative at all
    (-(1 + e^-x)^-2)."""
    for v in simple.variants:
        x = float(v.problem.point["x"])
        pr = _pr(v, "1.1")
        assert math.isclose(pr.parts[0].value[0, 0], _sigma(x) * (1 - _sigma(x)), rel_tol=1e-12)
        assert any(math.isclose(m, -_sigma(x) * (1 - _sigma(x)), rel_tol=1e-9) for m in _with(pr, "sign"))
        assert any(math.isclose(m, -(1 + math.exp(-x)) ** -2, rel_tol=1e-9) for m in _with(pr, "no_inner"))
        relu = _pr(v, "1.2")
        assert relu.parts[0].value[0, 0] == (1.0 if x > 0 else 0.0) and relu.mistakes == ()


def test_every_kept_mistake_differs_from_the_answer(chain, simple):
    for vs in (chain, simple):
        for v in vs.variants:
            for pr in v.practised:
                for m in pr.mistakes:
                    assert abs(m.values[0][0, 0] - pr.parts[0].value[0, 0]) > pr.parts[0].tolerance[0, 0]


def _ranged(stem: str, name: str, low: str, high: str, step: str = "1/10"):
    p = _problem(stem)
    r = ValueRange(Fraction(low), Fraction(high), Fraction(step))
    return dataclasses.replace(p, variants=VariantSpec(3, 0, ((name, r),)))


@pytest.mark.parametrize("stem,name,low,high,reason", [
    ("004-relu-derivative-claim", "z", "0", "0", "kink"),  # ReLU at its kink
    ("004-relu-derivative-claim", "z", "-1/200", "1/200", "kink"),  # within 0.01 of it
    ("002-chain-rule-is-all-you-need", "x", "1/5", "3/10", "pole"),  # yq = sin x / x^2: x^2 < 0.1
])
def test_a_degenerate_point_is_rejected_and_counted(stem, name, low, high, reason):
    vs = EV.make_expression_variants(_ranged(stem, name, low, high))
    assert vs.variants == () and vs.wanted == 3
    assert dict(vs.rejected).get(reason, 0) > 0 and set(dict(vs.rejected)) <= {reason, "same"}, vs.rejected


def test_a_point_outside_the_domain_is_rejected(tmp_path):
    (tmp_path / "problems").mkdir()
    f = tmp_path / "problems" / "log.yml"
    f.write_text("kind: expression\ntitle: Log\nhandout: '000'\nvariables: [x]\npoint: {x: 2}\n"
                 "samples: [1, 2, 3]\nvariants: {count: 2, ranges: {x: [-3, -1]}}\n"
                 "questions:\n  - {number: '1', text: 'd/dx log x?', ask: derivative, of: 'log(x)', wrt: x}\n",
                 encoding="utf-8")
    vs = EV.make_expression_variants(load_problem(f, tmp_path))
    assert vs.variants == () and dict(vs.rejected).get("domain", 0) > 0


def test_problems_without_numbers_get_no_variants():
    p = _problem("002-definitions")  # claims only
    assert "no number" in EV.no_variants_reason(p)
    assert EV.make_expression_variants(p).variants == ()


def test_variants_ranges_name_a_variable(tmp_path):
    text = (ROOT / "problems" / "002-chain-rule-is-all-you-need.yml").read_text(encoding="utf-8")
    bad = tmp_path / "problems" / "002-chain-rule-is-all-you-need.yml"
    bad.parent.mkdir()
    bad.write_text(text + "variants:\n  ranges:\n    w: [1, 2]\n", encoding="utf-8")
    with pytest.raises(ProblemFileError) as err:
        load_problem(bad, tmp_path)
    assert "variants.ranges.w: no value named 'w'; expected one of x" in str(err.value)


def test_practice_pages_show_each_variants_point_and_its_worked_value():
    """The committed practice page of 002 section 2: every variant's section states its point and
    its worked solution evaluates dy/dx at that same point."""
    page = ROOT / "docs" / "handouts" / "002-chain-rule-and-neural-networks" / "002-chain-rule-is-all-you-need-practice.md"
    text = page.read_text(encoding="utf-8")
    sections = re.findall(r'<section class="practice-variant" data-v="(\d+)".*?</section>', text, re.S)
    assert len(sections) == 20
    for body in re.findall(r'<section class="practice-variant".*?</section>', text, re.S):
        x = re.search(r"At \\\(x = (-?[\d.]+)\\\)", body).group(1)
        assert f"\\right|_{{x = {x}}} &" in body, x  # the worked value at the variant's point
