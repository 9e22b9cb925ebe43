"""An independent reference implementation of what a problem file asks for.

It reads the YAML with ``yaml.safe_load`` and computes the forward pass of the multilayer
perceptron with plain numpy, every rule written out here, plus central finite differences.
It deliberately imports nothing from ``generator``: the tests compare the generator with this.

Conventions (those of the problem-file format):

* ``x`` is stored as a column vector per sample, shape (input size, batch); samples are
  written as rows in the YAML (a flat list is one sample).
* bias ``folded``: column 0 of W multiplies a constant 1 (a = W [1; x]);
  ``separate``: a = W x + b with b of shape (units, 1); ``none``: a = W x.
* references such as ``W1[1,2]`` are 1-based rows; weight columns count from 0 (the bias
  column) when the bias is folded, from 1 otherwise. ``a[2]`` is row 2 of a (first sample).
"""

from __future__ import annotations

import copy
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import yaml

H = 1e-6  # finite-difference step

# ---------------------------------------------------------------- element-wise activations


def relu(a):
    return np.where(a > 0, a, 0.0)


def sigmoid(a):
    # 1 / (1 + e^-a) = e^(-log(1 + e^-a)); logaddexp never overflows
    return np.exp(-np.logaddexp(0.0, -a))


def tanh(a):
    # tanh(a) = 2 sigma(2a) - 1
    return 2.0 * sigmoid(2.0 * a) - 1.0


def identity(a):
    return np.array(a, dtype=float)


def leaky_relu(a, slope=0.01):
    """a where a > 0, slope * a elsewhere (the default slope of the problem format is 0.01)."""
    return np.where(a > 0, a, slope * np.asarray(a, dtype=float))


def softmax(a):
    """Per sample (column): e^(a_i) / sum_j e^(a_j), written as e^(a_i - logsumexp(a))."""
    a = np.asarray(a, dtype=float)
    top = a.max(axis=0, keepdims=True)
    log_total = top + np.log(np.exp(a - top).sum(axis=0, keepdims=True))
    return np.exp(a - log_total)


ACTIVATIONS = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh, "identity": identity,
               "leaky_relu": leaky_relu, "softmax": softmax}

# ---------------------------------------------------------------- losses: (yhat, y) of shape (outputs, batch)


def squared_error(yhat, y):
    """Mean over samples of sum_i (y - yhat)^2."""
    per_sample = ((y - yhat) ** 2).sum(axis=0)
    return float(per_sample.mean())


def half_squared_error(yhat, y):
    """Mean over samples of 1/2 sum_i (yhat - y)^2."""
    per_sample = 0.5 * ((yhat - y) ** 2).sum(axis=0)
    return float(per_sample.mean())


def mean_squared_error(yhat, y):
    """Mean over samples and outputs of (y - yhat)^2."""
    return float(((y - yhat) ** 2).mean())


def binary_cross_entropy(yhat, y):
    """Mean over samples of -sum_i (y log yhat + (1 - y) log(1 - yhat)); yhat strictly in (0, 1)."""
    assert np.all((yhat > 0) & (yhat < 1)), "a probability of exactly 0 or 1 has no log"
    per_sample = -(y * np.log(yhat) + (1 - y) * np.log1p(-yhat)).sum(axis=0)
    return float(per_sample.mean())


def cross_entropy(yhat, y):
    """Mean over samples of -sum_i y_i log yhat_i."""
    assert np.all(yhat > 0), "a probability of exactly 0 has no log"
    return float((-(y * np.log(yhat)).sum(axis=0)).mean())


LOSSES = {"squared_error": squared_error, "half_squared_error": half_squared_error,
          "mean_squared_error": mean_squared_error, "binary_cross_entropy": binary_cross_entropy,
          "cross_entropy": cross_entropy}

# ---------------------------------------------------------------- the network, read from the YAML


def number(value) -> float:
    """A problem-file number: int, float, or a fraction written as text ('-1/3')."""
    return float(Fraction(str(value).strip()))


def array(value) -> np.ndarray:
    """Nested lists (or a scalar) of problem-file numbers as a float array."""
    if isinstance(value, list):
        return np.array([array(v) for v in value], dtype=float)
    return np.array(number(value), dtype=float)


def load(path: Path) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


