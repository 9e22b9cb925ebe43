"""generator/solve/chain.py: local derivative factors and the paths from a parameter to J."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

import oracle
from conftest import PROBLEM_FILE, ROOT_DIR, TESTS, write_problem
from generator.errors import ProblemFileError, VerificationError
from generator.graph.network import build_graph
from generator.problem.load import load_problem
from generator.solve.chain import Elem, count_paths, local_factor, paths, successors
from generator.solve.numeric import forward
from generator.solve.solution import leaf_values, solve
from generator.solve.symbolic import forward_exact

MINIMAL = TESTS / "data" / "minimal.yml"


def _batch(d):
    d["values"]["x"] = [[2, 5], [1, -1]]
    d["values"]["y"] = [1, 0]


def _separate(d):
    d["network"]["bias"] = "separate"
    for l, layer in enumerate(d["network"]["layers"], start=1):
        w = d["values"][layer["weight"]]
        d["values"][layer["weight"]] = [row[1:] for row in w]
        d["values"][f"b{l}"] = [[row[0]] for row in w]


@pytest.fixture(scope="module", params=["original", "batch", "separate"])
def setup(request, tmp_path_factory):
    if request.param == "original":
        path, root = PROBLEM_FILE, ROOT_DIR
    else:
        data = yaml.safe_load(PROBLEM_FILE.read_text(encoding="utf-8"))
        {"batch": _batch, "separate": _separate}[request.param](data)
        root = tmp_path_factory.mktemp(request.param)
        path = write_problem(root, data)
    problem = load_problem(path, root)
    graph = build_graph(problem)
    values = forward(graph, leaf_values(problem))
    exact = forward_exact(graph, problem.values)
    return oracle.Net(oracle.load(path)), graph, values, exact


def entries(values, name):
    return [Elem(name, idx) for idx in np.ndindex(values[name].shape)]


def direct_pairs(graph, values):
    """Every (output entry, input entry) of every op, except the target (data, not differentiated)."""
    for node in graph.nodes:
        if node.is_leaf:
            continue
        for inp in node.inputs:
            if graph.node(inp).kind == "target":
                continue
            for out in entries(values, node.name):
                for e in entries(values, inp):
                    yield out, e


def _random_smooth(d, seed):
    """Same structure, tanh everywhere and random non-zero values: every structural
    dependence then shows as a non-zero derivative."""
    rng = np.random.default_rng(seed)
    for layer in d["network"]["layers"]:
        layer["activation"] = "tanh"
    for key, value in d["values"].items():
        d["values"][key] = (np.round(rng.uniform(0.2, 1.5, size=np.shape(value)), 3)
                            * rng.choice([-1, 1], size=np.shape(value))).tolist()


@pytest.fixture(scope="module", params=["original", "batch", "separate"])
def smooth_setup(request, tmp_path_factory):
    data = yaml.safe_load(PROBLEM_FILE.read_text(encoding="utf-8"))
    if request.param != "original":
        {"batch": _batch, "separate": _separate}[request.param](data)
    _random_smooth(data, seed=42)
    root = tmp_path_factory.mktemp("smooth-" + request.param)
    path = write_problem(root, data)
    problem = load_problem(path, root)
    graph = build_graph(problem)
    return oracle.Net(oracle.load(path)), graph, forward(graph, leaf_values(problem))


def test_successors_list_exactly_the_entries_that_depend_on_an_entry(smooth_setup):
    net, graph, values = smooth_setup
    checked = 0
    for out, inp in direct_pairs(graph, values):
        depends = abs(net.local_fd(out.node, out.index, inp.node, inp.index)) > 1e-7
        assert (out in successors(graph, values, inp)) == depends, (out, inp)
        checked += 1
    assert checked > 20


def test_local_factor_matches_oracle_for_every_connected_pair(setup):
    net, graph, values, exact = setup
    count = 0
    for inp_node in graph.nodes:
        for inp in entries(values, inp_node.name):
            for out in successors(graph, values, inp):
                f = local_factor(graph, values, exact, out, inp)
                expected = net.local_fd(out.node, out.index, inp.node, inp.index)
                assert math.isclose(f.value, expected, rel_tol=1e-6, abs_tol=1e-9), (out, inp, f.value, expected)
                assert math.isclose(float(f.exact), expected, rel_tol=1e-6, abs_tol=1e-9), (out, inp, f.exact)
                count += 1
    assert count > 10


def test_paths_count_and_products_sum_to_the_gradient(setup):
    net, graph, values, exact = setup
    for p in graph.params():
        for start in entries(values, p.name):
            found = paths(graph, values, exact, start)
            assert len(found) == count_paths(graph, values, start)
            total = sum(math.prod(f.value for f in path) for path in found)
            assert math.isclose(total, net.grad_fd(start.node, start.index), rel_tol=1e-6, abs_tol=1e-9), start


def test_folded_bias_column_has_factor_one():
    problem = load_problem(MINIMAL, TESTS)
    assert problem.network.bias == "folded"
    graph = build_graph(problem)
    values = forward(graph, leaf_values(problem))
    layer = problem.network.layers[0]
    for row in range(layer.size):
        f = local_factor(graph, values, None, Elem(layer.pre, (row, 0)), Elem(layer.weight, (row, 0)))
        assert f.value == 1.0 and f.operands == {}


# ---------------------------------------------------------------- a local derivative between unrelated entries


def _local_question(tmp_path, of: str, wrt: str, mutate=None):
    data = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    if mutate:
        mutate(data)
    data["questions"] = [{"number": "1", "text": f"d{of}/d{wrt}", "ask": "local", "of": of, "wrt": wrt}]
    return write_problem(tmp_path, data)


def test_local_derivative_wrt_weight_of_another_unit_is_rejected(tmp_path):
    """d a[1] / d W1[2,1] is 0 because a[1] does not use W1[2,1]: refused, saying so."""
    path = _local_question(tmp_path, "a[1]", "W1[2,1]")
    with pytest.raises(ProblemFileError) as err:
        load_problem(path, tmp_path)
    assert "a[1] does not use it" in str(err.value) and "questions[0].wrt" in str(err.value)
    net = oracle.Net(oracle.load(MINIMAL))
    assert net.local_fd("a", (0, 0), "W1", (1, 1)) == 0.0  # (and the oracle agrees it is 0)


def _sigmoid_hidden(d):
    d["network"]["layers"][0]["activation"] = "sigmoid"


def test_local_derivative_across_activation_entries_is_rejected(tmp_path):
    """d z[1] / d a[2] is 0 (an activation acts entry by entry): refused, saying so."""
    path = _local_question(tmp_path, "z[1]", "a[2]", _sigmoid_hidden)
    with pytest.raises(ProblemFileError) as err:
        load_problem(path, tmp_path)
    assert "z[1] does not use it" in str(err.value) and "questions[0].wrt" in str(err.value)
