"""The local derivative of the loss, as a page prints it (the op table's LaTeX for dJ/dyhat_pq,
scaled by the batch and, for a mean over the outputs, by their number), means what the numbers
are: filled with an entry's numbers and evaluated, it equals the test's own central difference
of the test's own J.

The page prints the template beside its worked value (-2(y - yhat) = ... = 4.5); a template
without the mean's 1/outputs printed -2((-1) - 3.5) = 4.5 for mean_squared_error with two
outputs (the value was right, the formula not). The LaTeX is read by a small converter here
(fractions, brackets, log, implicit products) into a sympy expression, never by the generator.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy as sp
from sympy.parsing.sympy_parser import (implicit_multiplication_application, parse_expr,
                                        standard_transformations)

from generator.graph.model import Node
from generator.graph.ops import LOSSES
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
    while (k := re.search(r"\\[dt]?frac\{", s)):
        top, after = _braced(s, k.end() - 1)
        bottom, end = _braced(s, after)
        s = s[:k.start()] + f"(({top})/({bottom}))" + s[end:]
    s = s.replace(r"\log", " log ").replace("{", "(").replace("}", ")")
    assert "\\" not in s, f"the converter does not read {s!r}"
    expr = parse_expr(s, local_dict={"log": sp.log, "m": sp.Integer(m)},
                      transformations=standard_transformations + (implicit_multiplication_application,))
    return float(expr)


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
