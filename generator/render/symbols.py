"""The page's names for nodes and their entries, in the handout's notation."""

from __future__ import annotations

import re

from ..graph.model import Graph, Node
from ..problem.spec import Problem
from ..solve.chain import Elem


def entry(problem: Problem, graph: Graph, elem: Elem) -> str:
    """LaTeX for one entry: W_{2,1,1} (column 0 = folded bias), a_{1}, x_{2}, or b for a scalar."""
    node = graph.node(elem.node)
    r, c = elem.index
    if node.kind in ("param", "const"):
        return _param_entry(problem, node, r, c)
    rows, cols = node.shape
    base = node.latex
    if problem.vectors == "row":  # the handout's h^{2}_{k,j}: sample k's row, entry j
        return base if (rows, cols) == (1, 1) else f"{base}_{{{c + 1},{r + 1}}}"
    sample = f"({c + 1})" if cols > 1 else ""
    sup = re.search(r"\^\{([^{}]*)\}$", base)
    if sup:  # h^{1}: the sample joins the existing superscript, h^{1,(2)}_{3}
        base = base[: sup.start()]
        sample = sup.group(1) + ("," + sample if sample else "")
    text = base + (f"^{{{sample}}}" if sample else "")
    return text + (f"_{{{r + 1}}}" if rows > 1 else "")


def _param_entry(problem: Problem, node: Node, r: int, c: int) -> str:
    is_bias = node.shape[1] == 1 and problem.network.bias == "separate" and \
        any(node.name == l.bias for l in problem.network.layers)
    col = c if problem.network.bias == "folded" else c + 1
    index = f"{r + 1}" if is_bias else f"{r + 1},{col}"
    if node.name in problem.symbols:
        return f"{node.latex}_{{{index}}}"
    head = node.name.rstrip("0123456789") or node.name
    if problem.weight_notation == "superscript":
        return f"{head}^{{{node.layer}}}_{{{index}}}"
    return f"{head}_{{{node.layer},{index}}}"


def whole(graph: Graph, name: str) -> str:
    """LaTeX for a whole node: bold for vectors, plain for scalars and matrices."""
    node = graph.node(name)
    rows, cols = node.shape
    if node.kind in ("param", "const") or (rows == 1 and cols == 1):
        return node.latex
    if cols == 1 and len(node.latex) == 1:
        return rf"\mathbf{{{node.latex}}}"
    return node.latex


def partial(top: str, bottom: str) -> str:
    """\\frac{\\partial top}{\\partial bottom}."""
    return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"


def fill(template: str, **symbols: str) -> str:
    """Put symbols into an op-table template: only ``{name}`` placeholders given here change."""
    if not symbols:
        return template
    pattern = re.compile(r"\{(" + "|".join(map(re.escape, symbols)) + r")\}(\^?)")

    def put(m: re.Match) -> str:
        text = symbols[m.group(1)]
        if m.group(2) and ("^" in text or "_" in text):  # h^{2}_{1} squared: {h^{2}_{1}}^2
            text = "{" + text + "}"
        return text + m.group(2)

    # one pass, so a symbol put in (\hat{y}) is never itself replaced
    text = pattern.sub(put, template)
    # a negative number put into \left(...\right) already has its own parentheses
    return re.sub(r"\\left\(\\left\(([^()]*)\\right\)\\right\)", r"\\left(\1\\right)", text)
