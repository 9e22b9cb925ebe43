"""The backward pass in general: each layer's delta, each gradient and each update as a matrix
formula, built from the op table's rules and checked on the instance.

Every formula is evaluated with numpy on the problem's numbers (in the convention the page prints
it in) and compared with the gradient that passed its finite-difference check; a formula that does
not reproduce it stops the build.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..errors import VerificationError
from ..graph import mexpr as mx
from ..graph.model import Graph, Node
from ..graph.ops import activation_of, decay_of, LOSSES, Linear
from ..problem.spec import Problem
from .numeric import Values

RTOL, ATOL = 1e-9, 1e-12


@dataclass(frozen=True)
class Equation:
    """lhs = rhs. ``lhs`` is dJ/d(node) for a gradient, or the node's next value for an update."""

    node: str  # the node differentiated by (or updated)
    role: str  # loss | delta | weight | bias | input | update
    rhs: mx.Expr
    layer: int | None = None

    @property
    def is_update(self) -> bool:
        return self.role == "update"


@dataclass(frozen=True)
class Formulas:
    """The general backward pass of one network, top to bottom, each equation checked."""

    equations: tuple[Equation, ...]
    rows: bool  # printed (and checked) for row vectors, one row per sample
    forward: tuple[Equation, ...] = ()  # each layer's values from the one below (role "forward")

    def for_node(self, node: str, role: str | None = None) -> Equation | None:
        """The equation giving dJ/d(node) (or its update with role="update")."""
        for e in self.equations:
            if e.node == node and (role is None or e.role == role) and (role == "update") == e.is_update:
                return e
        return None

    def deltas_down_to(self, node: str) -> tuple[Equation, ...]:
        """The equations the gradient of ``node`` reads, from the output down (defined before use)."""
        target = self.for_node(node)
        if target is None:
            return ()
        needed = _grads_read(target.rhs)
        chain: list[Equation] = []
        for e in reversed(self.equations):
            if not e.is_update and e.node in needed and e is not target:
                chain.append(e)
                needed |= _grads_read(e.rhs)
        return tuple(reversed(chain))


def _grads_read(e: mx.Expr) -> set[str]:
    if isinstance(e, mx.Grad):
        return {e.name}
    return set().union(*(_grads_read(part) for part in mx.children(e)))


def _named_symbol(graph: Graph, name: str) -> bool:
    """Whether a node's symbol is a name, not a number (a bias held at 0 is written 0)."""
    return any(ch.isalpha() for ch in graph.node(name).latex)


def leaf(graph: Graph, name: str) -> mx.Expr:
    """A node as a tree leaf: parameters are matrices, everything else per-sample vectors."""
    node = graph.node(name)
    return mx.Mat(name) if node.kind in ("param", "const") else mx.Vec(name)


def grad(graph: Graph, name: str) -> mx.Grad:
    return mx.Grad(name, vector=graph.node(name).kind not in ("param", "const"))


