"""Each local derivative as a page prints it (the op table's LaTeX beside its worked value) means
what the value is: filled with an entry's numbers and evaluated, it equals the test's own central
difference of the test's own function. For the loss (dJ/dyhat_pq, scaled by the batch and, for a
mean over the outputs, by their number) over five shapes; for every activation (leaky ReLU at
three slopes; softmax's diagonal and cross entries) at points on both sides of 0.

The page prints the template beside its worked value (-2(y - yhat) = ... = 4.5); a template
without the mean's 1/outputs printed -2((-1) - 3.5) = 4.5 for mean_squared_error with two
outputs (the value was right, the formula not). The LaTeX is read by a small converter here
(fractions, brackets, log, implicit products) into a sympy expression, never by the generator.
"""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from sympy.parsing.sympy_parser import (implicit_multiplication_application, parse_expr,
                                        standard_transformations)

from generator.graph.model import Node
from generator.graph.ops import ACTIVATIONS, LOSSES, activation_of
from generator.solve.chain import Elem

SHAPES = [(1, 1), (2, 1), (3, 1), (1, 3), (2, 3)]  # (outputs, batch)


def _own_loss(name: str, yhat: np.ndarray, y: np.ndarray) -> float:
    """J as each loss's definition states it, the mean over the batch (the columns)."""
    outputs, batch = yhat.shape
    per = {
        "squared_error": lambda: (y - yhat) ** 2,
        "half_squared_error": lambda: 0.5 * (yhat - y) ** 2,
        "mean_squared_error": lambda: (y - yhat) ** 2 / outputs,
        "binary_cross_entropy": lambda: -(y * np.log(yhat) + (1 - y) * np.log(1 - yhat)),
        "cross_entropy": lambda: -y * np.log(yhat),
    }[name]()
    return float(np.sum(per)) / batch


def _braced(s: str, i: int) -> tuple[str, int]:
    """The text of the {...} group starting at s[i] == '{', and the index after it."""
    assert s[i] == "{", s[i:]
    depth = 0
    for j in range(i, len(s)):
        depth += {"{": 1, "}": -1}.get(s[j], 0)
        if depth == 0:
            return s[i + 1:j], j + 1
    raise ValueError(f"unbalanced braces in {s!r}")


def latex_value(latex: str, m: int) -> float:
    """The value of an arithmetic LaTeX formula (numbers, m, fractions, brackets, log)."""
    s = latex.replace(r"\left(", "(").replace(r"\right)", ")").replace(r"\cdot", "*").replace(r"\,", " ")
    # a case or an indicator: the condition decided here, by comparing its two sides' values
    for case in re.findall(r"\\begin\{cases\}(.*?)\\end\{cases\}", s, flags=re.S):
        rows = [r.split("&") for r in case.split(r"\\")]
        chosen = [value for value, condition in rows if _holds(condition, m)]
        assert len(chosen) == 1, f"{len(chosen)} cases hold in {case!r}"
        s = s.replace(rf"\begin{{cases}}{case}\end{{cases}}", f"({chosen[0]})", 1)
    s = s.replace(r"\left[", "[").replace(r"\right]", "]")
    for condition in re.findall(r"\[(.*?)\]", s):  # an Iverson bracket: [a > 0]
        s = s.replace(f"[{condition}]", "(1)" if _holds(condition, m) else "(0)", 1)
    while (k := re.search(r"\\[dt]?frac\{", s)):
        top, after = _braced(s, k.end() - 1)
        bottom, end = _braced(s, after)
        s = s[:k.start()] + f"(({top})/({bottom}))" + s[end:]
    s = s.replace(r"\log", " log ").replace("{", "(").replace("}", ")").replace("^", "**")
    assert "\\" not in s, f"the converter does not read {s!r}"
    expr = parse_expr(s, local_dict={"log": sp.log, "m": sp.Integer(m)},
                      transformations=standard_transformations + (implicit_multiplication_application,))
    return float(expr)


def _holds(condition: str, m: int) -> bool:
    left, op, right = re.split(r"(>|\\le)", condition)
    a, b = latex_value(left, m), latex_value(right, m)
    return a > b if op == ">" else a <= b


