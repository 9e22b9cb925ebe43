"""Every network problem file (problems/*.yml) against the independent oracle (tests/oracle.py):
forward values, every parameter's gradient, and each question's numbers (values, local
derivatives, gradients of entries and of whole nodes, updates), the oracle computing its own
forward pass and central differences from the YAML alone."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

import oracle
from conftest import ROOT_DIR
from generator.problem.load import HANDOUTS_FILE, load_problem
from generator.solve.solution import Chain, Local, MatrixGradient, MatrixStep, Step, Update, Value, solve

RTOL, ATOL = 1e-6, 1e-8
FWD_RTOL = 1e-9


def _network_files():
    files = []
    for path in sorted((ROOT_DIR / "problems").glob("*.yml")):
        if path.name == HANDOUTS_FILE:
            continue
        if yaml.safe_load(path.read_text(encoding="utf-8")).get("kind", "network") == "network":
            files.append(path)
    return files


NETWORK_FILES = _network_files()


class Case:
    def __init__(self, path):
        self.path = path
        self.data = oracle.load(path)
        self.net = oracle.Net(self.data)
        self.values = self.net.forward()
        self.solution = solve(load_problem(path, ROOT_DIR))

    def answers(self, *asks):
        assert len(self.solution.answers) == len(self.data["questions"])
        for raw, (_, answer) in zip(self.data["questions"], self.solution.answers):
            if raw["ask"] in asks:
                yield raw, answer

    def derivative(self, of: tuple | None, name: str, index: tuple) -> list[float]:
        """d(of entry, or J)/d(name[index]) by central differences; at a kink also the two
        one-sided differences (the page follows a stated convention there)."""
        def at(delta: float) -> float:
            if self.net.is_leaf(name):
                leaves = self.net.leaves()
                leaves[name][index] += delta
                vals = self.net.forward(leaves)
            else:
                moved = self.values[name].copy()
                moved[index] += delta
                vals = self.net.forward(override={name: moved})
            return float(vals[self.net.loss_name][0, 0] if of is None else vals[of[0]][of[1]])
        h = oracle.H * max(1.0, abs(float(self.values[name][index])))
        f0, fp, fm = at(0.0), at(h), at(-h)
        return [(fp - fm) / (2 * h), (f0 - fm) / h, (fp - f0) / h]


def agrees(actual: float, candidates: list[float]) -> bool:
    central, left, right = candidates
    if math.isclose(actual, central, rel_tol=RTOL, abs_tol=ATOL):
        return True
    kink = not math.isclose(left, right, rel_tol=1e-4, abs_tol=1e-6)
    return kink and any(math.isclose(actual, side, rel_tol=1e-4, abs_tol=1e-6) for side in (left, right))


@pytest.fixture(scope="module", params=NETWORK_FILES, ids=[p.stem for p in NETWORK_FILES])
def case(request) -> Case:
    return Case(request.param)


def test_every_network_problem_is_covered():
    assert len(NETWORK_FILES) >= 16  # thirteen from the handouts, three beyond them
    used = {"activation": set(), "loss": set(), "decay": False}
    for path in NETWORK_FILES:
        net = yaml.safe_load(path.read_text(encoding="utf-8"))["network"]
        used["activation"] |= {layer["activation"] for layer in net["layers"]}
        used["loss"].add(net["loss"])
        used["decay"] |= "weight_decay" in net
    assert {"leaky_relu", "softmax", "relu", "sigmoid", "tanh", "identity"} <= used["activation"]
    assert {"binary_cross_entropy", "cross_entropy"} <= used["loss"]
    assert used["decay"]


def test_forward_values_match_the_oracle(case):
    for name, expected in case.values.items():
        np.testing.assert_allclose(case.solution.values[name], expected, rtol=FWD_RTOL, atol=1e-12,
                                   err_msg=f"{case.path.name}: {name}")


def test_every_parameter_gradient_matches_the_oracle(case):
    for name, value in case.net.params.items():
        for index in np.ndindex(value.shape):
            actual = float(case.solution.grads[name][index])
            expected = case.derivative(None, name, index)
            assert agrees(actual, expected), f"{case.path.name}: dJ/d{name}{index}: {actual} vs {expected}"


def test_value_answers_match_the_oracle(case):
    for raw, answer in case.answers("value"):
        assert isinstance(answer, Value)
        name, index = case.net.ref(raw["of"])
        got = case.solution.values[name] if answer.elem is None else case.solution.values[name][index]
        want = case.values[name] if answer.elem is None else case.values[name][index]
        np.testing.assert_allclose(got, want, rtol=FWD_RTOL, atol=1e-12, err_msg=f"{case.path.name} {raw['number']}")


def test_local_answers_match_the_oracle(case):
    for raw, answer in case.answers("local"):
        assert isinstance(answer, Local)
        out, out_index = case.net.ref(raw["of"])
        inp, inp_index = case.net.ref(raw["wrt"])
        expected = case.net.local_fd(out, out_index, inp, inp_index)
        assert math.isclose(answer.factor.value, expected, rel_tol=RTOL, abs_tol=ATOL), \
            f"{case.path.name} {raw['number']}: {answer.factor.value} vs {expected}"


def test_gradient_answers_match_the_oracle(case):
    for raw, answer in case.answers("gradient", "chain"):
        of = case.net.ref(raw["of"]) if raw.get("of") and raw["of"] != case.net.loss_name else None
        wrt = raw["wrt"][0] if isinstance(raw["wrt"], list) else raw["wrt"]
        name, index = case.net.ref(wrt)
        if isinstance(answer, MatrixGradient):
            for entry in np.ndindex(answer.value.shape):
                expected = case.derivative(of, name, entry)
                assert agrees(float(answer.value[entry]), expected), f"{case.path.name} {raw['number']} {entry}"
        else:
            assert isinstance(answer, Chain)
            expected = case.derivative(of, name, index)
            assert agrees(answer.value, expected), f"{case.path.name} {raw['number']}: {answer.value} vs {expected}"


def test_update_answers_match_the_oracle(case):
    rate = oracle.number(case.data.get("learning_rate", 0))
    for raw, answer in case.answers("update"):
        assert isinstance(answer, Update)
        for step in answer.steps:
            name = step.gradient.wrt if isinstance(step, MatrixStep) else step.param.node
            old = case.net.params[name]
            entries = np.ndindex(old.shape) if isinstance(step, MatrixStep) else [step.param.index]
            for entry in entries:
                grad = case.derivative(None, name, entry)[0]
                new = float(step.new[entry]) if isinstance(step, MatrixStep) else step.new
                assert math.isclose(new, float(old[entry]) - rate * grad, rel_tol=RTOL, abs_tol=1e-7), \
                    f"{case.path.name} {raw['number']} {name}{entry}"
