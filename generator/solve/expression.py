"""Solve a scalar expression problem: derivatives, chain-rule paths and handout claims, all checked."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction

import sympy as sp

from ..errors import VerificationError
from ..graph.expression import ExprGraph, build_expression_graph
from ..problem.spec import Claim, ExpressionProblem, ExpressionQuestion
from ..problem.validate_expression import derivative_symbol
from . import finite_diff as fd
from .derivation import Derivation, Line, derive, prove_equal, prove_lines
from .evaluate import NotNumeric, evaluate, kink_side
from .symbolic import exact, is_zero, simplify

CLAIM_TOL = 1e-9  # two sides of a claim differ when they differ by more than this (relative)


@dataclass(frozen=True)
class Sample:
    """A derivative at one point, with its finite-difference check."""

    x: Fraction
    value: float
    check: fd.Check


@dataclass(frozen=True)
class PointValue:
    """f'(point): as the derivation's last line writes it, exactly, in float64, and checked."""

    at: Fraction  # the problem's point
    form: sp.Expr  # f'(point) with the point put in, before simplifying
    value: float
    exact: sp.Expr
    check: fd.Check


@dataclass(frozen=True)
class Derivative:
    function: sp.Expr  # f, in the variables
    derivative: sp.Expr  # f', the last line of the first derivation
    derivations: tuple[Derivation, ...]  # one per way of writing f; every line proved
    point: PointValue
    samples: tuple[Sample, ...]
    kinks: tuple[Sample, ...]  # samples that sit on a kink (one-sided checks)


@dataclass(frozen=True)
class ExprFactor:
    out: str
    inp: str
    partial: sp.Expr  # d out / d inp, in the node names
    value: float
    exact: sp.Expr


@dataclass(frozen=True)
class ChainRule:
    of: str
    wrt: str
    paths: tuple[tuple[ExprFactor, ...], ...]
    inner: tuple[tuple[str, sp.Expr], ...]  # general form: (input, d of / d input), times d input / d wrt
    general: sp.Expr | None  # sum over inputs of the partial times the inner derivative symbol
    composite: sp.Expr  # d of / d wrt in the variables only
    forms: tuple[sp.Expr, ...]
    value: float
    exact: sp.Expr
    check: fd.Check
    proof: str  # how the sum over paths was shown equal to the derivative: "sympy" or "points"


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    lhs: sp.Expr  # the left side as computed (a derivative when the claim is about one)
    holds: bool
    symbolic_zero: bool  # sympy reduced lhs - rhs to 0
    counterexample: tuple[Fraction, float, float] | None  # (x, lhs, rhs) where they differ
    derivation: Derivation | None = None  # the derivative judged against, derived line by line
    point: PointValue | None = None  # that derivative at the problem's point

    @property
    def kind(self) -> str:
        """correct or erratum, computed; slip when the author says so (it then holds, or has no formula)."""
        return "slip" if self.claim.verdict.kind == "slip" else ("correct" if self.holds else "erratum")


def judged_kind(verdict, computed: str) -> str:
    """Why the author's verdict disagrees with the computed kind ('' when it agrees); a slip must hold."""
    if verdict.kind == "slip":
        return "" if computed == "correct" else "verdict 'slip', but the formula read as meant does not hold (an erratum)"
    if verdict.kind != computed:
        return f"verdict {verdict.kind!r}, but the generator computes {computed!r}"
    return ""


@dataclass(frozen=True)
class Claims:
    results: tuple[ClaimResult, ...]


@dataclass(frozen=True)
class GraphDrawing:
    pass


@dataclass(frozen=True)
class ProseAnswer:
    text: str


@dataclass(frozen=True)
class ExpressionSolution:
    problem: ExpressionProblem
    graph: ExprGraph
    values: dict[str, float]  # every node at the problem's point
    exact_values: dict[str, sp.Expr]
    grads: dict[str, float]  # d (last definition) / d node at the point
    answers: tuple[tuple[ExpressionQuestion, object], ...]
    checks: tuple[fd.Check, ...]


def _env(problem: ExpressionProblem, at: dict[str, Fraction] | None = None) -> dict[str, float]:
    return {k: float(v) for k, v in (at or problem.point).items()}


def _exact_at(expr: sp.Expr, point: dict[str, Fraction]) -> sp.Expr:
    return simplify(expr.subs({sp.Symbol(k): exact(v) for k, v in point.items()}))


def _probe(expr: sp.Expr, var: str, env: dict[str, float]) -> fd.Probe:
    def probe(t: float) -> tuple[float, bytes]:
        moved = dict(env, **{var: t})
        return evaluate(expr, moved), kink_side(expr, moved)
    return probe


