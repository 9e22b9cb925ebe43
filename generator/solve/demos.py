"""Generated demonstrations: operation counts measured by running both methods, over growing sizes.

Every multiplication the two methods perform goes through a counter, and both methods' results
are compared (with each other and with a central finite difference), so the table shows what
the code did, not a formula.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import VerificationError
from ..problem.spec import DemoProblem

SEED = 20261123
EXPONENT_TOLERANCE = 0.5  # a stated O(n^k) holds when the fitted log-log slope is within this of k

AGREEMENT = 1e-5  # the two methods' derivatives (and a central difference) must agree to this, relative


class Counter:
    """Counts scalar multiplications."""

    def __init__(self) -> None:
        self.mults = 0

    def matmul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a2, b2 = np.atleast_2d(a), b.reshape(b.shape[0], -1)
        self.mults += a2.shape[0] * a2.shape[1] * b2.shape[1]
        return a @ b

    def mul(self, a, b):
        self.mults += int(np.size(a * b))
        return a * b


@dataclass(frozen=True)
class Row:
    size: int
    naive: int  # multiplications of the naive method (finite differences, or path-by-path expansion)
    backprop: int  # multiplications of backpropagation
    agreement: float  # largest relative difference between the two methods' derivatives


@dataclass(frozen=True)
class GrowthVerdict:
    """A handout's statement about how a measured count grows, judged on the measured series."""

    claim: object  # problem.spec.GrowthClaim
    rows: tuple[Row, ...]  # the series it is about: naive = the handout's way, backprop = stored
    measured: str  # exponential | polynomial: the model that fits the naive counts better
    exponent: float  # the fitted power of L (log-log slope)
    doublings: float  # the fitted doublings per unit of L (semi-log slope)

    @property
    def kind(self) -> str:
        if not self.claim.series:
            return "slip"  # stated by the author: nothing measured
        if self.measured != self.claim.growth:
            return "erratum"
        if self.claim.exponent is not None and abs(self.exponent - float(self.claim.exponent)) > EXPONENT_TOLERANCE:
            return "erratum"
        return "correct"


@dataclass(frozen=True)
class DemoResult:
    problem: DemoProblem
    rows: tuple[Row, ...]
    naive_growth: float  # fitted: log-log exponent, or doublings per layer for path_blowup
    backprop_growth: float  # fitted: log-log exponent, or multiplications per layer for path_blowup
    verdicts: tuple[GrowthVerdict, ...] = ()


def run_demo(problem: DemoProblem) -> DemoResult:
    """Run the demonstration at every size; the two methods must agree."""
    rows = tuple(DEMOS[problem.demo](n) for n in problem.sizes)
    bad = [r for r in rows if r.agreement > AGREEMENT]
    if bad:
        raise VerificationError(f"{problem.path}: the two methods disagree at size {bad[0].size} "
                                f"(relative difference {bad[0].agreement:.2e})")
    sizes = [r.size for r in rows]
    if problem.demo == "path_blowup":  # doublings per layer, and multiplications added per layer
        naive = _slope(sizes, [math.log2(r.naive) for r in rows])
        backprop = _slope(sizes, [float(r.backprop) for r in rows])
    else:  # exponents of a power law
        naive = _slope([math.log(s) for s in sizes], [math.log(r.naive) for r in rows])
        backprop = _slope([math.log(s) for s in sizes], [math.log(r.backprop) for r in rows])
    verdicts = tuple(judge_growth(c, problem) for q in problem.questions for c in q.growth_claims)
    return DemoResult(problem, rows, naive, backprop, verdicts)


def judge_growth(claim, problem: DemoProblem) -> GrowthVerdict:
    """Measure the claim's series at the demo's sizes and decide which growth fits; the author's
    verdict must be the computed one."""
    if not claim.series:
        return GrowthVerdict(claim, (), "", 0.0, 0.0)
    run, column = SERIES[claim.series]
    rows = tuple(run(n) for n in problem.sizes)
    if any(r.agreement > 1e-5 for r in rows):
        raise VerificationError(f"{problem.path}: the two ways of computing {claim.series} disagree")
    used = [(r.size, getattr(r, column)) for r in rows if getattr(r, column) > 0]
    xs, logs = [float(size) for size, _ in used], [math.log(count) for _, count in used]
    exponential_fit = _residual(xs, logs)
    power_fit = _residual([math.log(x) for x in xs], logs)
    measured = "exponential" if exponential_fit < power_fit else "polynomial"
    verdict = GrowthVerdict(claim, rows, measured, _slope([math.log(x) for x in xs], logs),
                            _slope(xs, [v / math.log(2) for v in logs]))
    if claim.verdict.kind != verdict.kind:
        raise VerificationError(f"{problem.path}: claim {claim.where!r}: verdict {claim.verdict.kind!r}, "
                                f"but the generator computes {verdict.kind!r} (the count grows {measured}ly)")
    return verdict


def _residual(xs: list[float], ys: list[float]) -> float:
    """Sum of squared residuals of the least-squares line through (xs, ys)."""
    b = _slope(xs, ys)
    a = sum(ys) / len(ys) - b * sum(xs) / len(xs)
    return sum((y - a - b * x) ** 2 for x, y in zip(xs, ys))


def _slope(xs: list[float], ys: list[float]) -> float:
    x, y = np.array(xs), np.array(ys)
    return float(np.polyfit(x, y, 1)[0])


# ---------------------------------------------------------------- 001: finite differences vs backprop


def _cost_setup(d: int):
    rng = np.random.default_rng(SEED + d)
    w1 = rng.standard_normal((d, d)) / math.sqrt(d)
    w2 = rng.standard_normal((d, d)) / math.sqrt(d)
    b, x, y = rng.standard_normal(d), rng.standard_normal(d), rng.standard_normal(d)
    return w1, w2, b, x, y


