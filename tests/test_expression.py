"""Scalar expression problems (kind: expression): derivatives, chain rule, claims, errors.

The oracle here is plain `math`: every expected number is computed independently of sympy and
of the generator's own evaluator.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
import yaml

from conftest import ROOT_DIR, write_problem
from generator.errors import ProblemFileError, VerificationError
from generator.problem.load import load_problem
from generator.solve.expression import ChainRule, Claims, Derivative, solve_expression

PROBLEMS = ROOT_DIR / "problems"


def sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def central(f, x: float, h: float = 1e-6) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


def solve_file(path: Path):
    return solve_expression(load_problem(path, path.parent))


def answers_of(solution, kind):
    return [(q, a) for q, a in solution.answers if isinstance(a, kind)]


# ---------------------------------------------------------------- the real problem files


def test_activation_derivatives_match_an_independent_difference():
    s = solve_file(PROBLEMS / "000-derivatives-of-simple-functions.yml")
    funcs = {"1.1": sig, "1.2": lambda x: max(x, 0.0), "1.3": math.tanh}
    for q, a in answers_of(s, Derivative):
        for sample in a.samples:
            assert sample.value == pytest.approx(central(funcs[q.number], float(sample.x)), rel=1e-6, abs=1e-9)


def test_relu_kink_is_stated_with_both_one_sided_derivatives():
    s = solve_file(PROBLEMS / "000-derivatives-of-simple-functions.yml")
    relu = next(a for q, a in answers_of(s, Derivative) if q.number == "1.2")
    assert [float(k.x) for k in relu.kinks] == [0.0]
    k = relu.kinks[0]
    assert k.check.kink and k.check.left == pytest.approx(0.0) and k.check.right == pytest.approx(1.0)
    assert k.value == 0.0  # the convention ReLU'(0) := 0


def test_product_and_quotient_rule_values_at_the_point():
    s = solve_file(PROBLEMS / "002-chain-rule-is-all-you-need.yml")
    x0 = float(s.problem.point["x"])
    y = lambda x: math.sin(x) * x * x  # noqa: E731
    yq = lambda x: math.sin(x) / (x * x)  # noqa: E731
    for q, a in answers_of(s, ChainRule):
        f = y if a.of == "y" else yq
        assert a.value == pytest.approx(central(f, x0), rel=1e-7)
        assert len(a.paths) == 2  # through u and through v


def test_wrong_handout_claim_is_flagged_with_a_real_counterexample():
    s = solve_file(PROBLEMS / "002-definitions.yml")
    flagged = [r for _, claims in answers_of(s, Claims) for r in claims.results if not r.holds]
    assert [r.claim.where for r in flagged] == ["002, 1(d), logistic (sigmoid) derivative"]
    x, correct, claimed = flagged[0].counterexample
    x = float(x)
    assert correct == pytest.approx(central(sig, x), rel=1e-6)
    assert claimed == pytest.approx(sig(x) * (1 - math.exp(-x)), rel=1e-12)
    assert abs(correct - claimed) > 1e-3


def test_correct_claims_are_not_flagged():
    for name in ("001-derivatives-official-solution.yml", "002-definitions.yml"):
        s = solve_file(PROBLEMS / name)
        for _, claims in answers_of(s, Claims):
            for r in claims.results:
                if "logistic (sigmoid) derivative" not in r.claim.where:
                    assert r.holds, r.claim.where


def test_an_expression_verdict_the_generator_does_not_compute_stops_the_build(tmp_path):
    text = (PROBLEMS / "002-definitions.yml").read_text(encoding="utf-8")
    old = 'rhs: "sigma(z) * (1 - exp(-z))"\n        variable: z\n        verdict: erratum'
    assert old in text
    path = tmp_path / "p.yml"
    path.write_text(text.replace(old, old.replace("erratum", "correct")), encoding="utf-8")
    with pytest.raises(VerificationError, match="computes 'erratum'"):
        solve_file(path)


def test_tanh_route_through_sigma_holds_independently():
    for x in (-1.7, 0.3, 2.2):
        assert math.tanh(x) == pytest.approx(2 * sig(2 * x) - 1, rel=1e-12)
        assert central(math.tanh, x) == pytest.approx(4 * sig(2 * x) * (1 - sig(2 * x)), rel=1e-6)


def test_pages_show_the_erratum_box(ROOT):
    page = (ROOT / "docs/handouts/002-chain-rule-and-neural-networks/002-definitions.md").read_text()
    assert page.count('!!! danger "Erratum') == 1
    assert page.count('!!! success "Correct') == 3


# ---------------------------------------------------------------- bad input


def _problem(**changes) -> dict:
    data = {"kind": "expression", "title": "t", "handout": "000", "variables": ["x"],
            "definitions": [{"name": "u", "formula": "sin(x)"}, {"name": "y", "formula": "u * x"}],
            "questions": [{"number": "1", "ask": "chain", "of": "y", "wrt": "x"}]}
    data.update(changes)
    return data


def test_a_formula_that_reaches_for_python_is_rejected_with_field_and_column(tmp_path):
    path = write_problem(tmp_path, _problem(definitions=[{"name": "u", "formula": "__import__('os')"}]))
    with pytest.raises(ProblemFileError) as err:
        load_problem(path, tmp_path)
    text = str(err.value)
    assert "definitions[0].formula" in text and "column 1" in text and "problem.yml:" in text


def test_unknown_function_is_named(tmp_path):
    path = write_problem(tmp_path, _problem(definitions=[{"name": "u", "formula": "sine(x)"}]))
    with pytest.raises(ProblemFileError) as err:
        load_problem(path, tmp_path)
    assert "sine" in str(err.value) and "definitions[0].formula" in str(err.value)


def test_chain_of_an_undefined_name_is_rejected(tmp_path):
    path = write_problem(tmp_path, _problem(questions=[{"number": "1", "ask": "chain", "of": "q", "wrt": "x"}]))
    with pytest.raises(ProblemFileError) as err:
        load_problem(path, tmp_path)
    assert "questions[0].of" in str(err.value) and "'q'" in str(err.value)


def test_a_wrong_form_in_the_file_stops_the_build(tmp_path):
    q = {"number": "1", "ask": "derivative", "of": "sigma(x)", "wrt": "x", "via": ["sigma(x)^2"]}
    path = write_problem(tmp_path, _problem(questions=[q]))
    with pytest.raises(VerificationError, match=r"question 1: the form sigma\(x\)\*\*2 of sigma\(x\)"):
        solve_file(path)


def test_a_derivative_typed_into_the_file_is_rejected(tmp_path):
    q = {"number": "1", "ask": "derivative", "of": "sigma(x)", "wrt": "x", "forms": ["sigma(x)*(1 - sigma(x))"]}
    path = write_problem(tmp_path, _problem(questions=[q]))
    with pytest.raises(ProblemFileError, match=r"questions\[0\]\.forms: a derivative's forms are derived"):
        load_problem(path, tmp_path)


def test_problem_files_are_plain_yaml():
    for path in PROBLEMS.glob("*.yml"):
        assert isinstance(yaml.safe_load(path.read_text(encoding="utf-8")), dict)


def test_the_path_drawing_labels_each_highlighted_edge_with_its_local_derivative(ROOT):
    svg = (ROOT / "docs/handouts/002-chain-rule-and-neural-networks/002-chain-rule-is-all-you-need"
           / "path-y-x.svg").read_text(encoding="utf-8")
    labels = {t.replace("&#45;", "-") for t in re.findall(r'fill="#7c3aed"[^>]*>([^<]+)</text>', svg)}
    x = 2.0  # the page's point
    expected = {f"{math.cos(x):.4g}", f"{2 * x:.4g}", f"{x * x:.4g}", f"{math.sin(x):.4g}"}
    assert expected <= {t.strip() for t in labels}, labels
    assert "<!--" not in svg
