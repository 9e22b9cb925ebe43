"""The ops of issue 16 end to end: leaky ReLU, softmax, binary and categorical cross-entropy,
weight decay. Bad files are refused with the field named; a saturated output stops the build
with a message, not NaN; the softmax Jacobian reaches the chain-rule paths, the drawings and
the matrix formulas; the fused form and the decay term are checked (and the checks bite)."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from conftest import write_problem
from generator.errors import ProblemFileError, VerificationError
from generator.graph import mexpr as mx
from generator.graph import ops
from generator.problem.load import load_problem
from generator.render import dot
from generator.render.backward import BackwardWriter
from generator.solve.chain import Elem, count_paths, paths
from generator.solve.solution import solve

SOFTMAX = {
    "title": "t", "handout": "extra", "section": "1",
    "network": {"input": {"name": "x", "size": 2}, "target": "y", "bias": "separate", "loss": "cross_entropy",
                "layers": [{"size": 3, "activation": "softmax", "pre": "z", "post": "yhat", "weight": "W"}]},
    "values": {"x": [1, -2], "y": 2, "W": [[0.5, 0.25], [-0.5, 1], [1, 0]], "b1": [[0], [0.5], [-0.5]]},
    "learning_rate": 1,
    "questions": [{"number": "1", "text": "q", "ask": "gradient", "wrt": "W"},
                  {"number": "2", "text": "q", "ask": "chain", "wrt": "W[1,1]"}],
}
LOGISTIC = {
    "title": "t", "handout": "extra", "section": "1",
    "network": {"input": {"name": "x", "size": 2}, "target": "y", "bias": "separate",
                "loss": "binary_cross_entropy",
                "layers": [{"size": 1, "activation": "sigmoid", "pre": "z", "post": "yhat", "weight": "w"}]},
    "values": {"x": [[1, 2], [-1, 0.5]], "y": [1, 0], "w": [[0.5, -0.25]], "b1": [[0.1]]},
    "questions": [{"number": "1", "text": "q", "ask": "gradient", "wrt": "w"}],
}
LEAKY = {
    "title": "t", "handout": "extra", "section": "1",
    "network": {"input": {"name": "x", "size": 2}, "target": "y", "bias": "separate", "loss": "half_squared_error",
                "weight_decay": "1/10",
                "layers": [{"size": 2, "activation": "leaky_relu", "slope": 0.1, "pre": "z1", "post": "h1", "weight": "W1"},
                           {"size": 1, "activation": "identity", "pre": "z2", "post": "yhat", "weight": "W2"}]},
    "values": {"x": [1, 2], "y": 1, "W1": [[0.5, -0.5], [1, 0.5]], "b1": [[0.2], [-0.1]],
               "W2": [[1, -0.5]], "b2": [[0.5]]},
    "questions": [{"number": "1", "text": "q", "ask": "chain", "wrt": "W1[1,2]"}],
}


def load(tmp_path, data, change=None):
    data = copy.deepcopy(data)
    if change:
        change(data)
    return load_problem(write_problem(tmp_path, data), tmp_path)


def issues(tmp_path, data, change):
    with pytest.raises(ProblemFileError) as err:
        load(tmp_path, data, change)
    return [(i.field, i.message) for i in err.value.issues]


# ---------------------------------------------------------------- bad files, refused with the field


@pytest.mark.parametrize("data, change, field, words", [
    (LOGISTIC, lambda d: d["network"]["layers"][0].update(activation="relu"), "network.loss",
     "binary_cross_entropy needs a sigmoid output layer"),
    (SOFTMAX, lambda d: d["network"]["layers"][0].update(activation="sigmoid"), "network.loss",
     "cross_entropy needs a softmax output layer"),
    (LEAKY, lambda d: d["network"]["layers"][1].update(slope=0.2), "network.layers[1].slope",
     "only leaky_relu takes a slope"),
    (LEAKY, lambda d: d["network"]["layers"][0].update(slope=1), "network.layers[0].slope",
     "expected a number from 0 up to (not including) 1"),
    (LEAKY, lambda d: d["network"].update(bias="folded"), "network.weight_decay", "needs bias: separate or none"),
    (LEAKY, lambda d: d["network"].update(weight_decay=-1), "network.weight_decay", "expected a number >= 0"),
    (SOFTMAX, lambda d: d["values"].update(y=4), "values.y", "expected a class number from 1 to 3; got 4"),
    (SOFTMAX, lambda d: d["values"].update(y=[0, 1, 1]), "values.y", "sample 1 sums to 2"),
    (LOGISTIC, lambda d: d["values"].update(y=[1, 2]), "values.y", "expected targets from 0 to 1"),
])
def test_a_bad_file_is_refused_naming_the_field(tmp_path, data, change, field, words):
    found = issues(tmp_path, data, change)
    assert any(f == field and words in m for f, m in found), found


def test_class_numbers_and_one_hot_rows_are_the_same_targets(tmp_path):
    by_class = load(tmp_path / "a", SOFTMAX, lambda d: d["values"].update(x=[[1, -2], [0, 1]], y=[2, 3]))
    one_hot = load(tmp_path / "b", SOFTMAX, lambda d: d["values"].update(x=[[1, -2], [0, 1]],
                                                                          y=[[0, 1, 0], [0, 0, 1]]))
    assert by_class.values["y"] == one_hot.values["y"]


def test_a_saturated_output_stops_the_build_with_a_message_not_nan(tmp_path):
    problem = load(tmp_path, LOGISTIC, lambda d: d["values"].update(w=[[40, 0]]))  # sigma(40) == 1.0
    with np.errstate(all="raise"), pytest.raises(VerificationError) as err:
        solve(problem)
    text = str(err.value)
    assert problem.path in text and "network.loss" in text and "saturates" in text and "nan" not in text.lower()
    assert "is 1.0," in text and "np." not in text  # the number as a reader writes it


# ---------------------------------------------------------------- the softmax Jacobian everywhere


def test_softmax_couples_every_entry_of_a_sample_in_the_chain_rule_and_the_drawing(tmp_path):
    s = solve(load(tmp_path, SOFTMAX))
    start = Elem("W", (0, 0))
    assert count_paths(s.graph, s.values, start) == 3  # z_1 feeds every yhat_i
    found = paths(s.graph, s.values, s.exact, start)
    assert sorted(f.role for p in found for f in p if f.out.node == "yhat") == ["cross", "cross", "pre"]
    by_paths = sum(math.prod(f.value for f in p) for p in found)
    assert by_paths == pytest.approx(float(s.grads["W"][0, 0]), rel=1e-12)
    edges = [line for line in dot.element_graph(s.problem, s.graph, s.values, s.grads).splitlines()
             if line.strip().startswith("e_z_") and "-> e_yhat_" in line]
    assert len(edges) == 9  # every z entry to every yhat entry


def test_softmax_without_its_loss_uses_the_full_jacobian_in_the_formulas(tmp_path):
    problem = load(tmp_path, SOFTMAX, lambda d: d["network"].update(loss="half_squared_error")
                   or d["values"].update(y=[0, 1, 0]))
    s = solve(problem)  # every formula checked on the instance
    delta = s.formulas.for_node("z", "delta")
    assert isinstance(delta.rhs, mx.Had) and "ColumnSum" in repr(delta.rhs)
    writer = BackwardWriter(s.problem, s.graph, s.formulas, 1, "J")
    assert r"\operatorname{sum}_{j}" in writer.rhs(delta)


def test_the_fused_form_is_checked_and_the_check_bites(tmp_path, monkeypatch):
    problem = load(tmp_path, SOFTMAX, lambda d: d.update(questions=d["questions"][:1]))
    s = solve(problem)
    assert repr(s.formulas.for_node("z", "delta").rhs) == repr(
        ops.LOSSES["cross_entropy"].fused_matrix(mx.Vec("yhat"), mx.Vec("y")))
    wrong = lambda self, yhat, y: mx.Scale(2, 1, 1, mx.Sub(yhat, y))  # noqa: E731 - 2 (yhat - y)/m
    monkeypatch.setattr(ops.Loss, "fused_matrix", wrong)
    with pytest.raises(VerificationError, match="the formula for dJ/dz gives"):
        solve(problem)


# ---------------------------------------------------------------- weight decay and the slope


def test_weight_decay_adds_lambda_w_to_weights_and_nothing_to_biases(tmp_path):
    with_decay = solve(load(tmp_path / "a", LEAKY))
    without = solve(load(tmp_path / "b", LEAKY, lambda d: d["network"].pop("weight_decay")))
    for w in ("W1", "W2"):
        np.testing.assert_allclose(with_decay.grads[w] - without.grads[w], 0.1 * with_decay.values[w], rtol=1e-12)
    for b in ("b1", "b2"):
        np.testing.assert_array_equal(with_decay.grads[b], without.grads[b])
    chain = with_decay.answers[0][1]
    assert [f.role for f in chain.paths[-1]] == ["decay"]  # the path the penalty adds: J <- W directly


def test_leaky_relu_uses_its_slope_at_a_kink(tmp_path):
    # z1_1 = 0.5 * 1 - 0.5 * 2 + 0.5 = 0: exactly on the kink
    s = solve(load(tmp_path, LEAKY, lambda d: d["values"].update(b1=[[0.5], [-0.1]])))
    assert s.values["z1"][0, 0] == 0.0
    chain = s.answers[0][1]
    factor = [f for f in chain.paths[0] if f.out.node == "h1"][0]
    assert factor.value == 0.1  # LReLU'(0) := slope, the stated convention
    assert any(c.kink and c.passed for c in s.all_checks)


def test_softmax_in_the_row_convention_is_applied_per_sample(tmp_path):
    """The forward formula h = softmax(z) is checked in rows too: each sample's own row."""
    data = copy.deepcopy(SOFTMAX)
    data["vectors"] = "row"
    data["values"].update(x=[[1, -2], [0, 1], [2, 0.5]], y=[2, 1, 3])
    s = solve(load(tmp_path, data))
    forward = [e for e in s.formulas.forward if e.node == "yhat"][0]
    assert isinstance(forward.rhs, mx.Elementwise) and forward.rhs.per_sample
    rows = mx.evaluate(mx.in_rows(forward.rhs), {**s.values, mx.BATCH_KEY: s.values["x"]}, s.grads, rows=True)
    np.testing.assert_allclose(rows.sum(axis=1), 1.0)  # each sample's probabilities sum to 1