def solve_expression(problem: ExpressionProblem, proved: dict | None = None) -> ExpressionSolution:
    """Answer and verify every question; raise VerificationError on any disagreement. ``proved``:
    derivations already proved for this problem at another point, reused (and added to)."""
    graph = build_expression_graph(problem)
    env = _env(problem)
    values, exact_values = {}, {}
    for n in graph.nodes:
        full = graph.expand(sp.Symbol(n.name))
        exact_values[n.name] = _exact_at(full, problem.point)
        try:
            values[n.name] = evaluate(full, env)
        except NotNumeric:
            values[n.name] = float("nan")  # an abstract function: no number, and none is printed
    ctx = _Context(problem, graph, values, exact_values, proved)
    answers = tuple((q, ctx.answer(q)) for q in problem.questions)
    grads = ctx.node_gradients()
    failed = [c for c in ctx.checks if not c.passed]
    if failed:
        lines = [f"  {c.what}: analytic {c.analytic!r}, central difference {c.numeric!r}"
                 + ("" if math.isfinite(c.analytic) and math.isfinite(c.numeric) else
                    " (float64 overflows here: use smaller numbers)") for c in failed]
        raise VerificationError(f"{problem.path}: {len(failed)} derivative(s) disagree with their "
                                "finite-difference check; no page written:\n" + "\n".join(lines))
    return ExpressionSolution(problem, graph, values, exact_values, grads, answers, tuple(ctx.checks))


