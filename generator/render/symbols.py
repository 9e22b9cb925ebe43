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
    if node.kind == "param":
        return _param_entry(problem, node, r, c)
    rows, cols = node.shape
    base = node.latex
    if rows == 1 and cols == 1:
        return base
    sub = f"{base}_{{{r + 1}}}" if rows > 1 else base
    return f"{sub}^{{({c + 1})}}" if cols > 1 else sub


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
    if node.kind == "param" or (rows == 1 and cols == 1):
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
    pattern = re.compile(r"\{(" + "|".join(map(re.escape, symbols)) + r")\}")
    # one pass, so a symbol put in (\hat{y}) is never itself replaced
    text = pattern.sub(lambda m: symbols[m.group(1)], template)
    # a negative number put into \left(...\right) already has its own parentheses
    return re.sub(r"\\left\(\\left\(([^()]*)\\right\)\\right\)", r"\\left(\1\\right)", text)
