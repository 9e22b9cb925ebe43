"""Seeded variants of an expression problem: the point of evaluation moved, each variant solved
and verified like the main instance, degenerate points rejected and counted, named mistakes
derived from the differentiation rules.

An expression problem's given numbers are its point (``point: {x: 2}``); the formulas' own
constants are part of the function asked about and stay. A variable's new value comes from the
problem's ``variants.ranges`` (same keys as a network problem's, one per variable), or else from
the point moved by up to SPREAD steps of 0.1 (whole or one decimal: what a student works by hand).
Each variant is the problem at that point with only the questions that ask for a number
(``derivative`` and ``chain``), solved by the same ``solve_expression`` (every derivative proved by
the rules and checked against a central finite difference at the new point). A point is rejected
when it sits at a kink or within KINK_MARGIN of one, when a denominator is within POLE_MARGIN of
0, when a value is undefined there (a logarithm of a negative number, an overflow), or when a
mistake's answer is within the stated rounding of another answer.

Named mistakes (solve/mistakes.py does the same for networks, from the op table's rules):

- a derivative question: the function differentiated again by the rules, with one rule applied
  wrongly at one place: the inner derivative of a composition left out (``no_inner``), or the sign
  of a rule's factor lost (``sign``: the minus of d/du u^{-n}, of cos' = -sin, of d(-u));
- a chain question: one path's product missing its inner derivative d(input)/d(wrt)
  (``no_inner:<input>``), or a local derivative with a minus taken with the wrong sign
  (``sign:<out>:<input>``, e.g. the quotient rule with a plus).

Each is kept only where it differs from the right answer at that point. The same seeds give the
same variants on every run (numpy's PCG64 seeded with (seed, v, attempt)).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from fractions import Fraction
from typing import Iterator

import numpy as np
import sympy as sp

from ..errors import VerificationError
from ..problem.spec import ExpressionProblem, ExpressionQuestion
from .evaluate import NotNumeric, evaluate, kink_side
from .expression import ChainRule, Derivative, ExpressionSolution, solve_expression
from .variants import (Degenerate, Mistake, Part, Practised, Variants, _same, _within, seeded_variants,
                       tolerance)

PRACTISED = ("derivative", "chain")  # the expression questions with a number to type
SPREAD = 20  # a variable without a range moves by up to this many steps of 0.1
STEP = Fraction(1, 10)
KINK_MARGIN = 0.01  # a point this close to a kink of a function asked about is degenerate
POLE_MARGIN = 0.1  # a denominator this close to 0 is a division by ~0

REASONS = {
    "kink": "a point at a kink (or within 0.01 of it)",
    "pole": "a division by a number within 0.1 of 0",
    "domain": "a value undefined at the point (a logarithm or root of a negative number, an overflow)",
    "indistinct": "a mistake's answer the stated rounding cannot tell from another answer",
    "same": "the point of the main instance or of an earlier variant",
}


def is_practised(q: ExpressionQuestion) -> bool:
    return q.ask in PRACTISED


def practised_questions(problem: ExpressionProblem) -> tuple[ExpressionQuestion, ...]:
    """The questions with a number to type: every derivative, and every chain question except a
    general one (a formula asked) whose derivative another question works with numbers."""
    instances = {(q.of_name, q.wrt) for q in problem.questions if q.ask == "chain" and not q.general}
    return tuple(q for q in problem.questions if is_practised(q)
                 and not (q.ask == "chain" and q.general and (q.of_name, q.wrt) in instances))


def no_variants_reason(problem: ExpressionProblem) -> str:
    """Why an expression problem gets no practice page ("" when it gets one)."""
    if problem.variants.count == 0:
        return "its file sets variants.count to 0"
    if not any(is_practised(q) for q in problem.questions):
        return "it asks for no number at a point (only claims, drawings or prose)"
    return ""


# ---------------------------------------------------------------- drawing a point


def draw_point(problem: ExpressionProblem, rng: np.random.Generator) -> dict[str, Fraction]:
    """A new point: each variable from its range, or moved by up to SPREAD steps of 0.1."""
    out = {}
    for name in sorted(problem.point):
        r = problem.variants.range_of(name)
        if r is not None:
            k = int(rng.integers(0, int((r.high - r.low) / r.step) + 1))
            out[name] = r.low + k * r.step
        else:
            k = int(rng.integers(-SPREAD, SPREAD + 1))
            out[name] = round(problem.point[name] / STEP) * STEP + k * STEP
    return out


def practised_problem(problem: ExpressionProblem, point: dict[str, Fraction]) -> ExpressionProblem:
    return dataclasses.replace(problem, point=dict(point), questions=practised_questions(problem))


# ---------------------------------------------------------------- degenerate points


def _functions(s: ExpressionSolution) -> Iterator[tuple[sp.Expr, str]]:
    """Every function a practised answer is about, with the variable it is differentiated in."""
    for q, a in s.answers:
        if isinstance(a, Derivative):
            yield a.function, q.wrt
            yield a.derivative, q.wrt
        elif isinstance(a, ChainRule):
            yield s.graph.expand(sp.Symbol(a.of)), a.wrt
            yield a.composite, a.wrt


def check_point(problem: ExpressionProblem, solve_main: ExpressionSolution, point: dict[str, Fraction]) -> None:
    """Raise Degenerate for a point at a kink, near a pole, or where a value is undefined (the
    functions are the main solution's: they do not depend on the point)."""
    env = {k: float(v) for k, v in point.items()}
    for f, var in _functions(solve_main):
        try:
            with np.errstate(all="raise"):
                for den in _denominators(f):  # first: a division by 0 is a pole, not undefined
                    if abs(evaluate(den, env)) < POLE_MARGIN:
                        raise Degenerate("pole")
                value = evaluate(f, env)
                here = kink_side(f, env)
                if 0 in np.frombuffer(here, dtype=np.int8):
                    raise Degenerate("kink")
                for h in (-KINK_MARGIN, KINK_MARGIN):
                    if kink_side(f, dict(env, **{var: env[var] + h})) != here:
                        raise Degenerate("kink")
        except (ValueError, ZeroDivisionError, OverflowError, FloatingPointError) as err:
            if isinstance(err, NotNumeric):
                continue  # an abstract function: no number, nothing to judge
            raise Degenerate("domain") from None
        if not math.isfinite(value):
            raise Degenerate("domain")


def _denominators(f: sp.Expr) -> list[sp.Expr]:
    """What f divides by: b^n for every negative power b^-n in it (x^2 for sin(x) / x^2)."""
    return [p.base ** -p.exp for p in f.atoms(sp.Pow) if p.exp.is_number and p.exp.is_negative]


# ---------------------------------------------------------------- the rules, applied with one slip


class _Unsupported(Exception):
    """An expression the slip differentiator has no rule for: the question gets no named mistakes."""


class _Slip:
    """d/dx by the rules (sum, product, power, chain), applying one rule wrongly at the
    ``target``-th place it could go wrong (``kind``: no_inner or sign); ``target`` None: no slip.
    ``places`` counts the places seen, so the caller knows when every one was tried."""

    def __init__(self, x: sp.Symbol, kind: str = "", target: int | None = None):
        self.x, self.kind, self.target, self.places = x, kind, target, 0

    def _here(self, kind: str) -> bool:
        """A place where a slip of ``kind`` can happen; True when it is the one to apply."""
        if kind != self.kind:
            return False
        hit = self.places == self.target
        self.places += 1
        return hit

    def d(self, e: sp.Expr) -> sp.Expr:
        x = self.x
        if not e.has(x):
            return sp.Integer(0)
        if e == x:
            return sp.Integer(1)
        if e.is_Add:
            return sp.Add(*[self.d(a) for a in e.args])
        if e.is_Mul:
            coeff, rest = e.as_coeff_Mul()
            if coeff != 1:
                inner = self.d(rest)
                return (-coeff if coeff < 0 and self._here("sign") else coeff) * inner
            terms = []
            for i, a in enumerate(e.args):
                others = sp.Mul(*[b for j, b in enumerate(e.args) if j != i])
                terms.append(self.d(a) * others)
            return sp.Add(*terms)
        if e.is_Pow:
            base, n = e.args
            if n.has(x):
                raise _Unsupported(f"a power with the variable in its exponent: {e}")
            outer = n * base ** (n - 1)
            if n.is_negative and self._here("sign"):
                outer = -outer
            return outer * self._inner(base)
        if isinstance(e, sp.Function) and len(e.args) == 1:
            t = sp.Dummy("t")
            rule = sp.diff(e.func(t), t)
            if rule.has(sp.Derivative) or rule.has(sp.Subs):
                raise _Unsupported(f"no rule for {e.func}")
            if rule.could_extract_minus_sign() and self._here("sign"):
                rule = -rule
            return rule.subs(t, e.args[0]) * self._inner(e.args[0])
        raise _Unsupported(f"no rule for {type(e).__name__}")

    def _inner(self, u: sp.Expr) -> sp.Expr:
        """The chain rule's inner derivative du/dx (left out at the targeted place)."""
        if u != self.x and self._here("no_inner"):
            self.d(u)  # count the places inside it too, so each is visited once
            return sp.Integer(1)
        return self.d(u)


@functools.lru_cache(maxsize=256)
def derivative_slips(f: sp.Expr, x: str) -> tuple[sp.Expr | None, tuple[tuple[str, sp.Expr], ...]]:
    """(f' by the rules without a slip, [(kind, f' with one slip)]) for every place a slip can
    happen, in f as written and in its exponential form (sigma, tanh written out)."""
    sym = sp.Symbol(x)
    forms = [f]
    written_out = f.rewrite(sp.exp)
    if written_out != f:
        forms.append(written_out)
    right = None
    slips: list[tuple[str, sp.Expr]] = []  # returned as a tuple: the result is cached
    for form in forms:
        try:
            clean = _Slip(sym).d(form)
        except _Unsupported:
            continue
        right = clean if right is None else right
        for kind in ("no_inner", "sign"):
            k = 0
            while True:
                slip = _Slip(sym, kind, k)
                wrong = slip.d(form)
                if k >= slip.places:
                    break
                slips.append((kind, wrong))
                k += 1
    return right, tuple(slips)


def _product(values) -> float:
    out = 1.0
    for v in values:
        out *= v
    return out


def chain_slips(a: ChainRule) -> list[tuple[str, float]]:
    """(kind, value) of every wrong sum over the paths: one path without its inner derivative,
    or one local derivative with a minus taken with the wrong sign."""
    out = []
    for k, path in enumerate(a.paths):
        last = path[-1]  # d(first node above wrt)/d(wrt)
        if len(path) > 1 and last.partial != 1:
            wrong = sum((_product(f.value for f in (p[:-1] if j == k else p)) for j, p in enumerate(a.paths)), 0.0)
            out.append((f"no_inner:{last.out}", wrong))
    flipped = set()
    for path in a.paths:
        for f in path:
            key = (f.out, f.inp)
            if key in flipped or not sp.sympify(f.partial).could_extract_minus_sign():
                continue
            flipped.add(key)
            wrong = sum((_product(-g.value if (g.out, g.inp) == key else g.value for g in p) for p in a.paths), 0.0)
            out.append((f"sign:{f.out}:{f.inp}", wrong))
    return out


# ---------------------------------------------------------------- practised questions


def _part(name: str, value: float, figures: int) -> Part:
    v = np.array([[0.0 if abs(value) < 1e-12 else value]])
    return Part(name, None, v, tolerance(v, figures))


def practise(s: ExpressionSolution, judge: bool = True) -> tuple[Practised, ...]:
    """Each practised question's one number and the mistakes that differ from it. With ``judge``,
    raises Degenerate("indistinct") when a mistake is within the rounding of another answer."""
    figures = s.problem.significant_figures
    env = {k: float(v) for k, v in s.problem.point.items()}
    out = []
    for q, a in s.answers:
        if isinstance(a, Derivative):
            right = a.point.value
            name = str(q.of_name or q.of)
            candidates: list[tuple[str, float]] = []
            clean, slips = derivative_slips(a.function, q.wrt)
            try:
                # the rules' derivative must give the verified value before its slips name anything
                trusted = clean is not None and _close(evaluate(clean, env), right)
                if trusted:
                    candidates = [(kind, evaluate(e, env)) for kind, e in slips]
            except (NotNumeric, ValueError, ZeroDivisionError, OverflowError):
                candidates = []
        elif isinstance(a, ChainRule):
            if a.value != a.value:
                continue  # abstract functions: no number to type
            right, name, candidates = a.value, a.of, chain_slips(a)
        else:
            continue
        part = _part(name, right, figures)
        mistakes: list[Mistake] = []
        for kind, value in candidates:
            got = np.array([[value]])
            if not math.isfinite(value) or _same(got, part.value):
                continue
            if judge and (_within(got, part.value, part.tolerance) or _within(got, part.value, tolerance(got, figures))):
                raise Degenerate("indistinct")
            same = next((m for m in mistakes if _same(got, m.values[0])), None)
            if same is not None:
                if kind not in same.kinds:
                    mistakes[mistakes.index(same)] = Mistake(same.kinds + (kind,), same.values)
                continue
            if judge and any(_within(got, m.values[0], tolerance(m.values[0], figures)) for m in mistakes):
                raise Degenerate("indistinct")
            mistakes.append(Mistake((kind,), (got,)))
        out.append(Practised(q, (part,), tuple(mistakes)))
    return tuple(out)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


# ---------------------------------------------------------------- the variants of a problem


def make_expression_variants(problem: ExpressionProblem, count: int | None = None,
                             seed: int | None = None) -> Variants:
    """Up to ``count`` accepted variants (default: the problem's ``variants.count``), each solved
    and verified (a failed check raises VerificationError naming the variant)."""
    count = problem.variants.count if count is None else count
    seed = problem.variants.seed if seed is None else seed
    if count == 0 or no_variants_reason(problem):
        return Variants((), (), count)
    proved: dict = {}  # the derivations do not depend on the point: proved once per problem
    main = solve_expression(practised_problem(problem, problem.point), proved)
    if not practise(main, judge=False):
        return Variants((), (), count)  # every practised answer is abstract (no numbers)

    def variant(number: int, point: dict[str, Fraction]):
        check_point(problem, main, point)
        variant = practised_problem(problem, point)
        s = _solve(variant, number, proved)
        return variant, s, practise(s)

    return seeded_variants(count, seed, problem.point, lambda rng: draw_point(problem, rng), variant, REASONS)


def _solve(variant: ExpressionProblem, number: int, proved: dict) -> ExpressionSolution:
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            return solve_expression(variant, proved)
    except VerificationError as err:
        raise VerificationError(f"variant {number} (at {_show(variant.point)}) of {err}") from None


def _show(point: dict[str, Fraction]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in sorted(point.items()))

