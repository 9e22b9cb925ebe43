"""The general formulas (solve/formulas.py, solve/index_form.py): derived from the op table, printed
in the handout's convention, and checked on the instance; a wrong rule stops the build naming the
question that prints it."""

from __future__ import annotations

import re
import copy
import dataclasses
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
import yaml

from conftest import ROOT_DIR, write_problem
from generator.errors import VerificationError
from generator.graph import mexpr as mx
from generator.graph import ops
from generator.problem.load import load_problem
from generator.render.page import render_page
from generator.solve.solution import solve

ROOT = Path(__file__).resolve().parent.parent
MSE_TASK = ROOT / "problems" / "004-mse-relu-gradients.yml"  # a batch of 3, separate biases
SINGLE = ROOT / "problems" / "003-single-sample.yml"  # row vectors, free indices


def load(path: Path):
    return load_problem(path, ROOT)


# ---------------------------------------------------------------- a wrong rule fails the build


def test_a_missing_transpose_in_the_linear_rule_fails_naming_the_question(monkeypatch):
    def no_transpose(self, delta, x, w):
        rules = real(self, delta, x, w)
        return {**rules, "weight": mx.MatMul(delta, x)}  # dJ/dW = delta x instead of delta x^T

    real = ops.Linear.vjp_matrix
    monkeypatch.setattr(ops.Linear, "vjp_matrix", no_transpose)
    with pytest.raises(VerificationError) as err:
        solve(load(MSE_TASK))
    message = str(err.value)
    assert "004-mse-relu-gradients.yml" in message
    assert "question 2 (i) W[L]" in message  # the first question that prints dJ/dW3


def test_a_missing_one_over_m_in_the_loss_rule_fails_naming_the_question(monkeypatch):
    loss = ops.LOSSES["squared_error"]

    class NoMean(ops.Loss):
        def gradient_matrix(self, yhat, y, outputs, key=""):
            return mx.scale(Fraction(2), Fraction(1), 0, mx.Sub(yhat, y))  # 2 (yhat - y), no 1/m

    monkeypatch.setitem(ops.LOSSES, "squared_error", NoMean(**{f.name: getattr(loss, f.name)
                                                               for f in dataclasses.fields(loss)}))
    with pytest.raises(VerificationError) as err:
        solve(load(MSE_TASK))
    assert "question 2 (output delta)" in str(err.value)
    assert "verified value" in str(err.value)


def test_a_wrong_activation_rule_fails(monkeypatch):
    relu = ops.ACTIVATIONS["relu"]
    wrong = dataclasses.replace(relu, derivative_matrix=lambda z, h: mx.Elementwise(
        r"\mathbb{1}\left[{x} \ge 0\right]", lambda a: np.ones_like(a), z))  # forgets the mask
    monkeypatch.setitem(ops.ACTIVATIONS, "relu", wrong)
    with pytest.raises(VerificationError, match="the formula for dJ/d"):
        solve(load(MSE_TASK))


# ---------------------------------------------------------------- the row convention


def random_case(rng):
    values = {"x": rng.normal(size=(4, 3)), "W": rng.normal(size=(2, 4)), "z": rng.normal(size=(2, 3)),
              mx.BATCH_KEY: np.zeros((1, 3))}
    grads = {"z": rng.normal(size=(2, 3)), "x": rng.normal(size=(4, 3))}
    return values, grads


TREES = [
    mx.MatMul(mx.Grad("z"), mx.T(mx.Vec("x"))),  # dJ/dW = delta x^T
    mx.MatMul(mx.T(mx.Mat("W")), mx.Grad("z")),  # dJ/dx = W^T delta
    mx.MatMul(mx.Grad("z"), mx.Ones()),  # dJ/db = delta 1
    mx.Had(mx.MatMul(mx.T(mx.Mat("W")), mx.Grad("z")), mx.OneMinus(mx.Had(mx.Vec("x"), mx.Vec("x")))),
    mx.Scale(Fraction(2), Fraction(1), 1, mx.Sub(mx.Vec("z"), mx.Grad("z"))),
]


