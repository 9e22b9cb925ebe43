"""LaTeX for index forms (solve.index_form): entries in the page's symbols, or as numbers."""

from __future__ import annotations

import re

import numpy as np
import sympy as sp
from sympy.printing.latex import LatexPrinter

from ..graph.model import Graph
from ..problem.spec import Problem
from . import numbers as num


class IndexPrinter(LatexPrinter):
    """Prints ``Indexed`` entries as the page writes them; with ``values``, as their numbers."""

    def __init__(self, problem: Problem, graph: Graph, figures: int, values: dict | None = None,
                 step=None):
        super().__init__({"order": "none", "mul_symbol": None})
        self.problem, self.graph, self.figures, self.values = problem, graph, figures, values
        self.step = step  # (symbol) -> the parameter's symbol at a step, e.g. W^{(t)}

    def symbol(self, name: str) -> str:
        if name.startswith("delta_"):
            return self.problem.symbols[name]
        return self.graph.node(name).latex

    def _node(self, name: str) -> str:
        return name[len("delta_"):] if name.startswith("delta_") else name

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        name = str(expr.base.label)
        if self.values is not None and expr in self.values:
            return num.operand(float(self.values[expr]), self.figures)
        node = self.graph.node(self._node(name))
        sym = self.symbol(name)
        if node.shape == (1, 1) and node.kind not in ("param", "const"):
            return sym  # a scalar: h^{3}, y, delta
        if self.step is not None and node.kind == "param":
            index = ",".join(self._print(i) for i in expr.indices)
            return self.step(sym, index)
        index = ",".join(self._print(i) for i in expr.indices)
        merged = re.match(r"^(.*)_\{([^{}]*)\}$", sym)
        if node.kind in ("param", "const") and merged:  # W_{2} -> W_{2,i,j}, as entry() writes
            return f"{merged.group(1)}_{{{merged.group(2)},{index}}}"
        return f"{{{sym}}}_{{{index}}}" if "_" in sym else f"{sym}_{{{index}}}"

    def _print_Pow(self, expr: sp.Pow) -> str:
        if isinstance(expr.base, sp.Indexed) and expr.exp.is_Integer and expr.exp > 0:
            return f"{{{self._print(expr.base)}}}^{{{self._print(expr.exp)}}}"
        return super()._print_Pow(expr)

    def _print_Sum(self, expr: sp.Sum) -> str:
        (k, lo, hi) = expr.limits[0]
        body = self._print(expr.function)
        if isinstance(expr.function, sp.Add):
            body = rf"\left({body}\right)"
        return rf"\sum_{{{self._print(k)}={self._print(lo)}}}^{{{self._print(hi)}}} {body}"

    def _print_Mul(self, expr: sp.Mul) -> str:
        # the numbers and powers of m in front, as one fraction: 2/m, not 2 m^{-1}
        coef = [f for f in expr.args if f.is_Rational or (f.is_Pow and f.base.is_Symbol and f.exp.is_Integer)
                or (f.is_Symbol and str(f) == "m")]
        rest = [f for f in expr.args if f not in coef]
        if coef and rest and len(coef) > 1 or (coef and any(f.is_Pow for f in coef)):
            lead = super()._print_Mul(sp.Mul(*coef))
            body = self._print_Mul(sp.Mul(*rest, evaluate=False)) if len(rest) > 1 else self._print(rest[0])
            if len(rest) == 1 and isinstance(rest[0], (sp.Add, sp.Sum)):
                body = rf"\left({body}\right)"
            return f"{lead} {body}"
        parts = []
        for i, f in enumerate(expr.args):
            text = self._print(f)
            if isinstance(f, (sp.Add, sp.Sum)) and (len(expr.args) > 1):
                text = rf"\left({text}\right)"
            if f == -1 and i == 0:
                parts.append("-")
                continue
            parts.append(text)
        sep = r" \cdot " if self.values is not None else r"\, "
        out = ""
        for i, text in enumerate(parts):
            if i == 0:
                out = text
            elif out == "-":
                out = "-" + text
            else:
                out += sep + text
        return out


def index_latex(expr: sp.Expr, problem: Problem, graph: Graph, figures: int, step=None) -> str:
    return IndexPrinter(problem, graph, figures, step=step).doprint(expr)


def numbers_latex(expr: sp.Expr, table: dict, problem: Problem, graph: Graph, figures: int) -> str:
    """The same expression with every entry replaced by its number."""
    return IndexPrinter(problem, graph, figures, table).doprint(expr)


def value_table(problem: Problem, graph: Graph, values: dict, grads: dict, rows: bool) -> dict:
    """Indexed entry -> number, for every node and named delta, as the index forms name them."""
    table = {}
    for node in graph.nodes:
        m = values[node.name]
        for r, c in np.ndindex(m.shape):
            for key in _keys(problem, node, r + 1, c + 1, m.shape, rows):
                table[key] = float(m[r, c])
            if problem.symbols.get(f"delta_{node.name}"):
                base = sp.IndexedBase(f"delta_{node.name}")
                table[sp.Indexed(base, *_page(r + 1, c + 1, m.shape, rows))] = float(grads[node.name][r, c])
    return table


def _page(r: int, c: int, shape, rows: bool) -> tuple:
    if rows:
        return (c, r)
    return (r,) if shape[1] == 1 else (r, c)


def _keys(problem: Problem, node, r: int, c: int, shape, rows: bool) -> list:
    base = sp.IndexedBase(node.name)
    if node.kind in ("param", "const"):
        is_bias = shape[1] == 1 and problem.network.bias == "separate" and \
            any(node.name == l.bias for l in problem.network.layers)
        if is_bias:
            return [sp.Indexed(base, r)]
        return [sp.Indexed(base, r, c - 1 if problem.network.bias == "folded" else c)]
    return [sp.Indexed(base, *_page(r, c, shape, rows))]
