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
from generator.solve.demos import chain_reevaluation, finite_difference_cost, path_blowup, run_demo
from generator.errors import VerificationError
from generator.render.claims import formula_latex
from generator.solve.solution import MatrixClaims, solve

PROBLEMS = ROOT_DIR / "problems"


def claims_of(name: str):
    s = solve(load_problem(PROBLEMS / f"{name}.yml", ROOT_DIR))
    return {r.claim.where: r for _, a in s.answers if isinstance(a, MatrixClaims) for r in a.results}


ATTEMPT_W = {"W1": np.array([[0.5, -0.2], [-0.3, 0.8], [0.6, 0.4]]), "b1": np.array([[0.1], [-0.1], [0.2]]),
             "W2": np.array([[0.7, -0.4, 0.3], [-0.2, 0.5, 0.6], [0.4, 0.3, -0.5]]),
             "b2": np.array([[0.0], [0.1], [-0.2]]),
             "W3": np.array([[0.8, -0.6, 0.2], [0.3, 0.5, -0.7]]), "b3": np.array([[0.1], [0.0]])}
ATTEMPT_X = np.array([[1.0, 0.5], [2.0, -1.0]])  # columns are the two samples of the page
ATTEMPT_Y = np.array([[1.0, 0.0], [0.0, 1.0]])


def mse_relu(x, y):
    """The 004 attempt's network, forward by hand: J = mean over samples of the squared error."""
    def loss(p):
        a1 = np.maximum(p["W1"] @ x + p["b1"], 0)
        a2 = np.maximum(p["W2"] @ a1 + p["b2"], 0)
        return float(np.sum((p["W3"] @ a2 + p["b3"] - y) ** 2)) / x.shape[1]
    return loss


def central_grad(loss, params, name):
    g = np.zeros_like(params[name])
    for idx in np.ndindex(g.shape):
        plus = {k: v.copy() for k, v in params.items()}
        minus = {k: v.copy() for k, v in params.items()}
        plus[name][idx] += 1e-6
        minus[name][idx] -= 1e-6
        g[idx] = (loss(plus) - loss(minus)) / 2e-6
    return g


