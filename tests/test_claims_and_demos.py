"""Handout formulas for gradients (matrix claims) and the generated demonstrations.

Oracles: plain numpy written here (a forward pass and central differences of its own), never
the generator's backward pass.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import ROOT_DIR
from generator.errors import ProblemFileError
from generator.problem.expr import ParseError
from generator.problem.load import load_problem
from generator.problem.matrix_expr import parse_matrix_formula
from generator.solve.demos import finite_difference_cost, path_blowup
from generator.solve.solution import MatrixClaims, solve

PROBLEMS = ROOT_DIR / "problems"


def claims_of(name: str):
    s = solve(load_problem(PROBLEMS / f"{name}.yml", ROOT_DIR))
    return {r.claim.where: r for _, a in s.answers if isinstance(a, MatrixClaims) for r in a.results}


def mse_relu_single_sample():
    """The 004 attempt's network (one sample), forward by hand: returns a loss function of all weights."""
    x, y = np.array([1.0, 2.0]), np.array([1.0, 0.0])
    w = {"W1": np.array([[0.5, -0.2], [-0.3, 0.8], [0.6, 0.4]]), "b1": np.array([0.1, -0.1, 0.2]),
         "W2": np.array([[0.7, -0.4, 0.3], [-0.2, 0.5, 0.6], [0.4, 0.3, -0.5]]), "b2": np.array([0, 0.1, -0.2]),
         "W3": np.array([[0.8, -0.6, 0.2], [0.3, 0.5, -0.7]]), "b3": np.array([0.1, 0.0])}

    def loss(p):
        a1 = np.maximum(p["W1"] @ x + p["b1"], 0)
        a2 = np.maximum(p["W2"] @ a1 + p["b2"], 0)
        return float(np.sum((p["W3"] @ a2 + p["b3"] - y) ** 2))

    return w, loss


def central_grad(loss, params, name):
    g = np.zeros_like(params[name])
    for idx in np.ndindex(g.shape):
        plus = {k: v.copy() for k, v in params.items()}
        minus = {k: v.copy() for k, v in params.items()}
        plus[name][idx] += 1e-6
        minus[name][idx] -= 1e-6
        g[idx] = (loss(plus) - loss(minus)) / 2e-6
    return g


def test_the_attempts_wrong_formulas_are_flagged_and_the_right_one_is_not():
    results = claims_of("004-attempt-checked")
    flagged = {w for w, r in results.items() if not r.holds}
    assert flagged == {"004, task 2 (*), output delta", "004, task 2 (iii), dJ/dw[L-1]",
                       "004, task 2 (iv), dJ/db[L-1]"}


def test_the_correct_gradient_a_claim_is_judged_against_matches_an_independent_one():
    params, loss = mse_relu_single_sample()
    results = claims_of("004-attempt-checked")
    w2 = results["004, task 2 (iii), dJ/dw[L-1]"].correct
    assert w2 == pytest.approx(central_grad(loss, params, "W2"), rel=1e-6, abs=1e-9)
    w3 = results["004, task 2 (i), dJ/dw[L]"].correct
    assert w3 == pytest.approx(central_grad(loss, params, "W3"), rel=1e-6, abs=1e-9)


def test_the_official_solution_formulas_all_hold():
    for name in ("001-sum-of-activations", "001-two-layer-cost", "001-two-layer-identity", "004-delta-recursion"):
        official = {w: r for w, r in claims_of(name).items() if "attempt" not in w}
        assert official and all(r.holds for r in official.values()), name


def test_the_attempts_task_1_slip_is_flagged_and_its_next_line_is_not():
    results = claims_of("004-delta-recursion")
    assert not results["004, the attempt at task 1 (i), second line, last step"].holds
    assert results["004, the attempt at task 1 (i), fourth line"].holds


def test_a_numerator_layout_formula_read_as_denominator_layout_would_be_flagged(tmp_path):
    text = (PROBLEMS / "001-two-layer-cost.yml").read_text(encoding="utf-8")
    path = tmp_path / "p.yml"
    path.write_text(text.replace("        claimed: \"x2 * T(d(x3))\"\n        layout: numerator\n",
                                 "        claimed: \"x2 * T(d(x3))\"\n"), encoding="utf-8")
    s = solve(load_problem(path, tmp_path))
    results = [r for _, a in s.answers if isinstance(a, MatrixClaims) for r in a.results]
    assert [r.holds for r in results if r.claim.about == "W2"] == [False]


@pytest.mark.parametrize("text, message", [
    ("__import__('os')", "got '__import__'"),
    ("W1.T", "attribute access is not allowed"),
    ("d(W1 * x)", "d( ) takes the name of a quantity"),
    ("W1 / W2", "only a division by a number or by m"),
    ("hadamard(W1)", "hadamard takes 2 argument(s); got 1"),
])
def test_matrix_formulas_are_parsed_safely(text, message):
    with pytest.raises(ParseError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_matrix_formula(text, ["W1", "W2", "x"])


def test_a_bad_claim_names_file_and_field(tmp_path):
    text = (PROBLEMS / "004-attempt-checked.yml").read_text(encoding="utf-8")
    path = tmp_path / "p.yml"
    path.write_text(text.replace('claimed: "d(Z3) * T(A2)"', 'claimed: "d(Z3) * T(A9)"', 1), encoding="utf-8")
    with pytest.raises(ProblemFileError) as err:
        load_problem(path, tmp_path)
    assert "p.yml:" in str(err.value) and ".claimed" in str(err.value) and "'A9'" in str(err.value)


# ---------------------------------------------------------------- demonstrations


def test_finite_difference_cost_counts_match_the_operations_of_the_methods():
    for d in (2, 3, 5):
        row = finite_difference_cost(d)
        # one loss costs 2 d^2 (two products) + d (the squared norm) multiplications
        per_loss = 2 * d * d + d
        assert row.naive == 2 * d * d * per_loss  # two losses per entry of W1
        assert row.backprop == per_loss + d * d + 2 * d + d * d
        assert row.agreement < 1e-6


def test_path_blowup_doubles_naive_work_and_keeps_backprop_linear():
    rows = [path_blowup(L) for L in (4, 5, 6, 7)]
    naive = [r.naive for r in rows]
    backprop = [r.backprop for r in rows]
    assert [b / a for a, b in zip(naive, naive[1:])] == pytest.approx([2.0, 2.0, 2.0], rel=0.1)
    assert len(set(np.diff(backprop))) == 1  # the same number of multiplications per extra layer
    assert all(r.agreement < 1e-6 for r in rows)