class _Context:
    def __init__(self, problem: ExpressionProblem, graph: ExprGraph, values: dict[str, float],
                 exact_values: dict[str, sp.Expr], proved: dict | None = None):
        self.p, self.g, self.values, self.exact_values = problem, graph, values, exact_values
        self.proved = proved
        self.checks: list[fd.Check] = []

    def answer(self, q: ExpressionQuestion) -> object:
        return getattr(self, f"_{q.ask}")(q)

    def fail(self, q: ExpressionQuestion, message: str) -> VerificationError:
        return VerificationError(f"{self.p.path}: question {q.number}: {message}")

    # ------------------------------------------------------------ derivative of a formula

    def _derivative(self, q: ExpressionQuestion) -> Derivative:
        x = sp.Symbol(q.wrt)
        f = self.g.expand(q.of)
        derivations = tuple(self.derivation(q, f, x, start) for start in (q.via or (None,)))
        d = derivations[0].result
        for other in derivations[1:]:
            prove_equal(d, other.result, f"{self.p.path}: question {q.number}: the derivations' results")
        samples, kinks = [], []
        for x0 in self.p.samples:
            env = dict(_env(self.p), **{q.wrt: float(x0)})
            value = evaluate(d, env)
            c = fd.check(f"d/d{q.wrt} {f} at {q.wrt}={x0}", value, _probe(f, q.wrt, env), float(x0))
            self.checks.append(c)
            (kinks if c.kink else samples).append(Sample(x0, value, c))
        for k in _kink_points(f, q.wrt):
            if k not in self.p.samples:
                env = dict(_env(self.p), **{q.wrt: float(k)})
                value = evaluate(d, env)
                c = fd.check(f"d/d{q.wrt} {f} at {q.wrt}={k}", value, _probe(f, q.wrt, env), float(k))
                self.checks.append(c)
                kinks.append(Sample(k, value, c))
        return Derivative(f, d, derivations, self.point_value(f, d, x), tuple(samples), tuple(kinks))

    def point_value(self, f: sp.Expr, d: sp.Expr, x: sp.Symbol) -> PointValue:
        """f' = d at the problem's point, checked against a central difference of f there."""
        at = self.p.point.get(x.name, Fraction(1))
        env = dict(_env(self.p), **{x.name: float(at)})
        value = evaluate(d, env)
        c = fd.check(f"d/d{x} {f} at {x}={at}", value, _probe(f, x.name, env), float(at))
        self.checks.append(c)
        with sp.evaluate(False):  # f'(point) as the last line writes it, e.g. sigma(1) (1 - sigma(1))
            form = d.xreplace({x: exact(at)})
        if d.subs(x, exact(at)).is_Rational:  # e.g. a piecewise derivative: its branch's number
            form = d.subs(x, exact(at))
        return PointValue(at, form, value, simplify(form.doit().rewrite(sp.exp)), c)

    def derivation(self, q: ExpressionQuestion, f: sp.Expr, x: sp.Symbol, start: sp.Expr | None) -> Derivation:
        """f' by the rules from ``start`` (checked equal to f first); every line proved. A derivation
        does not depend on the point: with a ``proved`` memo (the practice variants of one problem,
        which move the point), one proved for an earlier point is reused."""
        if self.proved is None:
            return self._derivation(q, f, x, start)
        key = (f, x, start)
        if key not in self.proved:
            self.proved[key] = self._derivation(q, f, x, start)
        return self.proved[key]

    def _derivation(self, q: ExpressionQuestion, f: sp.Expr, x: sp.Symbol, start: sp.Expr | None) -> Derivation:
        where = f"{self.p.path}: question {q.number}"
        if start is not None:
            prove_equal(f, start, f"{where}: the form {start} of {f}")
        try:
            d = derive(f, x, start)
        except ValueError as err:
            raise self.fail(q, f"cannot derive d/d{x} {f} by the rules: {err}") from None
        d0 = sp.Derivative(f, x)
        lines = prove_lines(d0, d.lines, f"{where}: the derivation of d/d{x} {f}")
        endings = tuple(prove_lines(d.lines[d.rules_end - 1].expr, e, f"{where}: the derivation of d/d{x} {f}")
                        for e in d.endings)
        return Derivation(d.function, d.wrt, d.op, lines, endings, d.rules_end)

    # ------------------------------------------------------------ chain rule through the definitions

    def _chain(self, q: ExpressionQuestion) -> ChainRule:
        found = self.paths(q.of_name, q.wrt)
        top = self.g.node(q.of_name)
        inner = tuple((i, sp.diff(top.formula, sp.Symbol(i))) for i in top.inputs)
        general = sum((partial * sp.Symbol(derivative_symbol(i, q.wrt)) for i, partial in inner), sp.Integer(0))
        composite = simplify(sp.diff(self.g.expand(sp.Symbol(q.of_name)), sp.Symbol(q.wrt)))
        by_paths = sum((sp.Mul(*[f.partial for f in path]) for path in found), sp.Integer(0))
        proof = "sympy" if is_zero(self.g.expand(by_paths) - composite) else "points"
        if proof == "points" and not _same(self.g.expand(by_paths), composite, q.wrt, self.p.samples):
            raise self.fail(q, f"the chain-rule sum {by_paths} does not equal the derivative {composite}")
        if q.general:
            self._check_chain_rule(q, len(top.inputs))
            self._check_general(q, top.formula, top.inputs, general)
        for form in q.forms:  # the form the question asks to show, as it writes it (unevaluated)
            target = general if q.general else by_paths
            if not is_zero(sp.expand(form.doit() - target)):
                raise self.fail(q, f"the form {form} the question asks for is not {target}")
        exact_value = _exact_at(composite, self.p.point)
        value = sum((_product(f.value for f in path) for path in found), 0.0)
        env = _env(self.p)
        c = fd.check(f"d{q.of_name}/d{q.wrt}", value,
                     _probe(self.g.expand(sp.Symbol(q.of_name)), q.wrt, env), env[q.wrt])
        self.checks.append(c)
        return ChainRule(q.of_name, q.wrt, tuple(tuple(p) for p in found), inner,
                         general if q.general else None, composite, q.forms, value, exact_value, c, proof)

    def _check_chain_rule(self, q: ExpressionQuestion, n: int) -> None:
        """The multivariate chain rule itself, for an arbitrary f of n inputs that depend on wrt."""
        w = sp.Symbol(q.wrt)
        inner = [sp.Function(f"X{i}_")(w) for i in range(1, n + 1)]
        slots = sp.symbols(f"a1:{n + 1}")
        f = sp.Function("F_")
        by_rule = sum((sp.diff(f(*slots), slots[i]).subs(dict(zip(slots, inner))) * sp.diff(inner[i], w)
                       for i in range(n)), sp.Integer(0))
        if not is_zero(sp.diff(f(*inner), w) - by_rule):
            raise self.fail(q, "the multivariate chain rule does not match sympy's derivative")

    def _check_general(self, q: ExpressionQuestion, formula: sp.Expr, inputs: tuple[str, ...],
                       general: sp.Expr) -> None:
        """With the inputs as arbitrary functions of wrt, sympy's derivative must equal the sum."""
        x = sp.Symbol(q.wrt)
        funcs = {i: sp.Function(i.upper() + "_")(x) for i in inputs}
        composed = formula.subs({sp.Symbol(i): f for i, f in funcs.items()})
        claimed = general.subs({sp.Symbol(derivative_symbol(i, q.wrt)): sp.diff(f, x) for i, f in funcs.items()})
        claimed = claimed.subs({sp.Symbol(i): f for i, f in funcs.items()})
        if not is_zero(sp.diff(composed, x) - claimed):
            raise self.fail(q, "the general chain-rule form does not match sympy's derivative")

    def paths(self, of: str, wrt: str) -> list[list[ExprFactor]]:
        """All paths from wrt up to ``of``, each as factors from ``of`` down."""
        found: list[list[ExprFactor]] = []

        def walk(name: str, below: list[ExprFactor]) -> None:
            if name == of:
                found.append(list(reversed(below)))
                return
            for n in self.g.consumers(name):
                walk(n.name, below + [self.factor(n.name, name)])

        walk(wrt, [])
        return found

    def factor(self, out: str, inp: str) -> ExprFactor:
        partial = sp.diff(self.g.node(out).formula, sp.Symbol(inp))
        expanded = self.g.expand(partial)
        env = _env(self.p)
        try:
            value = evaluate(expanded, env)
        except NotNumeric:
            value = float("nan")
        return ExprFactor(out, inp, partial, value, _exact_at(expanded, self.p.point))

    def node_gradients(self) -> dict[str, float]:
        """d(last definition)/d(node) at the point, summed over paths (for the drawing)."""
        if not self.p.definitions:
            return {}
        last = self.p.definitions[-1].name
        grads = {}
        for n in self.g.nodes:
            try:
                grads[n.name] = sum((_product(f.value for f in path) for path in self.paths(last, n.name)), 0.0) \
                    if n.name != last else 1.0
            except NotNumeric:
                grads[n.name] = float("nan")
        return grads

    # ------------------------------------------------------------ claims the handout makes

    def _claims(self, q: ExpressionQuestion) -> Claims:
        derived = {self.g.expand(other.of) for other in self.p.questions if other.ask == "derivative"}
        results = []
        for claim in q.claims:
            if claim.rhs is None:  # a slip in the notation: nothing to compute
                results.append(ClaimResult(claim, None, True, False, None))
                continue
            lhs = claim.lhs
            if claim.lhs_is_derivative_of is not None:
                lhs = simplify(sp.diff(claim.lhs_is_derivative_of, sp.Symbol(claim.variable)))
                self._check_claim_derivative(claim, lhs)
            result = _judge(claim, lhs, self.p.samples)
            problem = judged_kind(claim.verdict, "correct" if result.holds else "erratum")
            if problem:
                raise VerificationError(f"{self.p.path}: question {q.number}: claim {claim.where!r}: {problem}")
            f = claim.lhs_is_derivative_of
            if f is not None and f not in derived:  # derived here once; elsewhere on the page already
                derived.add(f)
                x = sp.Symbol(claim.variable)
                way = self.derivation(q, f, x, None)
                result = replace(result, derivation=way, point=self.point_value(f, way.result, x))
            results.append(result)
        return Claims(tuple(results))

    def _check_claim_derivative(self, claim: Claim, lhs: sp.Expr) -> None:
        """The derivative a claim is judged against is itself checked by finite differences."""
        for x0 in self.p.samples:
            env = {claim.variable: float(x0)}
            c = fd.check(f"d/d{claim.variable} {claim.lhs_is_derivative_of} at {x0}", evaluate(lhs, env),
                         _probe(claim.lhs_is_derivative_of, claim.variable, env), float(x0))
            self.checks.append(c)

    def _graph(self, q: ExpressionQuestion) -> GraphDrawing:
        return GraphDrawing()

    def _prose(self, q: ExpressionQuestion) -> ProseAnswer:
        return ProseAnswer(q.answer)