def derive(problem: Problem, graph: Graph) -> tuple[Equation, ...]:
    """The backward pass as equations, from the loss down to the first layer."""
    eqs: list[Equation] = []
    loss_node = graph.objective
    pred, target = loss_node.inputs[:2]
    loss = LOSSES[loss_node.op]
    decay = decay_of(loss_node.param)
    outputs = graph.node(pred).shape[0]
    named = lambda key: key if key in problem.symbols else ""  # noqa: E731 - a function the handout leaves open
    upstream: mx.Expr | None = loss.gradient_matrix(mx.Vec(pred), mx.Vec(target), outputs, named("d_loss"))
    if upstream is not None:
        eqs.append(Equation(pred, "loss", upstream))
    post = graph.node(pred)
    while post.kind == "activation":
        pre = graph.node(post.inputs[0])
        act = activation_of(post.op, post.param)
        if post.name == pred and act.name == loss.output_activation:
            # the loss and the output activation it is meant with, fused: dJ/dz = (yhat - y) / m
            delta = loss.fused_matrix(mx.Vec(pred), mx.Vec(target))
        else:
            # delta = dJ/dh (.) g'(z), with dJ/dh written out: the loss's gradient at the output,
            # the weights above times the delta above in a hidden layer (the recursion)
            delta = act.vjp_matrix(upstream, mx.Vec(pre.name), mx.Vec(post.name), named(f"g_{post.name}"))
        eqs.append(Equation(pre.name, "delta", delta, pre.layer))
        x_name, w_name = pre.inputs[0], pre.inputs[1]
        rules = Linear(pre.op).vjp_matrix(grad(graph, pre.name), leaf(graph, x_name), mx.Mat(w_name))
        if graph.node(w_name).kind == "param":
            weight = rules["weight"]
            if decay is not None and w_name in loss_node.inputs[2:]:  # + lambda W
                weight = mx.Add(weight, decay.gradient_matrix(mx.Mat(w_name)))
            eqs.append(Equation(w_name, "weight", weight, pre.layer))
        if "bias" in rules and graph.node(pre.inputs[2]).kind == "param" and _named_symbol(graph, pre.inputs[2]):
            eqs.append(Equation(pre.inputs[2], "bias", rules["bias"], pre.layer))
        eqs.append(Equation(x_name, "input", rules["input"], pre.layer))
        upstream = rules["input"]
        post = graph.node(x_name)
    if problem.learning_rate is not None:
        rate = Fraction(problem.learning_rate)
        for e in list(eqs):
            if e.role in ("weight", "bias"):
                step = mx.scale(Fraction(rate.numerator), Fraction(rate.denominator), 0, grad(graph, e.node), r"\eta")
                eqs.append(Equation(e.node, "update", mx.Sub(mx.Mat(e.node), step), e.layer))
    return tuple(eqs)


def derive_forward(problem: Problem, graph: Graph) -> tuple[Equation, ...]:
    """The forward pass as equations: z = W x (+ b), h = g(z), from the op table."""
    eqs = []
    for node in graph.nodes:
        if node.kind == "linear":
            bias = mx.Mat(node.inputs[2]) if len(node.inputs) > 2 else None
            if bias is not None and not _named_symbol(graph, bias.name):
                bias = None  # a fixed number such as a zero bias, left out as the Given block does
            tree = Linear(node.op).forward_matrix(leaf(graph, node.inputs[0]), mx.Mat(node.inputs[1]), bias)
            eqs.append(Equation(node.name, "forward", tree, node.layer))
        elif node.kind == "activation":
            key = f"g_{node.name}" if f"g_{node.name}" in problem.symbols else ""
            eqs.append(Equation(node.name, "forward", activation_of(node.op, node.param).forward_matrix(mx.Vec(node.inputs[0]), key),
                                node.layer))
    return tuple(eqs)


def solve_formulas(problem: Problem, graph: Graph, values: Values, grads: Values) -> Formulas:
    """Derive the general formulas and check each on the instance; raise VerificationError."""
    rows = problem.vectors == "row"
    formulas = Formulas(derive(problem, graph), rows, derive_forward(problem, graph))
    for e in formulas.forward:
        check_equation(problem, graph, e, values, grads, rows)
    shown_in = _first_question_showing(problem, formulas)
    # the equations questions print first, in question order, so that a failure names the question
    order = sorted(formulas.equations, key=lambda e: (id(e) not in shown_in, list(shown_in).index(id(e))
                                                      if id(e) in shown_in else 0))
    for e in order:
        check_equation(problem, graph, e, values, grads, rows, shown_in.get(id(e)))
    return formulas


