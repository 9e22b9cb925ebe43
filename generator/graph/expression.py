"""The computation graph of a scalar problem: variables, then named definitions over them."""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..problem.spec import ExpressionProblem


@dataclass(frozen=True)
class ExprNode:
    """A variable (formula None) or a definition name = formula of earlier names."""

    name: str
    formula: sp.Expr | None
    inputs: tuple[str, ...]


@dataclass(frozen=True)
class ExprGraph:
    nodes: tuple[ExprNode, ...]

    def node(self, name: str) -> ExprNode:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def consumers(self, name: str) -> tuple[ExprNode, ...]:
        return tuple(n for n in self.nodes if name in n.inputs)

    def expand(self, expr: sp.Expr) -> sp.Expr:
        """Replace every defined name by its formula, until only variables remain."""
        for n in reversed(self.nodes):
            if n.formula is not None:
                expr = expr.subs(sp.Symbol(n.name), n.formula)
        return expr


def build_expression_graph(problem: ExpressionProblem) -> ExprGraph:
    """Variables first, then each definition with the names its formula uses as inputs."""
    nodes = [ExprNode(v, None, ()) for v in problem.variables]
    known = set(problem.variables)
    for d in problem.definitions:
        used = sorted(s.name for s in d.formula.free_symbols if s.name in known)
        order = [n.name for n in nodes]
        nodes.append(ExprNode(d.name, d.formula, tuple(sorted(used, key=order.index))))
        known.add(d.name)
    return ExprGraph(tuple(nodes))