@pytest.mark.parametrize("tree", TREES, ids=["dW", "dx", "db", "tanh-delta", "loss"])
def test_the_row_form_is_the_transpose_of_the_column_form(tree):
    """Evaluated with every vector as a row, in_rows(tree) is tree's value transposed, and
    as_is(tree) its value itself: plain numpy arithmetic, no shared code path."""
    values, grads = random_case(np.random.default_rng(7))
    column = mx.evaluate(tree, values, grads)
    assert np.allclose(mx.evaluate(mx.in_rows(tree), values, grads, rows=True), column.T)
    assert np.allclose(mx.evaluate(mx.as_is(tree), values, grads, rows=True), column)


def test_the_weight_gradient_in_rows_is_delta_transposed_times_the_row():
    # independent of the printer: dJ/dW = delta^T h in rows, with delta and h rows
    tree = mx.as_is(mx.MatMul(mx.Grad("z"), mx.T(mx.Vec("x"))))
    assert tree == mx.MatMul(mx.T(mx.Grad("z")), mx.Vec("x"))


# ---------------------------------------------------------------- pages


def page_of(path: Path) -> str:
    return render_page(solve(load(path)), path.stem, "a handout")


def test_handout_003_reads_in_row_vectors_with_its_delta():
    text = page_of(SINGLE)
    # the handout's delta = f - y names the output delta; weights' gradients in rows
    assert r"\delta := \frac{\partial l(\theta)}{\partial z^{3}} &= h^{3} - y" in text
    assert r"\frac{\partial l(\theta)}{\partial W^{3}} &= {\delta}^{\top}\, h^{2}" in text
    # the index form the handout asks for in question 10, before the instance
    assert r"\frac{\partial l(\theta)}{\partial W^{2}_{i,j}} &= W^{3}_{1,i}\, \delta\, \left[z^{2}_{1,i} > 0\right]\, h^{1}_{1,j}" in text


def test_page_text_follows_the_op_entry(monkeypatch):
    """Renaming an op's derivative in its table entry changes every page line that prints it."""
    relu = ops.ACTIVATIONS["relu"]
    renamed = dataclasses.replace(relu, derivative_matrix=lambda z, h: mx.Elementwise(
        r"H\left({x}\right)", lambda a: (a > 0).astype(float), z))
    before = page_of(SINGLE)
    monkeypatch.setitem(ops.ACTIVATIONS, "relu", renamed)
    after = page_of(SINGLE)
    assert r"\left[z^{2} > 0\right]" in before and r"H\left(z^{2}\right)" not in before
    assert r"H\left(z^{2}\right)" in after and r"\left[z^{2} > 0\right]" not in after


def test_batch_formulas_carry_the_mean_and_the_batch_sum():
    text = page_of(MSE_TASK)
    assert r"\delta^{[L]} := \frac{\partial J}{\partial Z^{[L]}} &= \frac{2}{m} \left(\hat{Y} - Y\right)" in text
    assert r"\frac{\partial J}{\partial b^{[L-1]}} &= \delta^{[L-1]}\, \mathbf{1}" in text
    assert "multiplying by it sums over the batch" in text


# ---------------------------------------------------------------- worked entries that teach


def edit(tmp_path: Path, path: Path, fn) -> Path:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    fn(data)
    return write_problem(tmp_path / "problems", copy.deepcopy(data), path.name)


def question(data: dict, number: str) -> dict:
    return next(q for q in data["questions"] if q["number"] == number)


def test_an_index_question_worked_at_a_dead_unit_is_refused(tmp_path):
    # h^1_2 = 0 on this instance: W2[1,2] feeds nothing, every path has a factor 0
    path = edit(tmp_path, SINGLE, lambda d: question(d, "10").update(wrt="W2[1,2]"))
    with pytest.raises(VerificationError, match=r"question 10: worked at W2\[1,2\].*choose another entry"):
        solve(load_problem(path, tmp_path))


def test_an_index_question_worked_on_the_diagonal_is_refused(tmp_path):
    path = edit(tmp_path, SINGLE, lambda d: question(d, "16").update(wrt="W1[1,1]"))
    with pytest.raises(VerificationError, match=r"question 16: .*diagonal"):
        solve(load_problem(path, tmp_path))


