"""The reference implementation itself, checked on cases small enough to work out by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import oracle


def tiny(loss: str, activation: str = "identity", bias: str = "folded", **values) -> oracle.Net:
    """One linear unit: yhat = act(w0 + w1 x) (folded), fed x = 3, target 2."""
    data = {
        "network": {"input": {"name": "x", "size": 1}, "target": "y", "bias": bias, "loss": loss,
                    "layers": [{"size": 1, "activation": activation, "pre": "a", "post": "yhat",
                                "weight": "W"}]},
        "values": {"x": [3], "y": 2, "W": [[1, 0.5]], **values},
    }
    return oracle.Net(data)


def test_hand_computed_squared_error_and_gradient():
    net = tiny("squared_error")  # yhat = 1 + 0.5 * 3 = 2.5, J = (2 - 2.5)^2
    assert net.objective() == pytest.approx(0.25)
    # dJ/dw1 = -2 (y - yhat) x = 3, dJ/dw0 = -2 (y - yhat) = 1
    assert net.grad_fd("W", (0, 1)) == pytest.approx(3.0, rel=1e-8)
    assert net.grad_fd("W", (0, 0)) == pytest.approx(1.0, rel=1e-8)


def test_hand_computed_half_squared_error():
    net = tiny("half_squared_error")
    assert net.objective() == pytest.approx(0.125)
    assert net.grad_fd("W", (0, 1)) == pytest.approx(1.5, rel=1e-8)


def test_mean_squared_error_averages_over_outputs_and_samples():
    y, yhat = np.array([[1.0, 2.0], [3.0, 5.0]]), np.zeros((2, 2))
    assert oracle.mean_squared_error(yhat, y) == pytest.approx((1 + 4 + 9 + 25) / 4)
    assert oracle.squared_error(yhat, y) == pytest.approx((1 + 9 + 4 + 25) / 2)
    assert oracle.half_squared_error(yhat, y) == pytest.approx((1 + 9 + 4 + 25) / 4)


def test_separate_and_none_bias_conventions():
    sep = oracle.Net({**tiny("squared_error").data,
                      "network": {**tiny("squared_error").data["network"], "bias": "separate"},
                      "values": {"x": [3], "y": 2, "W": [[0.5]], "b1": [[1]]}})
    assert sep.forward()["a"][0, 0] == pytest.approx(2.5)
    none = oracle.Net({**tiny("squared_error").data,
                       "network": {**tiny("squared_error").data["network"], "bias": "none"},
                       "values": {"x": [3], "y": 2, "W": [[0.5]]}})
    assert none.forward()["a"][0, 0] == pytest.approx(1.5)


def test_activations_known_values_and_no_overflow():
    a = np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s, t, r = oracle.sigmoid(a), oracle.tanh(a), oracle.relu(a)
    np.testing.assert_allclose(s, 1 / (1 + np.exp(-np.clip(a, -700, 700))), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(t[1:4], [np.tanh(-1.0), 0.0, np.tanh(1.0)], rtol=1e-12, atol=1e-15)
    assert t[0] == -1.0 and t[-1] == 1.0
    assert r.tolist() == [0.0, 0.0, 0.0, 1.0, 1000.0]


def test_refs_follow_the_bias_convention():
    assert tiny("squared_error").ref("W[1,0]") == ("W", (0, 0))
    assert tiny("squared_error").ref("a[1]") == ("a", (0, 0))
    none = oracle.Net({**tiny("squared_error").data,
                       "network": {**tiny("squared_error").data["network"], "bias": "none"},
                       "values": {"x": [3], "y": 2, "W": [[0.5]]}})
    assert none.ref("W[1,1]") == ("W", (0, 0))


def test_round_sig():
    assert oracle.round_sig(0.0066928509, 4) == 0.006693
    assert oracle.round_sig(-1.98661, 4) == -1.987
