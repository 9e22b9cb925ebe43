"""Named mistakes: the answers of common wrong derivations, from mutated op-table rules.

A mistake is not typed per question. It is a copy of the op table with one rule changed (the
activation's derivative dropped, the sign of the loss's gradient flipped, ...), and the backward
pass is run through the engine's matrix-expression trees (graph/mexpr.py) with that copy. What a
question's answer becomes under it is that mistake's answer. With the unchanged table the same
walk must reproduce the verified gradients; ``walk`` is checked against them by the caller.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Mapping

import numpy as np

from ..graph import mexpr as mx
from ..graph.model import Graph
from ..graph.ops import ACTIVATIONS, LOSSES, Activation, Linear, Loss
from .numeric import Values

Seed = tuple[str, np.ndarray] | None  # (node, d(of)/d(node)) to start from; None: the loss


@dataclass(frozen=True)
class Rules:
    """Where the backward walk reads each op's rule: the op table, or a mutated copy."""

    activations: Mapping[str, Activation]
    losses: Mapping[str, Loss]
    linear: Callable[[str], Linear]


TABLE = Rules(ACTIVATIONS, LOSSES, Linear)


@dataclass(frozen=True)
class Mutation:
    """One wrong derivation: its kind (see KINDS), the activation it concerns, and its rules."""

    kind: str
    rules: Rules
    op: str = ""  # the activation whose rule is changed, for the kinds that change one
    one_sample: bool = False  # the walk sees the batch's first sample only (batch_sum)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.op}" if self.op else self.kind


# the kinds of mistake, in the order they are tried (an answer two of them share is named by the first)
KINDS = ("transpose", "no_derivative", "post_as_pre", "sign", "factor_2", "batch_mean", "batch_sum",
         "pre_for_post", "bias_column")

BATCHED = ("input", "target", "linear", "activation")  # the node kinds with one column per sample


# ---------------------------------------------------------------- the backward walk, by trees


def walk(graph: Graph, values: Values, rules: Rules = TABLE, seed: Seed = None) -> Values:
    """Every gradient below the seed (the loss when None), each evaluated from its rule's tree."""
    env = {**values, mx.BATCH_KEY: values[graph.nodes[0].name]}
    grads: dict[str, np.ndarray] = {}
    leaf = lambda name: (mx.Mat(name) if graph.node(name).kind in ("param", "const")  # noqa: E731
                         else mx.Vec(name))
    if seed is None:
        loss = graph.objective
        pred, target = loss.inputs[:2]
        tree = rules.losses[loss.op].gradient_matrix(mx.Vec(pred), mx.Vec(target), graph.node(pred).shape[0])
        grads[pred] = mx.evaluate(tree, env, grads)
        node = graph.node(pred)
    else:
        grads[seed[0]] = seed[1]
        node = graph.node(seed[0])
    while node.kind in ("activation", "linear"):
        if node.kind == "activation":
            pre = node.inputs[0]
            tree = rules.activations[node.op].vjp_matrix(mx.Grad(node.name), mx.Vec(pre), mx.Vec(node.name))
            grads[pre] = mx.evaluate(tree, env, grads)
            node = graph.node(pre)
            continue
        x_name, w_name = node.inputs[0], node.inputs[1]
        trees = rules.linear(node.op).vjp_matrix(mx.Grad(node.name), leaf(x_name), mx.Mat(w_name))
        grads[w_name] = mx.evaluate(trees["weight"], env, grads)
        if "bias" in trees:
            grads[node.inputs[2]] = mx.evaluate(trees["bias"], env, grads)
        grads[x_name] = mx.evaluate(trees["input"], env, grads)
        node = graph.node(x_name)
    return grads


# ---------------------------------------------------------------- the mutations


class _TransposedWeight(Linear):
    """dJ/dW written transposed: x~ delta^T instead of delta x~^T."""

    def vjp_matrix(self, delta, x, w):
        rules = super().vjp_matrix(delta, x, w)
        return {**rules, "weight": mx.T(rules["weight"])}


class _NoBiasColumn(Linear):
    """The folded bias forgotten in dJ/dW: delta x^T instead of delta [1; x]^T, so the entries
    shift by one column against W's (column 0 of W is the bias)."""

    def vjp_matrix(self, delta, x, w):
        rules = super().vjp_matrix(delta, x, w)
        return {**rules, "weight": mx.MatMul(delta, mx.T(x))}


