"""generator/solve/finite_diff.py: the check every printed derivative must pass, and kinks."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import generator.graph.ops as ops
import oracle
from generator.errors import VerificationError
from generator.graph.network import build_graph
from generator.problem.load import load_problem
from generator.render.page import render_page
from generator.solve import finite_diff as fd
from generator.solve.solution import Local, leaf_values, solve


def smooth(x: float) -> tuple[float, bytes]:
    return math.sin(x) * math.exp(x / 3), b""


def smooth_derivative(x: float) -> float:
    return math.exp(x / 3) * (math.cos(x) + math.sin(x) / 3)


def relu_probe(x: float) -> tuple[float, bytes]:
    return max(x, 0.0), bytes([int(np.sign(x)) % 3])


# ---------------------------------------------------------------- the check itself


@pytest.mark.parametrize("x0", [-2.0, 0.0, 0.7, 30.0])
def test_check_passes_for_the_correct_derivative(x0):
    c = fd.check("f", smooth_derivative(x0), smooth, x0)
    assert c.passed and not c.kink
    assert c.numeric == pytest.approx(smooth_derivative(x0), rel=1e-6)


@pytest.mark.parametrize("x0", [-2.0, 0.7, 30.0])
def test_check_fails_for_a_derivative_off_by_one_percent(x0):
    c = fd.check("f", smooth_derivative(x0) * 1.01, smooth, x0)
    assert not c.passed
    assert c.rel_error == pytest.approx(0.01 / 1.01, rel=1e-3)


def test_check_fails_for_a_non_finite_derivative():
    assert not fd.check("f", float("nan"), smooth, 0.5).passed
    assert not fd.check("f", float("inf"), smooth, 0.5).passed


def test_check_step_scales_with_the_point():
    seen = []

    def probe(x):
        seen.append(x)
        return smooth(x)

    fd.check("f", smooth_derivative(1000.0), probe, 1000.0)
    assert 1000.0 + 1e-6 * 1000.0 in seen and 1000.0 - 1e-6 * 1000.0 in seen


def test_kink_is_reported_with_one_sided_differences():
    c = fd.check("relu", 0.0, relu_probe, 0.0)
    assert c.kink
    assert c.left == pytest.approx(0.0, abs=1e-12)
    assert c.right == pytest.approx(1.0, rel=1e-9)
    assert c.passed  # relu'(0) := 0 equals the left difference


def test_kink_check_fails_for_a_value_matching_neither_side():
    assert not fd.check("relu", 0.5, relu_probe, 0.0).passed


def test_no_kink_when_both_sides_agree():
    c = fd.check("relu", 1.0, relu_probe, 2.0)
    assert not c.kink and c.passed


# ---------------------------------------------------------------- a problem whose hidden unit sits on the kink


def _on_kink(d):
    """Make the second hidden pre-activation exactly 0 (via its folded bias), and ask about it."""
    x = [oracle.number(v) for v in d["values"]["x"]]
    row = d["values"]["W1"][1]
    row[0] = -sum(oracle.number(w) * xi for w, xi in zip(row[1:], x))
    d["questions"] += [
        {"number": "9.1", "text": "dz2/da2 at the kink", "ask": "local", "of": "z[2]", "wrt": "a[2]"},
        {"number": "9.2", "text": "dJ/dW1[2,1] at the kink", "ask": "gradient", "wrt": "W1[2,1]"},
    ]


@pytest.fixture(scope="module")
def kink_case(tmp_path_factory):
    import copy

    import yaml

    from conftest import PROBLEM_FILE, write_problem
    data = yaml.safe_load(PROBLEM_FILE.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    _on_kink(data)
    folder = tmp_path_factory.mktemp("kink")
    path = write_problem(folder, data)
    net = oracle.Net(oracle.load(path))
    problem = load_problem(path, folder)
    return net, problem, solve(problem)


def test_kink_problem_really_has_a_zero_pre_activation(kink_case):
    net, _, solution = kink_case
    assert net.forward()["a"][1, 0] == 0.0
    assert solution.values["a"][1, 0] == 0.0


def test_solve_succeeds_on_the_kink_and_records_the_local_kink_check(kink_case):
    net, problem, solution = kink_case
    answers = {q.number: a for q, a in solution.answers}
    local = answers["9.1"]
    assert isinstance(local, Local)
    assert local.check.kink
    h = 1e-6
    left = float((oracle.relu(np.array(0.0)) - oracle.relu(np.array(-h))) / h)
    right = float((oracle.relu(np.array(h)) - oracle.relu(np.array(0.0))) / h)
    assert local.check.left == pytest.approx(left, abs=1e-9)
    assert local.check.right == pytest.approx(right, rel=1e-6)
    assert local.factor.value == 0.0  # ReLU'(0) := 0
    assert local.check in solution.checks


def test_gradient_checks_on_the_kink_use_the_oracle_one_sided_differences(kink_case):
    net, problem, solution = kink_case
    kinks = [c for c in solution.all_checks if c.kink]
    assert kinks, "weights into the unit at the kink must be reported as kinks"
    hidden = net.layers[0]["weight"]
    for j in range(net.params[hidden].shape[1]):
        if j > 0 and net.x[j - 1, 0] == 0:
            continue
        left, right = net.one_sided(hidden, (1, j))
        assert not math.isclose(left, right, abs_tol=1e-6)
        # named as the file writes it: row 2, column j (column 0 is the folded bias)
        matching = [c for c in solution.gradient_checks if c.what == f"dJ/d{hidden}[2,{j}]"]
        assert len(matching) == 1
        c = matching[0]
        assert c.kink and c.passed
        assert c.left == pytest.approx(left, rel=1e-5, abs=1e-9)
        assert c.right == pytest.approx(right, rel=1e-5, abs=1e-9)
        assert c.analytic == pytest.approx(left, abs=1e-9)  # the convention picks the left side


def test_gradient_away_from_the_kink_is_not_marked(kink_case):
    net, _, solution = kink_case
    hidden = net.layers[0]["weight"]
    first_row = [c for c in solution.gradient_checks if c.what.startswith(f"dJ/d{hidden}[1,")]
    assert first_row and not any(c.kink for c in first_row)


def test_page_explains_the_kink(kink_case):
    _, problem, solution = kink_case
    page = render_page(solution, problem.slug, "Handout")
    convention = ops.ACTIVATIONS["relu"].convention  # the wording comes from the op table
    kink_lines = [line for line in page.splitlines() if "a kink, where the function is not differentiable" in line]
    assert kink_lines and all(convention in line for line in kink_lines)
    assert "**Kinks.**" in page and convention in page.split("**Kinks.**")[1].splitlines()[0]


# ---------------------------------------------------------------- a wrong backward pass stops the build


def test_wrong_activation_derivative_raises_verification_error(monkeypatch, problem_file, ROOT):
    problem = load_problem(problem_file, ROOT)
    solve(problem)  # fine with the real op table
    sigmoid = ops.ACTIVATIONS["sigmoid"]
    wrong = dataclasses.replace(sigmoid, derivative=lambda a, z: 1.01 * z * (1.0 - z))
    monkeypatch.setitem(ops.ACTIVATIONS, "sigmoid", wrong)
    with pytest.raises(VerificationError) as err:
        solve(problem)
    assert problem.path in str(err.value)
    assert "finite-difference" in str(err.value)


def test_a_failed_check_is_one_line_per_derivative_named_as_the_file_writes_it(monkeypatch, problem_file, ROOT):
    problem = load_problem(problem_file, ROOT)
    sigmoid = ops.ACTIVATIONS["sigmoid"]
    wrong = dataclasses.replace(sigmoid, derivative=lambda a, z: 1.01 * z * (1.0 - z))
    monkeypatch.setitem(ops.ACTIVATIONS, "sigmoid", wrong)
    with pytest.raises(VerificationError) as err:
        solve(problem)
    lines = str(err.value).splitlines()[1:]
    assert len(lines) == len(set(lines)), "a derivative checked twice is reported once"
    assert f"{len(lines)} derivative(s) disagree" in str(err.value)
    named = {line.split(":")[0].strip() for line in lines}
    # 002 folds the bias into column 0: W2 is 1x3, written W2[1,0] .. W2[1,2]; W1[1,0] .. W1[2,2]
    assert {"dJ/dW2[1,0]", "dJ/dW2[1,1]", "dJ/dW1[1,1]"} <= named
    assert not any("[0," in n or "[0]" in n for n in named), named


def test_wrong_loss_gradient_raises_verification_error(monkeypatch, problem_file, ROOT):
    problem = load_problem(problem_file, ROOT)
    name = problem.network.loss
    real = ops.LOSSES[name]

    class Wrong(ops.Loss):
        def gradient(self, yhat, y):
            return 1.05 * super().gradient(yhat, y)

    fields = {f.name: getattr(real, f.name) for f in dataclasses.fields(real)}
    monkeypatch.setitem(ops.LOSSES, name, Wrong(**fields))
    with pytest.raises(VerificationError):
        solve(problem)


def test_direction_check_accepts_oracle_gradient_and_rejects_a_scaled_one(problem_file, ROOT):
    problem = load_problem(problem_file, ROOT)
    graph = build_graph(problem)
    leaves = leaf_values(problem)
    net = oracle.Net(oracle.load(problem_file))
    grads = {name: np.array([[net.grad_fd(name, idx) for idx in np.ndindex(v.shape)]]).reshape(v.shape)
             for name, v in net.params.items()}
    good = fd.check_directions(graph, leaves, grads)
    assert len(good) == fd.DIRECTIONS and all(c.passed for c in good)
    bad = fd.check_directions(graph, leaves, {k: 1.01 * v for k, v in grads.items()})
    assert not any(c.passed for c in bad)


def test_a_kink_near_but_not_at_the_point_shrinks_the_step_instead_of_failing():
    # f(x) = relu(x - 3e-7): the kink is within h = 1e-6 of x0 = 0 but not at it
    def probe(x):
        a = x - 3e-7
        return max(a, 0.0), bytes([int(np.sign(a)) % 3])

    c = fd.check("f", 0.0, probe, 0.0)
    assert not c.kink and c.passed and c.numeric == 0.0


def test_a_kink_exactly_at_the_point_is_reported():
    def probe(x):
        return max(x, 0.0), bytes([int(np.sign(x)) % 3])

    c = fd.check("f", 0.0, probe, 0.0)
    assert c.kink and c.left == 0.0 and c.right == pytest.approx(1.0)
    assert c.passed and not fd.check("f", 0.5, probe, 0.0).passed


# a unit on the kink whose parameter also moves J along a curved path through another unit:
# the first-order one-sided difference was off by 4e-6 relative here and stopped the build
CURVED_SIDE = """\
title: Kink on a curved side
handout: "002"
network:
  input: {name: x, size: 2}
  layers:
    - {size: 2, activation: relu}
    - {size: 2, activation: relu}
    - {size: 1, activation: sigmoid}
  loss: squared_error