def _loss(c: Counter, w1, w2, b, x, y) -> tuple[float, np.ndarray, np.ndarray]:
    """l = 1/2 ||W2 tanh(W1 x + b) - y||^2, counting multiplications."""
    h = np.tanh(c.matmul(w1, x) + b)
    e = c.matmul(w2, h) - y
    return 0.5 * float(np.sum(c.mul(e, e))), h, e


def finite_difference_cost(d: int) -> Row:
    """dl/dW1 by central differences (two losses per entry) and by backpropagation."""
    w1, w2, b, x, y = _cost_setup(d)
    fd, step = Counter(), 1e-6
    numeric = np.zeros_like(w1)
    for i in range(d):
        for j in range(d):
            plus, minus = w1.copy(), w1.copy()
            plus[i, j] += step
            minus[i, j] -= step
            numeric[i, j] = (_loss(fd, plus, w2, b, x, y)[0] - _loss(fd, minus, w2, b, x, y)[0]) / (2 * step)
    bp = Counter()
    _, h, e = _loss(bp, w1, w2, b, x, y)
    g_h = bp.matmul(w2.T, e)
    g_u = bp.mul(g_h, 1 - bp.mul(h, h))
    analytic = bp.matmul(g_u.reshape(-1, 1), x.reshape(1, -1))
    scale = max(float(np.max(np.abs(analytic))), 1e-12)
    return Row(d, fd.mults, bp.mults, float(np.max(np.abs(numeric - analytic))) / scale)


# ---------------------------------------------------------------- 004: naive chain-rule expansion vs reuse


def _blowup_setup(depth: int):
    rng = np.random.default_rng(SEED + depth)
    weights = [rng.standard_normal((2, 2)) for _ in range(depth)]
    x = rng.standard_normal(2)
    return weights, x


def _forward(weights, x):
    hs, gps = [x], []
    for w in weights:
        z = w @ hs[-1]
        hs.append(np.tanh(z))
        gps.append(1 - np.tanh(z) ** 2)
    return hs, gps


def path_blowup(depth: int) -> Row:
    """d(sum of the last layer)/d x_1 for a width-2 tanh network of ``depth`` layers, two ways."""
    weights, x = _blowup_setup(depth)
    _, gps = _forward(weights, x)

    def local(c: Counter, k: int, j: int, i: int) -> float:
        """d h_{k+1, j} / d h_{k, i} = g'(z_{k+1, j}) W_{k+1}[j, i]."""
        return c.mul(gps[k][j], weights[k][j, i])

    naive = Counter()

    def expand(k: int, i: int) -> float:  # d out / d h_{k,i}, every path spelled out again
        if k == depth:
            return 1.0
        return sum(naive.mul(local(naive, k, j, i), expand(k + 1, j)) for j in range(2))

    reuse, memo = Counter(), {}

    def stored(k: int, i: int) -> float:  # the same, each intermediate result computed once
        if k == depth:
            return 1.0
        if (k, i) not in memo:
            memo[(k, i)] = sum(reuse.mul(local(reuse, k, j, i), stored(k + 1, j)) for j in range(2))
        return memo[(k, i)]

    a, b = expand(0, 0), stored(0, 0)

    def out(t: float) -> float:
        moved = x.copy()
        moved[0] = t
        return float(np.sum(_forward(weights, moved)[0][-1]))

    central = (out(x[0] + 1e-6) - out(x[0] - 1e-6)) / 2e-6
    # the two expansions must agree with each other and with a central finite difference
    agreement = max(abs(a - b) / max(abs(b), 1e-12), abs(b - central) / max(1.0, abs(b)))
    return Row(depth, naive.mults, reuse.mults, float(agreement))


def chain_reevaluation(depth: int) -> Row:
    """dz/dw for the plain chain z = f(f(...f(w))) (depth calls of f = tanh), counting calls of f.

    naive: each factor f'(f(...f(w))) re-evaluates its argument from w, as in (6.52) of the
    handout; backprop: the intermediate values x = f(w), y = f(x), ... are stored, as in (6.51).
    """
    w, calls = 0.3, [0, 0]

    def f(t: float, k: int) -> float:
        calls[k] += 1
        return math.tanh(t)

    def fprime_of(t: float) -> float:  # f'(t) from t itself: no call of f counted
        return 1.0 - math.tanh(t) ** 2

    naive = 1.0
    for k in range(depth):  # the factor f'(f^k(w)) evaluates f k times, from w
        t = w
        for _ in range(k):
            t = f(t, 0)
        naive *= fprime_of(t)
    stored, t = 1.0, w
    for k in range(depth):
        stored *= fprime_of(t)
        if k < depth - 1:
            t = f(t, 1)
    chain = lambda v: _compose(v, depth)
    central = (chain(w + 1e-6) - chain(w - 1e-6)) / 2e-6
    agreement = max(abs(naive - stored) / max(abs(stored), 1e-12), abs(stored - central) / max(1.0, abs(stored)))
    return Row(depth, calls[0], calls[1], float(agreement))


def _compose(v: float, depth: int) -> float:
    for _ in range(depth):
        v = math.tanh(v)
    return v


DEMOS = {"finite_difference_cost": finite_difference_cost, "path_blowup": path_blowup}
SERIES = {  # what a growth claim can be about: a demo and the column of its rows (naive or backprop)
    "chain": (chain_reevaluation, "naive"), "paths": (path_blowup, "naive"),
    "finite_differences": (finite_difference_cost, "naive"), "analytic": (finite_difference_cost, "backprop"),
}
