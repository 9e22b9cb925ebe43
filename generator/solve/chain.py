"""The element-level chain rule: local derivative factors and the paths from a weight to J."""

from __future__ import annotations

from ..graph.model import Elem, Graph
from ..graph.ops import Factor, op_for
from .numeric import Values
from .symbolic import SymValues, simplify

MAX_PATHS = 2  # beyond this many paths the page writes the delta recursion instead


def local_factor(graph: Graph, values: Values, exact: SymValues | None, out: Elem, inp: Elem) -> Factor:
    """The local derivative d out / d inp of the op computing ``out``; ``inp`` is a direct input."""
    node = graph.node(out.node)
    if node.is_leaf:
        raise ValueError(f"{out.node} is a leaf; it has no local derivative")
    return op_for(node).local(node, out, inp, values, exact, simplify)


def successors(graph: Graph, values: Values, elem: Elem) -> list[Elem]:
    """The entries of later nodes that depend directly on ``elem``."""
    return [Elem(node.name, index) for node in graph.consumers(elem.node)
            for index in op_for(node).reached(node.inputs.index(elem.node), elem.index, values[node.name].shape)]


def _reaches(graph: Graph, target: Elem | None):
    """A test for 'this entry is the end of a path' and 'this entry can no longer reach it'."""
    order = {n.name: i for i, n in enumerate(graph.nodes)}
    goal = target or Elem(graph.objective.name, (0, 0))

    def done(e: Elem) -> bool:
        return e == goal

    def dead(e: Elem) -> bool:
        return order[e.node] > order[goal.node] or (e.node == goal.node and e != goal)

    return done, dead


def count_paths(graph: Graph, values: Values, start: Elem, target: Elem | None = None) -> int:
    """How many distinct paths lead from ``start`` to ``target`` (J when None)."""
    done, dead = _reaches(graph, target)
    memo: dict[Elem, int] = {}

    def walk(e: Elem) -> int:
        if done(e):
            return 1
        if dead(e):
            return 0
        if e not in memo:
            memo[e] = sum(walk(s) for s in successors(graph, values, e))
        return memo[e]

    return walk(start)


def paths(graph: Graph, values: Values, exact: SymValues | None, start: Elem,
          target: Elem | None = None) -> list[list[Factor]]:
    """Every path from ``start`` to ``target`` (J when None), each as factors from the top down."""
    done, dead = _reaches(graph, target)
    found: list[list[Factor]] = []

    def walk(e: Elem, below: list[Factor]) -> None:
        if done(e):
            found.append(list(reversed(below)))
            return
        if dead(e):
            return
        for s in successors(graph, values, e):
            walk(s, below + [local_factor(graph, values, exact, s, e)])

    walk(start, [])
    return found