class Net:
    """The network of one problem file, with its given values as float arrays."""

    def __init__(self, data: dict):
        self.data = copy.deepcopy(data)
        net = data["network"]
        self.input = net["input"].get("name", "x")
        self.target = net.get("target", "y")
        self.bias = net.get("bias", "separate")
        self.loss = net["loss"]
        self.loss_name = net.get("loss_name", "loss")
        self.layers = []
        for l, layer in enumerate(net["layers"], start=1):
            self.layers.append({
                "size": layer["size"], "activation": layer["activation"],
                "pre": layer.get("pre", f"a{l}"), "post": layer.get("post", f"h{l}"),
                "weight": layer.get("weight", f"W{l}"), "bias": layer.get("bias", f"b{l}"),
                "slope": number(layer.get("slope", "1/100")), "fixed": layer.get("fixed", False),
            })
        # (lambda/2) * sum of squared weights of the learned layers; biases are not decayed
        self.decay = number(net.get("weight_decay", 0))
        values = data["values"]
        x = values[self.input]
        if isinstance(x, list) and x and isinstance(x[0], list):
            self.x = array(x).T  # one row per sample -> one column per sample
        else:
            self.x = array(x).reshape(-1, 1)
        batch = self.x.shape[1]
        y = values[self.target]
        outputs = self.layers[-1]["size"]
        classes = self.loss == "cross_entropy" and outputs > 1 and (
            not isinstance(y, list) or (batch > 1 and not any(isinstance(v, list) for v in y)))
        if classes:  # class numbers, 1-based, one per sample -> one-hot columns
            labels = [y] if not isinstance(y, list) else y
            self.y = np.zeros((outputs, batch))
            for k, label in enumerate(labels):
                self.y[int(label) - 1, k] = 1.0
        elif not isinstance(y, list):
            self.y = np.array([[number(y)]])
        elif y and isinstance(y[0], list):
            self.y = array(y).T
        elif batch == 1:
            self.y = array(y).reshape(-1, 1)
        else:
            self.y = array(y).reshape(1, -1)  # one output, one value per sample
        self.params: dict[str, np.ndarray] = {}
        for layer in self.layers:
            self.params[layer["weight"]] = np.atleast_2d(array(values[layer["weight"]]))
            if self.bias == "separate":
                self.params[layer["bias"]] = array(values[layer["bias"]]).reshape(-1, 1)

    @property
    def batch(self) -> int:
        return self.x.shape[1]

    def leaves(self) -> dict[str, np.ndarray]:
        out = {self.input: self.x.copy(), self.target: self.y.copy()}
        out.update({k: v.copy() for k, v in self.params.items()})
        return out

    def forward(self, leaves: dict | None = None, override: dict | None = None) -> dict[str, np.ndarray]:
        """Every named value. ``override`` replaces a computed (or given) value by name."""
        vals = dict(self.leaves() if leaves is None else leaves)
        override = override or {}
        vals.update({k: v for k, v in override.items() if k in vals})
        h = vals[self.input]
        for layer in self.layers:
            w = vals[layer["weight"]]
            if self.bias == "folded":
                a = w[:, 0:1] + w[:, 1:] @ h
            elif self.bias == "separate":
                a = w @ h + vals[layer["bias"]]
            else:
                a = w @ h
            vals[layer["pre"]] = override.get(layer["pre"], a)
            if layer["activation"] == "leaky_relu":
                z = leaky_relu(vals[layer["pre"]], layer["slope"])
            else:
                z = ACTIVATIONS[layer["activation"]](vals[layer["pre"]])
            vals[layer["post"]] = override.get(layer["post"], z)
            h = vals[layer["post"]]
        loss = LOSSES[self.loss](h, vals[self.target])
        if self.decay:
            loss += self.decay / 2 * sum(float((vals[l["weight"]] ** 2).sum()) for l in self.layers if not l["fixed"])
        vals[self.loss_name] = np.array([[loss]])
        return vals

    def objective(self, leaves: dict | None = None) -> float:
        return float(self.forward(leaves)[self.loss_name][0, 0])

    def is_leaf(self, name: str) -> bool:
        return name in (self.input, self.target) or name in self.params

    # ------------------------------------------------------------ references, finite differences

    def ref(self, text: str) -> tuple[str, tuple[int, int]]:
        """'W1[1,2]' -> ('W1', (0, 2)) (folded) as a stored (row, column); 'a[2]' -> ('a', (1, 0))."""
        m = re.fullmatch(r"\s*([A-Za-z]\w*)\s*(?:\[\s*(\d+)\s*(?:,\s*(\d+)\s*)?\])?\s*", text)
        assert m, text
        name, i, j = m.group(1), m.group(2), m.group(3)
        if i is None:
            return name, (0, 0)
        if j is None:
            return name, (int(i) - 1, 0)
        return name, (int(i) - 1, int(j) - (0 if self.bias == "folded" else 1))

    def grad_fd(self, name: str, index: tuple[int, int], h: float = H) -> float:
        """Central difference of J with respect to one given entry (a weight, bias or input)."""
        def at(delta: float) -> float:
            leaves = self.leaves()
            leaves[name][index] += delta
            return self.objective(leaves)
        return (at(h) - at(-h)) / (2 * h)

    def local_fd(self, out: str, out_index: tuple[int, int], inp: str, inp_index: tuple[int, int],
                 h: float = H) -> float:
        """d out[out_index] / d inp[inp_index], holding every other input of the op fixed."""
        base = self.forward()

        def at(delta: float) -> float:
            moved = base[inp].copy()
            moved[inp_index] += delta
            if self.is_leaf(inp):
                leaves = self.leaves()
                leaves[inp] = moved
                vals = self.forward(leaves)
            else:
                vals = self.forward(override={inp: moved})
            return float(vals[out][out_index])
        return (at(h) - at(-h)) / (2 * h)

    def one_sided(self, name: str, index: tuple[int, int], h: float = H) -> tuple[float, float]:
        """(left, right) one-sided differences of J with respect to one given entry."""
        def at(delta: float) -> float:
            leaves = self.leaves()
            leaves[name][index] += delta
            return self.objective(leaves)
        f0 = at(0.0)
        return (f0 - at(-h)) / h, (at(h) - f0) / h

    def old_value(self, name: str, index: tuple[int, int]) -> float:
        return float(self.params[name][index])


def round_sig(x: float, figures: int) -> float:
    """x rounded to ``figures`` significant figures."""
    return float(f"{x:.{figures - 1}e}")