def _product(values) -> float:
    out = 1.0
    for v in values:
        out *= v
    return out


def _same(a: sp.Expr, b: sp.Expr, var: str, samples: tuple[Fraction, ...]) -> bool:
    """Equal symbolically, or (when sympy cannot tell) at every sample point in float64."""
    if is_zero(a - b):
        return True
    try:
        return all(_close(evaluate(a, {var: float(x)}), evaluate(b, {var: float(x)})) for x in samples)
    except NotNumeric:
        return False


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= CLAIM_TOL * max(1.0, abs(a), abs(b))


def _judge(claim: Claim, lhs: sp.Expr, samples: tuple[Fraction, ...]) -> ClaimResult:
    """Holds if equal at every sample (and sympy agrees); else the first sample where it fails."""
    symbolic_zero = is_zero((lhs - claim.rhs).rewrite(sp.exp))
    for x in samples:
        env = {claim.variable: float(x)}
        left, right = evaluate(lhs, env), evaluate(claim.rhs, env)
        if not _close(left, right):
            return ClaimResult(claim, lhs, False, symbolic_zero, (x, left, right))
    return ClaimResult(claim, lhs, True, symbolic_zero, None)


def _kink_points(f: sp.Expr, var: str) -> list[Fraction]:
    """Points where a Piecewise in f switches branch (e.g. 0 for ReLU), when they are rational."""
    x = sp.Symbol(var)
    points = set()
    for pw in f.atoms(sp.Piecewise):
        for _, condition in pw.args:
            for rel in condition.atoms(sp.core.relational.Relational):
                for root in sp.solve(sp.Eq(rel.lhs, rel.rhs), x):
                    if root.is_Rational:
                        points.add(Fraction(int(root.p), int(root.q)))
    return sorted(points)