def _first_question_showing(problem: Problem, formulas: Formulas) -> dict[int, str]:
    """id(equation) -> the number of the first question whose solution prints it."""
    out: dict[int, str] = {}
    for q in problem.questions:
        if q.ask not in ("gradient", "chain", "update") or q.of is not None:
            continue
        for ref in q.wrt:
            shown = formulas.deltas_down_to(ref.name) + tuple(
                e for e in (formulas.for_node(ref.name), formulas.for_node(ref.name, "update")) if e)
            for e in shown:
                out.setdefault(id(e), q.number)
    return out


def check_equation(problem: Problem, graph: Graph, e: Equation, values: Values, grads: Values,
                   rows: bool, question: str | None = None) -> None:
    """Evaluate the printed form of ``e`` on the instance; it must give the verified gradient."""
    env = {**values, mx.BATCH_KEY: values[graph.nodes[0].name]}
    vector = graph.node(e.node).kind not in ("param", "const")
    printed = printed_tree(e, graph, rows)
    where = f"question {question}" if question else "the general formulas"
    try:
        got = mx.evaluate(printed, env, grads, rows)
    except ValueError as err:
        raise VerificationError(f"{problem.path}: {where}: the formula for {_what(e)} does not fit: "
                                f"{err}; no page written") from None
    if e.is_update:
        want = values[e.node] - float(problem.learning_rate) * grads[e.node]
    elif e.role == "forward":
        want = values[e.node].T if rows and vector else values[e.node]
    else:
        want = grads[e.node].T if rows and vector else grads[e.node]
    if got.shape != want.shape or not np.allclose(got, want, rtol=RTOL, atol=ATOL):
        raise VerificationError(
            f"{problem.path}: {where}: the formula for {_what(e)} gives {np.round(got, 6).tolist()} on "
            f"this instance, but the verified value is {np.round(want, 6).tolist()}; no page written")


def printed_tree(e: Equation, graph: Graph, rows: bool) -> mx.Expr:
    """The tree as the page prints it: in the row convention, vectors are transposed."""
    if not rows:
        return e.rhs
    vector = graph.node(e.node).kind not in ("param", "const")
    return mx.in_rows(e.rhs) if vector and not e.is_update else mx.as_is(e.rhs)


def _what(e: Equation) -> str:
    if e.role == "forward":
        return e.node
    return f"the update of {e.node}" if e.is_update else f"dJ/d{e.node}"


def output_node(graph: Graph) -> Node:
    return graph.node(graph.objective.inputs[0])


def expanded(e: Equation, formulas: Formulas, graph: Graph) -> Equation:
    """The equation written in the given quantities only: every delta replaced by its formula and
    every layer's value by its forward rule, down to the inputs, the target and the parameters."""
    forward = {f.node: f.rhs for f in formulas.forward}

    def walk(t: mx.Expr) -> mx.Expr:
        if isinstance(t, mx.Grad) and not (e.is_update and t.name == e.node):
            source = formulas.for_node(t.name)
            return walk(source.rhs) if source is not None else t
        if isinstance(t, mx.Vec) and t.name in forward:
            return walk(forward[t.name])
        if isinstance(t, mx.Named):
            return mx.Named(t.key, walk(t.x), walk(t.tree), t.fn)
        if isinstance(t, mx.Scale):
            return mx.Scale(t.num, t.den, t.batch_power, walk(t.x), t.symbol)
        if isinstance(t, mx.Elementwise):
            return mx.Elementwise(t.latex, t.fn, walk(t.x))
        if isinstance(t, (mx.Vec, mx.Mat, mx.Grad, mx.Ones)):
            return t
        fields = {k: walk(v) for k, v in vars(t).items() if k in ("x", "a", "b")}
        return type(t)(**fields)

    rhs = e.rhs
    if e.is_update:  # W - eta dJ/dW: the gradient written out
        step = rhs.b
        rhs = mx.Sub(rhs.a, mx.Scale(step.num, step.den, step.batch_power, walk(formulas.for_node(e.node).rhs),
                                     step.symbol))
    else:
        rhs = walk(rhs)
    return Equation(e.node, e.role, rhs, e.layer)