def test_index_form_is_checked_at_every_index(monkeypatch):
    """Swapping the indices of a transpose in the entry-wise reading is caught."""
    from generator.solve import index_form

    real = index_form._Indexer.idx

    def swapped(self, e, r, c):
        if isinstance(e, mx.T):
            return real(self, e.x, r, c)  # (A^T)_ij read as A_ij
        return real(self, e, r, c)

    monkeypatch.setattr(index_form._Indexer, "idx", swapped)
    with pytest.raises((VerificationError, IndexError, KeyError, TypeError)):
        solve(load(SINGLE))


def test_a_free_index_must_match_the_worked_entry(tmp_path):
    from generator.problem.load import ProblemFileError

    path = edit(tmp_path, SINGLE, lambda d: question(d, "10").update(general="W1[i,j]"))
    with pytest.raises(ProblemFileError, match=r"general: expected the entry of 'wrt' \(W2\[2,1\]\)"):
        load_problem(path, tmp_path)


def test_a_derivative_over_many_paths_is_written_as_an_index_sum(tmp_path):
    """W1[1,2] of the batch problem reaches l along 2 samples x 2 units = 4 paths: the page writes
    the chain rule as sums with an index per layer, the instance, and the checked value."""
    batch = ROOT / "problems" / "003-batch.yml"

    def ask_w1(d):
        d["questions"].append({"number": "extra", "text": "dl/dW1[1,2].", "ask": "gradient", "wrt": "W1[1,2]"})
    path = edit(tmp_path, batch, ask_w1)
    solution = solve(load_problem(path, tmp_path))
    text = render_page(solution, path.stem, "a handout")
    answer = text[text.index("## Question extra"):]
    assert "along many paths" in answer
    assert r"\sum_{" in answer  # the sum over the samples and over the units between
    value = solution.grads["W1"][0, 1]
    assert f"{value:.3f}"[:5] in answer.replace(r"\left(", "").replace("−", "-")


def test_an_update_written_in_the_given_quantities_is_checked(monkeypatch):
    """001 2(f): W1_{t+1} = W1_t - eta W2_t^T (W2_t (W1_t x + b_t) - y) x^T is printed and checked;
    a written-out form that loses the transpose stops the build naming the question."""
    from generator.solve import formulas, solution

    path = ROOT / "problems" / "001-two-layer-identity.yml"
    text = page_of(path)
    assert (r"{W^{(1)}}_{t+1} &= {W^{(1)}}_{t} - \eta {{W^{(2)}}_{t}}^{\top}\, \left({W^{(2)}}_{t}\, "
            r"\left({W^{(1)}}_{t}\, \mathbf{x} + {b}_{t}\right) - \mathbf{y}\right)\, {\mathbf{x}}^{\top}") in text
    real = formulas.expanded

    def no_transpose(e, f, graph):
        out = real(e, f, graph)

        def strip(t):
            if isinstance(t, mx.T) and isinstance(t.x, mx.Mat):
                return t.x
            fields = {k: strip(v) for k, v in vars(t).items() if k in ("x", "a", "b")}
            return type(t)(**{**vars(t), **fields}) if fields else t
        return dataclasses.replace(out, rhs=strip(out.rhs))

    monkeypatch.setattr(solution, "expanded", no_transpose)
    with pytest.raises(VerificationError, match=r"question 2\(f\)"):
        solve(load(path))


def test_a_weight_without_its_bias_column_keeps_columns_1_onward():
    """Folded biases sit in column 0 (docs/notation.md: W_{l,i,0} is the bias), so a weight matrix
    without them is W_{:,1:}; pages wrote W_{:,2:}, which would also drop the first input's column."""
    docs = ROOT_DIR / "docs"
    assert "column 0 = bias" in (docs / "notation.md").read_text(encoding="utf-8")
    slices = {}
    for page in docs.rglob("*.md"):
        for start in re.findall(r"_\{:,\\,(\d+):\}", page.read_text(encoding="utf-8")):
            slices.setdefault(start, []).append(page.relative_to(docs).as_posix())
    assert set(slices) == {"1"}, {k: v[:3] for k, v in slices.items()}
