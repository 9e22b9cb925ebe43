"""generator/graph/ops.py: each op's forward rule and derivative rule, checked on their own."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

import oracle
from generator.graph import mexpr
from generator.graph.ops import ACTIVATIONS, BIAS_CONVENTIONS, LOSSES, Linear

POINTS = np.array([-4.0, -2.5, -1.5, -0.7, -0.1, 0.1, 0.3, 1.5, 2.5, 4.0])
EXTREME = np.array([-1e4, -800.0, -710.0, -50.0, 50.0, 710.0, 800.0, 1e4])
H = 1e-6


def central(f, a: np.ndarray, h: float = H) -> np.ndarray:
    return (f(a + h) - f(a - h)) / (2 * h)


def away_from_kinks(act, points: np.ndarray) -> np.ndarray:
    return np.array([p for p in points if all(abs(p - k) > 1e-3 for k in act.kinks)])


@pytest.fixture(params=sorted(ACTIVATIONS))
def act(request):
    return ACTIVATIONS[request.param]


# ---------------------------------------------------------------- activations


def test_activation_table_covers_the_documented_ops():
    assert {"relu", "sigmoid", "tanh", "identity"} <= set(ACTIVATIONS)
    assert all(name == a.name for name, a in ACTIVATIONS.items())


def test_activation_forward_matches_reference(act):
    np.testing.assert_allclose(act.forward(POINTS), oracle.ACTIVATIONS[act.name](POINTS), rtol=1e-12, atol=1e-15)


def test_activation_derivative_matches_central_difference(act):
    a = away_from_kinks(act, POINTS)
    if not act.elementwise:  # the Jacobian's diagonal: d z_i / d a_i, one entry moved at a time
        z = act.forward(a)
        for i in range(len(a)):
            moved = lambda t, i=i: act.forward(np.where(np.arange(len(a)) == i, t, a))[i]  # noqa: E731
            fd = (moved(a[i] + H) - moved(a[i] - H)) / (2 * H)
            assert act.derivative(a, z)[i] == pytest.approx(fd, rel=1e-6, abs=1e-9)
        return
    analytic = act.derivative(a, act.forward(a))
    np.testing.assert_allclose(analytic, central(act.forward, a), rtol=1e-6, atol=1e-9)


def test_activation_vjp_matches_central_difference(act):
    """dJ/da for J = sum(g * z), a batch of three samples (columns)."""
    rng = np.random.default_rng(5)
    a, g = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    got = act.vjp(g, a, act.forward(a))
    for index in np.ndindex(a.shape):
        def J(t):
            moved = a.copy()
            moved[index] = t
            return float(np.sum(g * act.forward(moved)))
        assert got[index] == pytest.approx((J(a[index] + H) - J(a[index] - H)) / (2 * H), rel=1e-6, abs=1e-9)


def test_activation_is_overflow_safe_at_large_inputs(act):
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        warnings.simplefilter("error")
        z = act.forward(EXTREME)
        d = act.derivative(EXTREME, z)
    assert np.all(np.isfinite(z)) and np.all(np.isfinite(d))
    np.testing.assert_allclose(z, oracle.ACTIVATIONS[act.name](EXTREME), rtol=1e-12, atol=1e-300)
    assert np.all(d >= 0)  # every table activation is non-decreasing


def test_sigmoid_saturates_to_its_limits():
    sig = ACTIVATIONS["sigmoid"]
    z = sig.forward(np.array([-1000.0, 1000.0]))
    assert z[0] == 0.0 or 0 < z[0] < 1e-300
    assert z[1] == 1.0
    assert np.all(sig.derivative(np.array([-1000.0, 1000.0]), z) < 1e-300)


def test_activation_forward_keeps_shape_and_dtype(act):
    a = np.arange(-3, 3, dtype=np.int64).reshape(2, 3)
    z = act.forward(a)
    assert z.shape == (2, 3) and z.dtype == np.float64


def test_sym_derivative_is_the_derivative_of_sym_forward(act):
    if not act.elementwise:  # one entry alone is not defined: see the softmax test below
        return
    a = sp.Symbol("a", real=True)
    z = act.sym_forward(a)
    claimed = act.sym_derivative(a, z)
    if act.kinks:  # Piecewise: compare on both sides of each kink
        for v in (-1.5, 1.5):
            point = sp.Rational(str(v))
            assert sp.simplify(claimed.subs(a, point) - sp.diff(z, a).subs(a, point)) == 0, v
    else:
        assert sp.simplify(claimed - sp.diff(z, a)) == 0


@pytest.mark.parametrize("v", [-2.5, -0.5, 0.25, 1.5, 3.0])
def test_sym_forward_and_derivative_agree_with_numeric(act, v):
    if not act.elementwise:
        return
    exact_a = sp.Rational(str(v))
    z = act.sym_forward(exact_a)
    num_z = act.forward(np.array([v]))
    assert float(z) == pytest.approx(float(num_z[0]), rel=1e-12, abs=1e-15)
    assert float(act.sym_derivative(exact_a, z)) == pytest.approx(
        float(act.derivative(np.array([v]), num_z)[0]), rel=1e-12, abs=1e-15)


def test_relu_derivative_at_zero_is_zero_by_convention():
    relu = ACTIVATIONS["relu"]
    zero = np.array([0.0])
    assert relu.derivative(zero, relu.forward(zero))[0] == 0.0
    assert relu.sym_derivative(sp.Integer(0), relu.sym_forward(sp.Integer(0))) == 0
    assert relu.kinks == (0.0,)
    assert "0" in relu.convention


def test_softmax_exact_column_and_its_jacobian():
    soft = ACTIVATIONS["softmax"]
    a = [sp.Rational(1, 2), sp.Integer(-1), sp.Integer(2)]
    z = soft.sym_forward_column(a)
    assert sp.simplify(sum(z) - 1) == 0
    numeric = soft.forward(np.array([[float(v)] for v in a]))[:, 0]
    np.testing.assert_allclose([float(v) for v in z], numeric, rtol=1e-12)
    for i in range(3):
        for p in range(3):
            claimed = soft.sym_derivative(a[i], z[i]) if i == p else soft.sym_cross(z[i], z[p])
            symbols = sp.symbols("a0:3", real=True)
            column = soft.sym_forward_column(list(symbols))
            true = sp.diff(column[i], symbols[p]).subs(dict(zip(symbols, a)))
            assert sp.simplify(claimed - true) == 0, (i, p)
    assert not soft.elementwise and soft.cross(0.5, 0.25) == -0.125


def test_leaky_relu_slope_and_kink_convention():
    default = ACTIVATIONS["leaky_relu"]
    assert default.default == Fraction(1, 100) and default.kinks == (0.0,)
    steep = default.with_parameter(Fraction(1, 10))
    a = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(steep.forward(a), [-0.2, 0.0, 3.0])
    np.testing.assert_allclose(steep.derivative(a, steep.forward(a)), [0.1, 0.1, 1.0])  # LReLU'(0) := slope
    assert "0.1" in steep.convention and steep.sym_derivative(sp.Integer(0), sp.Integer(0)) == sp.Rational(1, 10)
    np.testing.assert_allclose(default.forward(a), oracle.leaky_relu(a))


def test_smooth_activations_declare_no_kinks():
    for name in ("sigmoid", "tanh", "identity"):
        assert ACTIVATIONS[name].kinks == ()


# ---------------------------------------------------------------- losses


@pytest.fixture(params=sorted(LOSSES))
def loss(request):
    return LOSSES[request.param]


def sample(loss, rng, shape):
    """A prediction and a target the loss is defined on: probabilities for a loss that takes logs."""
    if loss.clip:
        return rng.uniform(0.05, 0.95, size=shape), rng.uniform(0.0, 1.0, size=shape)
    return rng.normal(size=shape), rng.normal(size=shape)


SHAPES = [(1, 1), (1, 3), (2, 1), (3, 4)]


@pytest.mark.parametrize("shape", SHAPES)
def test_loss_forward_matches_its_definition(loss, shape):
    rng = np.random.default_rng(7)
    yhat, y = sample(loss, rng, shape)
    assert loss.forward(yhat, y) == pytest.approx(oracle.LOSSES[loss.name](yhat, y), rel=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_loss_gradient_matches_central_difference(loss, shape):
    rng = np.random.default_rng(11)
    yhat, y = sample(loss, rng, shape)
    grad = loss.gradient(yhat, y)
    assert grad.shape == shape
    for index in np.ndindex(shape):
        def f(t):
            moved = yhat.copy()
            moved[index] = t
            return loss.forward(moved, y)
        fd = (f(yhat[index] + H) - f(yhat[index] - H)) / (2 * H)
        assert grad[index] == pytest.approx(fd, rel=1e-6, abs=1e-9), index


@pytest.mark.parametrize("shape", [(1, 1), (2, 3)])
def test_loss_sym_forward_and_derivative_are_consistent(loss, shape):
    rows, cols = shape
    yh = sp.Matrix(rows, cols, lambda i, k: sp.Symbol(f"yh{i}{k}", real=True))
    y = sp.Matrix(rows, cols, lambda i, k: sp.Symbol(f"y{i}{k}", real=True))
    j = loss.sym_forward(yh, y)
    for i in range(rows):
        for k in range(cols):
            claimed = loss.sym_derivative(yh[i, k], y[i, k], rows, cols)
            assert sp.simplify(claimed - sp.diff(j, yh[i, k])) == 0


@pytest.mark.parametrize("shape", [(1, 1), (2, 3)])
def test_loss_sym_agrees_with_numeric(loss, shape):
    rng = np.random.default_rng(3)
    yhat, y = rng.integers(-5, 5, size=shape), rng.integers(-5, 5, size=shape)
    yh_s, y_s = sp.Matrix(yhat.tolist()), sp.Matrix(y.tolist())
    if loss.clip:  # probabilities: eighths strictly between 0 and 1
        yhat, y = rng.integers(1, 8, size=shape) / 8, rng.integers(0, 9, size=shape) / 8
        yh_s = sp.Matrix(shape[0], shape[1], lambda i, k: sp.Rational(int(yhat[i, k] * 8), 8))
        y_s = sp.Matrix(shape[0], shape[1], lambda i, k: sp.Rational(int(y[i, k] * 8), 8))
    assert float(loss.sym_forward(yh_s, y_s)) == pytest.approx(loss.forward(yhat.astype(float), y.astype(float)))
    grad = loss.gradient(yhat.astype(float), y.astype(float))
    for i, k in np.ndindex(shape):
        assert float(loss.sym_derivative(yh_s[i, k], y_s[i, k], *shape)) == pytest.approx(grad[i, k])


def test_a_loss_that_takes_logs_marks_a_saturated_output():
    for loss in LOSSES.values():
        if loss.clip:
            yhat = np.array([[0.5, 1.0, 1e-13]])
            assert loss.saturated(yhat).tolist() == [[False, True, True]]
            with np.errstate(all="raise"):
                assert np.isfinite(loss.forward(yhat, np.array([[1.0, 0.0, 1.0]])))


@pytest.mark.parametrize("name", [n for n in LOSSES if LOSSES[n].output_activation])
def test_fused_form_is_the_loss_gradient_through_its_activation(name):
    """(yhat - y)/m = dJ/dyhat pulled back through the output activation the loss is meant for."""
    loss = LOSSES[name]
    act = ACTIVATIONS[loss.output_activation]
    rng = np.random.default_rng(9)
    z = rng.normal(size=(3, 4))
    y = np.eye(3)[:, [0, 2, 1, 1]] if loss.targets == "distribution" else rng.uniform(size=(3, 4))
    yhat = act.forward(z)
    via_chain = act.vjp(loss.gradient(yhat, y), z, yhat)
    fused = mexpr.evaluate(loss.fused_matrix(mexpr.Vec("yhat"), mexpr.Vec("y")),
                           {"yhat": yhat, "y": y, mexpr.BATCH_KEY: z}, {})
    np.testing.assert_allclose(fused, via_chain, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- linear


def linear_case(bias: str, rng):
    rows, fan_in, batch = 3, 2, 4
    x = rng.normal(size=(fan_in, batch))
    w = rng.normal(size=(rows, fan_in + (1 if bias == "folded" else 0)))
    b = rng.normal(size=(rows, 1)) if bias == "separate" else None
    return x, w, b


@pytest.mark.parametrize("bias", BIAS_CONVENTIONS)
def test_linear_forward_matches_definition(bias):
    x, w, b = linear_case(bias, np.random.default_rng(1))
    got = Linear(bias).forward(x, w, b)
    if bias == "folded":
        expected = w[:, :1] + w[:, 1:] @ x
    elif bias == "separate":
        expected = w @ x + b
    else:
        expected = w @ x
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("bias", BIAS_CONVENTIONS)
def test_linear_vjp_matches_central_difference(bias):
    rng = np.random.default_rng(2)
    x, w, b = linear_case(bias, rng)
    lin = Linear(bias)
    g = rng.normal(size=(w.shape[0], x.shape[1]))  # upstream gradient: J = sum(g * a)

    def J(x_, w_, b_):
        return float(np.sum(g * lin.forward(x_, w_, b_)))

    dx, dw, db = lin.vjp(g, x, w)
    assert dx.shape == x.shape and dw.shape == w.shape
    for name, arr, grad in (("x", x, dx), ("w", w, dw)) + ((("b", b, db),) if b is not None else ()):
        for index in np.ndindex(arr.shape):
            def at(delta):
                args = {"x": x.copy(), "w": w.copy(), "b": None if b is None else b.copy()}
                args[name][index] += delta
                return J(args["x"], args["w"], args["b"])
            fd = (at(H) - at(-H)) / (2 * H)
            assert grad[index] == pytest.approx(fd, rel=1e-6, abs=1e-8), (name, index)
    if bias != "separate":
        assert db is None


@pytest.mark.parametrize("bias", BIAS_CONVENTIONS)
def test_linear_sym_forward_matches_numeric(bias):
    rng = np.random.default_rng(5)
    x = rng.integers(-3, 4, size=(2, 2))
    w = rng.integers(-3, 4, size=(3, 2 + (1 if bias == "folded" else 0)))
    b = rng.integers(-3, 4, size=(3, 1)) if bias == "separate" else None
    lin = Linear(bias)
    exact = lin.sym_forward(sp.Matrix(x.tolist()), sp.Matrix(w.tolist()),
                            None if b is None else sp.Matrix(b.tolist()))
    numeric = lin.forward(x.astype(float), w.astype(float), None if b is None else b.astype(float))
    np.testing.assert_array_equal(np.array(exact.tolist(), dtype=float), numeric)


def test_linear_column_offset_marks_the_folded_bias_column():
    assert Linear("folded").column_offset == 1
    assert Linear("separate").column_offset == 0
    assert Linear("none").column_offset == 0
    x = np.array([[2.0], [5.0]])
    np.testing.assert_array_equal(Linear("folded").augment(x), [[1.0], [2.0], [5.0]])
    np.testing.assert_array_equal(Linear("none").augment(x), x)


@pytest.mark.parametrize("name", [n for n in LOSSES if LOSSES[n].output_activation])
def test_the_stated_fused_derivation_holds_exactly(name):
    """The chain rule each fused loss states on the page (fused_why), proved with sympy: the loss's
    per-output derivative through its activation's Jacobian is yhat_i - y_i (for softmax, given
    targets that sum to 1)."""
    loss = LOSSES[name]
    act = ACTIVATIONS[loss.output_activation]
    n = 3 if not act.elementwise else 1
    a = sp.symbols(f"a0:{n}", real=True)
    y = sp.symbols(f"y0:{n}", real=True)
    z = act.sym_forward_column(list(a)) if not act.elementwise else [act.sym_forward(a[0])]
    dl = [loss.sym_per_output_derivative(z[p], y[p]) for p in range(n)]
    for i in range(n):
        through = sum(dl[p] * sp.diff(z[p], a[i]) for p in range(n))
        if n > 1:
            through = through.subs(y[-1], 1 - sum(y[:-1]))  # a distribution: the targets sum to 1
        want = (z[i] - y[i]).subs(y[-1], 1 - sum(y[:-1])) if n > 1 else z[i] - y[i]
        assert sp.simplify(through - want) == 0, (name, i)
    assert "hat{y}" in loss.fused_why and loss.latex_fused == "{yhat} - {y}"