def _values(name: str, outputs: int, batch: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(outputs * 10 + batch)
    yhat = rng.uniform(0.15, 0.85, (outputs, batch))
    y = rng.uniform(0.1, 0.9, (outputs, batch))
    if LOSSES[name].targets == "distribution":
        yhat, y = yhat / yhat.sum(axis=0), y / y.sum(axis=0)
    return yhat, y


@pytest.mark.parametrize("outputs,batch", SHAPES, ids=[f"{o}out-{b}samples" for o, b in SHAPES])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_the_printed_local_derivative_of_the_loss_evaluates_to_its_value(name, outputs, batch):
    loss = LOSSES[name]
    yhat, y = _values(name, outputs, batch)
    node = Node(name="J", kind="loss", inputs=("yhat", "y"), shape=(1, 1), latex="J", op=name)
    p, q = outputs - 1, batch - 1  # the last entry
    factor = loss.local(node, Elem("J", (0, 0)), Elem("yhat", (p, q)), {"yhat": yhat, "y": y}, None, lambda e: e)
    filled = factor.latex.replace("{yhat}", f"({float(yhat[p, q])!r})").replace("{y}", f"({float(y[p, q])!r})")
    printed = latex_value(filled, batch)
    h = 1e-6
    up, down = yhat.copy(), yhat.copy()
    up[p, q] += h
    down[p, q] -= h
    own = (_own_loss(name, up, y) - _own_loss(name, down, y)) / (2 * h)
    assert printed == pytest.approx(own, rel=1e-6, abs=1e-9), (
        f"{name}, {outputs} output(s), batch {batch}: the page prints {factor.latex!r}, which is "
        f"{printed!r} at this entry; J's central difference is {own!r}")
    assert factor.value == pytest.approx(own, rel=1e-6, abs=1e-9)


def test_the_converter_reads_what_it_must():
    assert latex_value(r"\tfrac{1}{2m}\left(-2\left(3 - 1\right)\right)", 2) == pytest.approx(-1.0)
    assert latex_value(r"-\frac{(0.5)}{(0.25)}", 1) == pytest.approx(-2.0)
    assert latex_value(r"\frac{(0.5) - (1)}{(0.5)\left(1 - (0.5)\right)}", 1) == pytest.approx(-2.0)


# the activations, written out independently of the op table (one sample: a column)
OWN_ACTIVATIONS = {
    "identity": lambda a: a,
    "relu": lambda a: np.maximum(a, 0.0),
    "leaky_relu": None,  # per slope, below
    "sigmoid": lambda a: 1.0 / (1.0 + np.exp(-a)),
    "tanh": np.tanh,
    "softmax": lambda a: np.exp(a) / np.sum(np.exp(a)),
}
SLOPES = [Fraction(1, 100), Fraction(1, 5), Fraction(1, 3)]
CONFIGS = [(name, None) for name in sorted(ACTIVATIONS) if name != "leaky_relu"] + \
    [("leaky_relu", s) for s in SLOPES]
POINTS = np.array([[-1.3], [-0.2], [0.4], [2.1]])  # one sample of four units, none at a kink


def test_every_activation_is_covered():
    assert set(OWN_ACTIVATIONS) == set(ACTIVATIONS)


@pytest.mark.parametrize("name,slope", CONFIGS, ids=[f"{n}-{s}" if s else n for n, s in CONFIGS])
def test_each_printed_activation_derivative_evaluates_to_its_value(name, slope):
    op = activation_of(name, slope)
    own = OWN_ACTIVATIONS[name] or (lambda a: np.where(a > 0, a, float(slope) * a))
    a, z = POINTS, op.forward(POINTS)
    node = Node(name="h", kind="activation", inputs=("a",), shape=a.shape, latex="h", op=name, param=slope)
    problems = []
    for i in range(a.shape[0]):
        for p in range(a.shape[0]):
            if p != i and op.elementwise:
                continue
            factor = op.local(node, Elem("h", (i, 0)), Elem("a", (p, 0)), {"a": a, "h": z}, None, lambda e: e)
            filled = factor.latex
            for key, elem in factor.operands.items():
                number = {"a": a, "h": z}[elem.node][elem.index]
                filled = filled.replace("{" + key + "}", f"({float(number)!r})")
            printed = latex_value(filled, 1)
            h = 1e-6
            up, down = a.copy(), a.copy()
            up[p, 0] += h
            down[p, 0] -= h
            numeric = float((own(up)[i, 0] - own(down)[i, 0]) / (2 * h))
            if printed != pytest.approx(numeric, rel=1e-6, abs=1e-9):
                problems.append(f"dh_{i + 1}/da_{p + 1}: the page prints {factor.latex!r} = {printed!r}; "
                                f"central difference {numeric!r}")
    assert not problems, f"{name} (slope {slope}):\n" + "\n".join(problems)


@pytest.mark.parametrize("name,slope", [("relu", None)] + [("leaky_relu", s) for s in SLOPES])
def test_the_bracket_notation_a_page_defines_is_the_activations_derivative(name, slope):
    """The conventions line that defines [a > 0] gives the derivative as an example: it holds."""
    op = activation_of(name, slope)
    example = re.search(r"\\\((.*)\\\)", op.notation).group(1)
    rhs = example.split("=", 1)[1]
    own = OWN_ACTIVATIONS[name] or (lambda a: np.where(a > 0, a, float(slope) * a))
    for a in POINTS[:, 0]:
        filled = re.sub(r"\ba\b", f"({float(a)!r})", rhs)
        h = 1e-6
        numeric = float((own(np.array([a + h])) - own(np.array([a - h])))[0] / (2 * h))
        assert latex_value(filled, 1) == pytest.approx(numeric, rel=1e-6, abs=1e-9), (name, slope, a, example)