def _pre_for_post(graph: Graph) -> Callable[[str], Linear]:
    """The weight gradient read with the layer input's pre-activation instead of its activation."""
    pre_of = {n.name: n.inputs[0] for n in graph.nodes if n.kind == "activation"}

    class _PreForPost(Linear):
        def vjp_matrix(self, delta, x, w):
            rules = super().vjp_matrix(delta, x, w)
            if isinstance(x, mx.Vec) and x.name in pre_of:
                wrong = super().vjp_matrix(delta, mx.Vec(pre_of[x.name]), w)
                rules = {**rules, "weight": wrong["weight"]}
            return rules
    return _PreForPost


def first_sample(graph: Graph, values: Values) -> Values:
    """The values of the batch's first sample alone (parameters and constants as they are)."""
    return {name: (v[:, :1] if graph.has(name) and graph.node(name).kind in BATCHED else v)
            for name, v in values.items()}


def _loss_rule(loss: Loss, key: str) -> Loss:
    """The loss's gradient with one thing wrong (``key``: sign, factor_2, batch_mean)."""
    rule = loss.gradient_matrix

    def gradient_matrix(yhat, y, outputs):
        tree = rule(yhat, y, outputs)
        scale = tree if isinstance(tree, mx.Scale) else mx.Scale(Fraction(1), Fraction(1), 0, tree)
        if key == "sign":
            return dataclasses.replace(scale, x=mx.Sub(y, yhat))
        if key == "factor_2":
            return dataclasses.replace(scale, num=scale.num / 2)
        return dataclasses.replace(scale, batch_power=0)  # batch_mean: no 1/m
    return _with(loss, gradient_matrix=gradient_matrix)


def _with(op, **rules):
    """A copy of an op-table entry with some rules replaced (the entries are frozen dataclasses,
    and Loss's rules are methods, so the copy is a one-off subclass instance)."""
    if isinstance(op, Activation):
        return dataclasses.replace(op, **rules)
    cls = type(f"Mutated{type(op).__name__}", (type(op),), {k: staticmethod(v) for k, v in rules.items()})
    return cls(**{f.name: getattr(op, f.name) for f in dataclasses.fields(op)})


def mutations(graph: Graph) -> tuple[Mutation, ...]:
    """Every wrong derivation that applies to this network, in the order of KINDS."""
    loss = graph.objective
    out: list[Mutation] = [Mutation("transpose", dataclasses.replace(TABLE, linear=_TransposedWeight))]
    acts: list[str] = []
    for node in graph.nodes:  # the activations with a derivative other than 1, in layer order
        if node.kind == "activation" and node.op not in acts and ACTIVATIONS[node.op].derivative_matrix(
                mx.Vec("z"), mx.Vec("h")) is not None:
            acts.append(node.op)
    for op in acts:
        act = ACTIVATIONS[op]
        dropped = _with(act, derivative_matrix=lambda z, h: None)
        out.append(Mutation("no_derivative", dataclasses.replace(TABLE, activations={**ACTIVATIONS, op: dropped}), op))
    for op in acts:
        act = ACTIVATIONS[op]
        swapped = _with(act, derivative_matrix=(lambda rule: lambda z, h: rule(h, z))(act.derivative_matrix))
        out.append(Mutation("post_as_pre", dataclasses.replace(TABLE, activations={**ACTIVATIONS, op: swapped}), op))
    for kind in ("sign", "factor_2", "batch_mean"):
        wrong = _loss_rule(LOSSES[loss.op], kind)
        out.append(Mutation(kind, dataclasses.replace(TABLE, losses={**LOSSES, loss.op: wrong})))
    if graph.nodes[0].shape[1] > 1:
        # the batch sum forgotten: the gradient of one sample's loss (the first), by the same
        # rules on a batch of that sample alone (so the loss rule's 1/m is 1/1)
        out.append(Mutation("batch_sum", TABLE, one_sample=True))
    out.append(Mutation("pre_for_post", dataclasses.replace(TABLE, linear=_pre_for_post(graph))))
    if any(n.kind == "linear" and n.op == "folded" for n in graph.nodes):
        out.append(Mutation("bias_column", dataclasses.replace(TABLE, linear=_NoBiasColumn)))
    return tuple(out)