values:
  x: [2, -2]
  y: 1
  W1: [[2, 1], [4, 2]]
  b1: [-1, 1]
  W2: [[-4, 0], [-2, 1]]
  b2: [4, 4]
  W3: [[-3, -1]]
  b3: [0]
questions:
  - {number: "1", ask: gradient, wrt: "W1[1,1]"}
"""


def test_a_kink_with_a_curved_side_passes_with_second_order_one_sided_differences(tmp_path):
    path = tmp_path / "curved.yml"
    path.write_text(CURVED_SIDE, encoding="utf-8")
    problem = load_problem(path, tmp_path)
    solution = solve(problem)  # raised "derivative(s) disagree" with first-order differences
    assert solution.values["a2"][0, 0] == 0.0  # the first unit of layer 2 is on its kink
    c = next(c for c in solution.gradient_checks if c.what == "dJ/dW1[1,1]")
    assert c.kink and c.passed
    net = oracle.Net(oracle.load(path))
    left, right = net.one_sided("W1", (0, 0))  # the oracle's first-order differences
    side = min((c.left, c.right), key=lambda v: abs(v - c.analytic))
    first_order = min((left, right), key=lambda v: abs(v - c.analytic))
    assert abs(side - c.analytic) < 1e-9 * max(1.0, abs(c.analytic))  # second order: O(h^2)
    assert abs(first_order - c.analytic) > 1e-6 * abs(c.analytic)  # first order missed RTOL


def test_second_order_one_sided_differences_are_exact_for_a_parabola():
    def probe(x):  # a kink at 0 with a curved right side: x^2 + x for x > 0, 0 below
        return (x * x + x if x > 0 else 0.0), bytes([int(np.sign(x)) % 3])

    c = fd.check("f", 0.0, probe, 0.0)
    assert c.kink and c.left == 0.0
    assert c.right == pytest.approx(1.0, abs=1e-9)  # (f(h) - f(0)) / h would be 1 + h