def with_text(tmp_path, name, old, new):
    """A copy of a problem file with one piece of text replaced (which must be there)."""
    text = (PROBLEMS / f"{name}.yml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "p.yml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_the_attempts_verdicts_are_the_computed_ones():
    kinds = {w: r.kind for w, r in claims_of("004-attempt-checked").items()}
    assert kinds == {
        "004, task 2 a), the cost": "slip",
        "004, task 2 (*), output delta": "erratum",
        "004, task 2, the gradient vector": "slip",
        "004, task 2 (i), dJ/dw[L]": "erratum",
        "004, task 2 (ii), dJ/db[L]": "erratum",
        "004, task 2 (iii), dJ/dw[L-1]": "erratum",
        "004, task 2 (iv), dJ/db[L-1]": "erratum",
        "the correct form of (iv)": "correct",
        "the correct form of (iii)": "correct",
    }


def test_the_attempt_is_judged_on_a_batch_against_an_independent_gradient():
    params = {k: v.copy() for k, v in ATTEMPT_W.items()}
    results = claims_of("004-attempt-checked")
    loss = mse_relu(ATTEMPT_X, ATTEMPT_Y)
    assert results["004, task 2 (iii), dJ/dw[L-1]"].correct == pytest.approx(
        central_grad(loss, params, "W2"), rel=1e-6, abs=1e-9)
    assert results["004, task 2 (i), dJ/dw[L]"].correct == pytest.approx(
        central_grad(loss, params, "W3"), rel=1e-6, abs=1e-9)
    assert results["004, task 2 (i), dJ/dw[L]"].literal.shape_error  # delta A (no transpose) does not fit


def test_a_bias_formula_right_for_one_sample_only_is_an_erratum_with_the_one_sample_shown():
    r = claims_of("004-attempt-checked")["004, task 2 (ii), dJ/db[L]"]
    params = {k: v.copy() for k, v in ATTEMPT_W.items()}
    alone = central_grad(mse_relu(ATTEMPT_X[:, :1], ATTEMPT_Y[:, :1]), params, "b3")
    batch = central_grad(mse_relu(ATTEMPT_X, ATTEMPT_Y), params, "b3")
    assert r.kind == "erratum" and r.single_sample is not None
    one, right = r.single_sample
    assert one.value == pytest.approx(alone, rel=1e-6) and right == pytest.approx(alone, rel=1e-6)
    assert r.correct == pytest.approx(batch, rel=1e-6)
    assert r.claimed.shape == (2, 2)  # delta over the batch: one column per sample, not their sum


def test_a_verdict_the_generator_does_not_compute_stops_the_build(tmp_path):
    path = with_text(tmp_path, "004-attempt-checked", 'claimed: "d(Z3)"\n        verdict: erratum',
                     'claimed: "d(Z3)"\n        verdict: correct')
    with pytest.raises(VerificationError) as err:
        solve(load_problem(path, tmp_path))
    message = str(err.value)
    assert "p.yml" in message and "question 2 (attempt)" in message and "dJ/db[L]" in message
    assert "computes 'erratum'" in message and "one sample" in message


def test_a_transposed_formula_is_a_convention_and_its_literal_step_is_shown(tmp_path):
    r = claims_of("001-two-layer-cost")["001, 2(e), dl/dW(1) and equation (2)"]
    x, y = np.array([[1.0], [-1.0], [2.0]]), np.array([[0.5], [-0.5], [1.0]])
    params = {"W1": np.array([[0.2, -0.4, 0.1], [0.5, 0.3, -0.2], [-0.3, 0.6, 0.4]]),
              "b": np.array([[0.1], [0.0], [-0.1]]),
              "W2": np.array([[0.7, -0.2, 0.5], [0.3, 0.8, -0.4], [-0.6, 0.1, 0.9]])}
    loss = lambda p: 0.5 * float(np.sum((p["W2"] @ np.tanh(p["W1"] @ x + p["b"]) - y) ** 2))
    grad = central_grad(loss, params, "W1")
    assert r.kind == "convention"
    assert r.claimed == pytest.approx(grad.T, rel=1e-6)
    assert r.literal_step.value == pytest.approx(params["W1"] - 0.1 * grad.T, rel=1e-6)
    assert r.proper_step == pytest.approx(params["W1"] - 0.1 * grad, rel=1e-6)
    assert not np.allclose(r.literal_step.value, r.proper_step)
    # the same formula declared correct is refused: the generator computes the convention
    path = with_text(tmp_path, "001-two-layer-cost", 'claimed: "x * T(d(x1))"\n        verdict: convention',
                     'claimed: "x * T(d(x1))"\n        verdict: correct')
    with pytest.raises(VerificationError, match="computes 'convention'"):
        solve(load_problem(path, tmp_path))


def test_a_layout_the_handout_states_makes_the_transpose_correct():
    kinds = {w: r.kind for w, r in claims_of("002-chain-rule-layouts").items()}
    assert kinds["002, 1(b), numerator layout"] == "correct"


def test_a_slip_must_hold_once_read_as_meant(tmp_path):
    assert claims_of("001-sum-of-activations")["001, 2(c), df/db_i"].kind == "slip"
    path = with_text(tmp_path, "001-sum-of-activations", 'claimed: "2 * (yhat - y) * hadamard(s, ones(s) - s)"\n',
                     'claimed: "(yhat - y) * hadamard(s, ones(s) - s)"\n')
    with pytest.raises(VerificationError, match="slip"):
        solve(load_problem(path, tmp_path))


def test_an_update_claim_is_checked_against_one_gradient_step(tmp_path):
    r = claims_of("001-sum-of-activations")["001, 2(d), the w_i update"]
    x, y = np.array([[1.0], [-2.0]]), 2.0
    params = {"W": np.array([[0.5, -0.3], [-1.0, 0.2], [0.3, 0.8]]), "b": np.array([[0.1], [-0.2], [0.4]])}
    loss = lambda p: float((y - np.sum(1 / (1 + np.exp(-(p["W"] @ x + p["b"]))))) ** 2)
    assert r.correct == pytest.approx(params["W"] - 0.5 * central_grad(loss, params, "W"), rel=1e-6)
    path = with_text(tmp_path, "001-sum-of-activations", 'claimed: "W - 2 * eta *', 'claimed: "W - eta *')
    with pytest.raises(VerificationError, match="slip"):
        solve(load_problem(path, tmp_path))


def test_the_task_1_attempt_lines():
    kinds = {w: r.kind for w, r in claims_of("004-delta-recursion").items()}
    assert kinds["004, task 1 (i), l = 2"] == "correct"
    assert kinds["004, the attempt at task 1 (i), first line"] == "slip"
    assert kinds["004, the attempt at task 1 (i), second line, first step"] == "erratum"
    assert kinds["004, the attempt at task 1 (i), second line, last step"] == "erratum"
    assert kinds["004, the attempt at task 1 (i), fourth line"] == "convention"
    assert kinds["004, the attempt at task 1 (i), the conclusion"] == "erratum"


def test_the_official_solution_formulas_hold_up_to_layout_and_slips():
    for name in ("001-sum-of-activations", "001-two-layer-cost", "001-two-layer-identity"):
        assert {r.kind for r in claims_of(name).values()} <= {"correct", "slip", "convention"}, name


def test_no_page_shows_the_matrix_formula_language_or_problem_files():
    texts = {page: page.read_text(encoding="utf-8") for page in (ROOT_DIR / "docs" / "handouts").rglob("*.md")}
    for name in ("001-sum-of-activations", "001-two-layer-cost", "001-two-layer-identity",
                 "004-attempt-checked", "004-delta-recursion", "002-chain-rule-layouts"):
        for r in claims_of(name).values():
            if r.claim.text:
                assert not [p for p, t in texts.items() if r.claim.text in t], r.claim.text
    for page, text in texts.items():
        for internal in ("hadamard(", "sumcols(", "problems/", r"\operatorname{ReLU}(z)/z", r"\operatorname{ReLU}(x)/x"):
            assert internal not in text, (page, internal)


def test_formula_latex_groups_what_it_must():
    sym = {"A": "A", "B": "B", "Z": "Z^{[2]}", "W": "W^{[3]}"}.get
    tree = parse_matrix_formula("hadamard(step(Z), T(W) * d(Z)) * T(A) - 2/m * (A + B)", ["A", "B", "Z", "W"])
    assert formula_latex(tree, sym, "J") == (
        r"\left(\left[Z^{[2]} > 0\right] \odot \left({W^{[3]}}^{\top} \frac{\partial J}{\partial Z^{[2]}}\right)"
        r"\right) A^{\top} - \frac{2}{m} \left(A + B\right)")


def test_added_questions_are_labelled_on_the_page_and_others_are_not():
    page = (ROOT_DIR / "docs" / "handouts" / "002-chain-rule-and-neural-networks"
            / "002-chain-rule-is-all-you-need.md").read_text(encoding="utf-8")
    added = page.split("## Question 2.5")[1].split("## ")[0]
    handout = page.split("## Question 2.4")[1].split("## ")[0]
    assert "not a question of the handout" in added and "not a question of the handout" not in handout


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


@pytest.mark.parametrize("old, new, message", [
    ("verdict: erratum\n", "verdict: wrong\n", "expected one of convention, correct, erratum, slip"),
    ("reason: \"Only the term", "reason: \"Two sentences. Only the term", "expected one sentence"),
    ("verdict: correct\n        addition: true", "verdict: erratum\n        addition: true", "must be correct"),
    ('        claimed: "d(Z3) * A2"\n', "", "needs a formula"),
])
def test_bad_verdicts_name_file_and_field(tmp_path, old, new, message):
    path = with_text(tmp_path, "004-attempt-checked", old, new)
    with pytest.raises(ProblemFileError, match=message):
        load_problem(path, tmp_path)


def test_a_bad_claim_names_file_and_field(tmp_path):
    path = with_text(tmp_path, "004-attempt-checked", 'claimed: "d(Z3) * A2"', 'claimed: "d(Z3) * A9"')
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


def test_chain_reevaluation_counts_the_calls_of_6_52_and_6_51():
    for depth in (1, 3, 7, 12):
        row = chain_reevaluation(depth)
        assert row.naive == depth * (depth - 1) // 2  # the factor f'(f^k(w)) calls f k times
        assert row.backprop == max(depth - 1, 0)  # x = f(w), y = f(x), ... once each
        assert row.agreement < 1e-6


def test_the_handouts_exponential_blowup_for_a_plain_chain_is_an_erratum(tmp_path):
    result = run_demo(load_problem(PROBLEMS / "004-exponential-blowup.yml", ROOT_DIR))
    (verdict,) = result.verdicts
    assert verdict.kind == "erratum" and verdict.measured == "polynomial"
    path = with_text(tmp_path, "004-exponential-blowup", "growth: exponential\n        verdict: erratum",
                     "growth: exponential\n        verdict: correct")
    with pytest.raises(VerificationError, match="computes 'erratum'"):
        run_demo(load_problem(path, tmp_path))
    # the same statement about the branching network is right
    path = with_text(tmp_path, "004-exponential-blowup", "series: chain\n        growth: exponential\n"
                     "        verdict: erratum", "series: paths\n        growth: exponential\n        verdict: correct")
    assert run_demo(load_problem(path, tmp_path)).verdicts[0].kind == "correct"


def test_display_math_in_claim_boxes_starts_its_own_block():
    """Markdown swallows a display that follows a text line into the paragraph: its TeX shows raw."""
    for page in (ROOT_DIR / "docs" / "handouts").rglob("*.md"):
        lines = page.read_text(encoding="utf-8").split("\n")
        for before, line in zip(lines, lines[1:]):
            if line.strip() == "\\[":
                assert before.strip() == "" or before.strip().startswith(("???", "!!!")), (page.name, before)


def test_a_stated_power_of_the_cost_is_checked_against_the_fitted_one(tmp_path):
    result = run_demo(load_problem(PROBLEMS / "001-cost-of-gradients.yml", ROOT_DIR))
    kinds = {v.claim.where: v.kind for v in result.verdicts}
    assert kinds == {"001, side note, the difference quotient": "slip", "001, side note, numerical cost": "correct",
                     "001, side note, analytic cost": "correct"}
    # d^3 instead of d^4 is refused: the fitted power of the finite differences is near 4
    path = with_text(tmp_path, "001-cost-of-gradients", "exponent: 4\n", "exponent: 3\n")
    with pytest.raises(VerificationError, match="computes 'erratum'"):
        run_demo(load_problem(path, tmp_path))
