"""Central finite differences in float64: the check every printed derivative must pass.

At a kink (ReLU at 0) the function has no derivative; the check then says so, computes the
two one-sided differences, and passes only if the printed value equals one of them: a one-sided
derivative, the one the stated convention (ReLU'(0) := 0) happens to pick. The one-sided
differences are of second order, (-3 f(x) + 4 f(x+h) - f(x+2h)) / 2h and its mirror image, so
their truncation error is O(h^2) like the central difference's, not the O(h) of
(f(x+h) - f(x)) / h, which on a curved side exceeds the tolerance (2.25e-6 relative at h = 1e-6).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..graph.model import Graph
from ..graph.ops import op_for
from .numeric import Values, forward

STEP = 1e-6  # relative step h = STEP * max(1, |x|)
MIN_STEP = 1e-10  # smallest step tried when the stencil straddles a nearby kink
EPS = float(np.finfo(np.float64).eps)
RTOL = 1e-6
ATOL = 1e-9
DIRECTIONS = 3  # random directions for the whole-gradient check of a large network
SEED = 20260101  # fixed, so pages are identical from run to run


@dataclass(frozen=True)
class Check:
    """One derivative compared with its finite difference."""

    what: str  # an id such as "dJ/dW2[1,1]"; the page words it
    analytic: float
    numeric: float
    kink: bool = False
    left: float | None = None
    right: float | None = None
    noise: float = 0.0  # the rounding error the difference itself can carry

    @property
    def abs_error(self) -> float:
        return abs(self.analytic - self.numeric)

    @property
    def rel_error(self) -> float:
        scale = max(abs(self.analytic), abs(self.numeric))
        return self.abs_error / scale if scale > 0 else 0.0

    @property
    def passed(self) -> bool:
        if not np.isfinite(self.analytic):
            return False
        if self.kink:
            return any(_close(self.analytic, side, self.noise) for side in (self.left, self.right))
        return _close(self.analytic, self.numeric, self.noise)


def _close(a: float, b: float | None, noise: float = 0.0) -> bool:
    return b is not None and abs(a - b) <= ATOL + noise + RTOL * max(abs(a), abs(b))


Probe = Callable[[float], tuple[float, bytes]]  # x -> (f(x), which side of every kink)


def check(what: str, analytic: float, probe: Probe, x0: float) -> Check:
    """Compare ``analytic`` with the central difference of ``probe`` at x0.

    If the stencil straddles a kink that x0 itself is not on (an input within h of 0), the
    step shrinks until it no longer does; only an input exactly on a kink is reported as one.
    """
    scale = max(1.0, abs(x0))
    h = STEP * scale
    f0, side0 = probe(x0)
    while True:
        f_plus, side_plus = probe(x0 + h)
        f_minus, side_minus = probe(x0 - h)
        central = (f_plus - f_minus) / (2 * h)
        # float64 rounding of the two evaluations, amplified by 1/(2h)
        noise = 4 * EPS * max(abs(f_plus), abs(f_minus), abs(f0)) / (2 * h)
        if side_plus == side_minus:
            return Check(what, analytic, central, noise=noise)
        on_kink = _on_kink(side0, side_plus, side_minus)
        if on_kink or h <= MIN_STEP * scale:
            f_plus2, side_plus2 = probe(x0 + 2 * h)
            f_minus2, side_minus2 = probe(x0 - 2 * h)
            if (side_plus2 != side_plus or side_minus2 != side_minus) and h > MIN_STEP * scale:
                h /= 10  # another kink within 2h: the wider stencil must stay on one side
                continue
            # weights 3, 4, 1 over 2h: the rounding error is at most 4x the central one's
            return Check(what, analytic, central, kink=True,
                         left=(3 * f0 - 4 * f_minus + f_minus2) / (2 * h),
                         right=(-3 * f0 + 4 * f_plus - f_plus2) / (2 * h), noise=4 * noise)
        h /= 10


def _on_kink(side0: bytes, side_plus: bytes, side_minus: bytes) -> bool:
    """Whether an input whose side changes across the stencil sits exactly on its kink at x0."""
    s0, sp, sm = (np.frombuffer(b, dtype=np.int8) for b in (side0, side_plus, side_minus))
    return bool(np.any((sp != sm) & (s0 == 0)))


def kink_sides(graph: Graph, values: Values) -> bytes:
    """For every op with kinks (an activation's), the side of each kink each input lies on (0 = on it)."""
    parts = []
    for node in graph.nodes:
        if not node.is_leaf and op_for(node).kinks:
            a = values[node.inputs[0]]
            for k in op_for(node).kinks:
                parts.append(np.sign(a - k).astype(np.int8).tobytes())
    return b"".join(parts)


def objective_probe(graph: Graph, leaves: Values, name: str, index: tuple[int, int]) -> Probe:
    """J as a function of one leaf entry, with the kink sides of the whole network."""
    def probe(x: float) -> tuple[float, bytes]:
        moved = dict(leaves)
        moved[name] = leaves[name].copy()
        moved[name][index] = x
        vals = forward(graph, moved)
        return float(vals[graph.objective.name][0, 0]), kink_sides(graph, vals)
    return probe


def entry_probe(graph: Graph, leaves: Values, values: Values, of: tuple[str, tuple[int, int]] | None,
                wrt: str, index: tuple[int, int]) -> Probe:
    """One entry (J when ``of`` is None) as a function of one entry of any earlier node.

    A leaf is moved directly; an intermediate node is overridden and everything after it
    recomputed from there.
    """
    node = graph.node(wrt)

    def probe(x: float) -> tuple[float, bytes]:
        moved = values[wrt].copy()
        moved[index] = x
        if node.is_leaf:
            vals = forward(graph, dict(leaves, **{wrt: moved}))
        else:
            vals = forward(graph, leaves, {wrt: moved})
        out = vals[graph.objective.name][0, 0] if of is None else vals[of[0]][of[1]]
        return float(out), kink_sides(graph, vals)
    return probe


def local_probe(graph: Graph, values: Values, out: str, out_index: tuple[int, int],
                inp: str, inp_index: tuple[int, int]) -> Probe:
    """One op's output entry as a function of one of its input entries."""
    node = graph.node(out)

    def probe(x: float) -> tuple[float, bytes]:
        args = [values[i].copy() for i in node.inputs]
        args[node.inputs.index(inp)][inp_index] = x
        result = op_for(node).evaluate(args)
        side = bytes(int(np.sign(x - k)) % 3 for k in op_for(node).kinks)
        return float(result[out_index]), side
    return probe


def check_directions(graph: Graph, leaves: Values, grads: Values) -> list[Check]:
    """The whole gradient along a few fixed random directions: g.v against (J(t+hv)-J(t-hv))/2h."""
    rng = np.random.default_rng(SEED)
    params = [n.name for n in graph.params()]
    checks = []
    for d in range(DIRECTIONS):
        direction = {p: rng.standard_normal(leaves[p].shape) for p in params}
        analytic = float(sum(np.sum(grads[p] * direction[p]) for p in params))

        def probe(t: float, direction=direction) -> tuple[float, bytes]:
            moved = dict(leaves)
            for p in params:
                moved[p] = leaves[p] + t * direction[p]
            vals = forward(graph, moved)
            return float(vals[graph.objective.name][0, 0]), kink_sides(graph, vals)

        checks.append(check(f"direction {d + 1}", analytic, probe, 0.0))
    return checks
