"""generator/graph/network.py + model.py: the computation graph of a problem."""

from __future__ import annotations


import pytest
import yaml

import oracle
from conftest import TESTS, write_problem
from generator.graph.model import Graph, Node
from generator.graph.network import build_graph
from generator.problem.load import load_problem

MINIMAL = TESTS / "data" / "minimal.yml"


def graph_for(tmp_path, bias: str):
    data = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    if bias != "folded":
        data["network"]["bias"] = bias
        for l, layer in enumerate(data["network"]["layers"], start=1):
            w = data["values"][layer["weight"]]
            data["values"][layer["weight"]] = [row[1:] for row in w]
            if bias == "separate":
                data["values"][f"b{l}"] = [[row[0]] for row in w]
    path = write_problem(tmp_path, data)
    return oracle.Net(oracle.load(path)), build_graph(load_problem(path, tmp_path))


@pytest.mark.parametrize("bias", ["folded", "separate", "none"])
def test_graph_is_topological_and_ends_with_the_loss(tmp_path, bias):
    net, graph = graph_for(tmp_path, bias)
    seen = set()
    for node in graph.nodes:
        assert set(node.inputs) <= seen, node.name
        seen.add(node.name)
    assert graph.objective.name == net.loss_name and graph.objective.kind == "loss"
    assert graph.objective.op == net.loss


@pytest.mark.parametrize("bias", ["folded", "separate", "none"])
def test_node_shapes_match_the_oracle_arrays(tmp_path, bias):
    net, graph = graph_for(tmp_path, bias)
    values = net.forward()
    assert {n.name for n in graph.nodes} == set(values)
    for node in graph.nodes:
        assert node.shape == values[node.name].shape, node.name


@pytest.mark.parametrize("bias", ["folded", "separate", "none"])
def test_params_are_the_weights_and_biases(tmp_path, bias):
    net, graph = graph_for(tmp_path, bias)
    assert [p.name for p in graph.params()] == list(net.params)


def test_layers_wire_linear_then_activation(tmp_path):
    net, graph = graph_for(tmp_path, "folded")
    prev = net.input
    for l, layer in enumerate(net.layers, start=1):
        pre, post = graph.node(layer["pre"]), graph.node(layer["post"])
        assert (pre.kind, pre.inputs, pre.op, pre.layer) == ("linear", (prev, layer["weight"]), "folded", l)
        assert (post.kind, post.inputs, post.op) == ("activation", (layer["pre"],), layer["activation"])
        prev = layer["post"]
    assert graph.objective.inputs == (prev, net.target)
    assert graph.consumers(net.layers[0]["post"]) == (graph.node(net.layers[1]["pre"]),)


def test_graph_rejects_use_before_definition_and_duplicates():
    x = Node("x", "input", (), (1, 1), "x")
    a = Node("a", "linear", ("x", "W"), (1, 1), "a", op="none")
    with pytest.raises(ValueError):
        Graph((a, x))
    with pytest.raises(ValueError):
        Graph((x, x))
