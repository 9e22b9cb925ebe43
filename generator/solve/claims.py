"""Judge a handout's matrix formulas as a grader would: on this network's batch, with the kind computed.

A formula read literally is *correct* when it gives the gradient (or, for a step, the parameter
after one gradient-descent step), a *convention* when it gives the gradient's transpose (right
only in numerator layout, which arranges a gradient like the transpose of its variable), and an
*erratum* otherwise; an erratum that holds for every single sample (m = 1) but not on the batch is
one that forgot the sum over the batch. A *slip* (a typo or notation slip) cannot be computed: the
author states it, and the formula read as meant must then hold. The author's verdict must agree
with the computed kind, or the build stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..problem.spec import MatrixClaim
from .matrix_eval import ShapeError, evaluate_matrix
from .numeric import Values

RTOL, ATOL = 1e-9, 1e-12


class VerdictMismatch(ValueError):
    """The author's verdict is not what the generator computes."""


@dataclass(frozen=True)
class Evaluation:
    """A formula on one instance: its value, or why its shapes do not fit."""

    value: np.ndarray | None
    shape_error: str  # "" when it evaluates

    def equals(self, target: np.ndarray) -> bool:
        return self.value is not None and self.value.shape == target.shape and bool(
            np.allclose(self.value, target, rtol=RTOL, atol=ATOL))


@dataclass(frozen=True)
class Instance:
    """One network's numbers: forward values, gradients, batch size and the learning rate."""

    values: Values
    grads: Values
    batch: int
    rate: float | None

    def target(self, claim: MatrixClaim) -> np.ndarray:
        """What the formula should equal: dJ/d(about) (transposed in a layout the handout states to be
        numerator), or about - eta dJ/d(about) for a step."""
        if claim.step:
            return self.values[claim.about] - self.rate * self.grads[claim.about]
        grad = self.grads[claim.about]
        return grad.T if claim.layout == "numerator" else grad

    def evaluate(self, tree: tuple) -> Evaluation:
        env = dict(self.values)
        if self.rate is not None:
            env["eta"] = np.array([[self.rate]])
        try:
            return Evaluation(evaluate_matrix(tree, env, self.grads, self.batch), "")
        except ShapeError as err:
            return Evaluation(None, str(err))


@dataclass(frozen=True)
class MatrixClaimResult:
    """A handout formula judged on this network: the kind, and the numbers that show it."""

    claim: MatrixClaim
    kind: str  # correct | erratum | convention | slip (computed; a slip is the author's)
    correct: np.ndarray  # the gradient (or stepped parameter), from the checked backward pass
    literal: Evaluation | None  # the formula read literally, on the batch; None: no formula recorded
    batch: int
    single_sample: tuple[Evaluation, np.ndarray] | None  # an erratum that holds for m = 1: sample 1's
    intended: Evaluation | None  # the author's nearest correct reading (checked to hold)
    literal_step: Evaluation | None  # convention on a parameter: about - eta * formula, read literally
    proper_step: np.ndarray | None  # about - eta * dJ/d(about)
    rate: float | None

    @property
    def holds(self) -> bool:
        return self.kind in ("correct", "slip")

    @property
    def claimed(self) -> np.ndarray | None:
        return None if self.literal is None else self.literal.value


def computed_kind(literal: Evaluation, correct: np.ndarray, step: bool) -> str:
    """correct, convention (equals the transpose: numerator layout) or erratum."""
    if literal.equals(correct):
        return "correct"
    if not step and literal.equals(correct.T) and not literal.equals(correct):
        return "convention"
    return "erratum"


def judge(claim: MatrixClaim, batch: Instance, single: Callable[[int], Instance],
          is_param: bool) -> MatrixClaimResult:
    """The verdict on one claim; VerdictMismatch when the author's verdict disagrees."""
    stated = claim.verdict.kind
    if claim.claimed is None:  # a slip in the notation, nothing to compute
        _agree(claim, stated, None, None, np.zeros((0, 0)), False)
        return MatrixClaimResult(claim, "slip", np.zeros((0, 0)), None, batch.batch, None, None, None, None,
                                 batch.rate)
    correct = batch.target(claim)
    literal = batch.evaluate(claim.claimed) if claim.claimed is not None else None
    kind = stated if literal is None else computed_kind(literal, correct, claim.step)
    single_sample = None
    if kind == "erratum" and batch.batch > 1:
        alone = [single(k) for k in range(batch.batch)]
        if all(one.evaluate(claim.claimed).equals(one.target(claim)) for one in alone):
            single_sample = (alone[0].evaluate(claim.claimed), alone[0].target(claim))
    intended = batch.evaluate(claim.intended) if claim.intended is not None else None
    _agree(claim, kind, literal, intended, correct, single_sample is not None)
    if stated == "slip":
        kind = "slip"
    literal_step = proper_step = None
    if kind == "convention" and is_param and batch.rate is not None:
        proper_step = batch.values[claim.about] - batch.rate * correct
        literal_step = (Evaluation(batch.values[claim.about] - batch.rate * literal.value, "")
                        if literal.value.shape == correct.shape else
                        Evaluation(None, f"a {literal.value.shape[0]}x{literal.value.shape[1]} matrix cannot "
                                         f"be subtracted from a {correct.shape[0]}x{correct.shape[1]} one"))
    return MatrixClaimResult(claim, kind, correct, literal, batch.batch, single_sample, intended,
                             literal_step, proper_step, batch.rate)


def _agree(claim: MatrixClaim, kind: str, literal: Evaluation | None, intended: Evaluation | None,
           correct: np.ndarray, single_holds: bool) -> None:
    """The author's verdict against the computed one, with what was computed when they differ."""
    stated = claim.verdict.kind
    what = ("it gives the gradient" if kind == "correct" else
            "it gives the transpose of the gradient: right only in numerator layout, which the handout does "
            "not state (or, with 'layout: numerator', the handout states it)" if kind == "convention" else
            f"its shapes do not fit ({literal.shape_error})" if literal and literal.shape_error else
            "it holds for one sample but not on the batch" if single_holds else
            "its entries differ from the gradient")
    if literal is None:
        if stated != "slip":
            raise VerdictMismatch(f"verdict {stated!r} needs a formula; only a slip may have none")
        return
    if stated == "slip":
        if kind != "correct":
            raise VerdictMismatch(f"verdict 'slip', but the formula read as meant is not right: {what}; "
                                  f"a slip must hold once read as meant (else it is an erratum)")
        return
    if claim.verdict.addition and kind != "correct":
        raise VerdictMismatch(f"an addition must be correct, but {what}")
    if stated != kind:
        raise VerdictMismatch(f"verdict {stated!r}, but the generator computes {kind!r}: {what}")
    if intended is not None and not intended.equals(correct):
        reason = intended.shape_error or "its entries differ from the gradient"
        raise VerdictMismatch(f"the intended reading does not hold: {reason}")
