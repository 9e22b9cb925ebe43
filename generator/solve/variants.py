"""Seeded variants of a network problem: new numbers, solved and verified like the main instance.

Each variant is the problem with its given numbers redrawn (whole numbers or one decimal, as the
file writes them, or from the ranges of its ``variants:`` block), solved by the same ``solve``
(every finite-difference and formula check runs; only the exact sympy pass is skipped, a variant
prints rounded numbers), and judged: a variant a student could not tell apart from a mistake, or
whose answers hide what the question teaches, is rejected and counted. For each practised
question the answers of the named mistakes (solve/mistakes.py) are kept when they differ.

The seeds are fixed: variant v, attempt a draws from numpy's PCG64 seeded with (seed, v, a),
so the variants are the same on every run and every machine.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import numpy as np

from ..errors import VerificationError
from ..graph.model import Graph
from ..graph import mexpr as mx
from ..graph.ops import ACTIVATIONS
from ..problem.spec import Matrix, Problem, Question
from .chain import Elem
from .mistakes import Mutation, first_sample, mutations, walk
from .numeric import forward
from .solution import leaf_values, Chain, Local, MatrixGradient, MatrixStep, Solution, Step, Update, Value, elem_of, solve

PRACTISED = ("value", "local", "gradient", "update")  # the questions with numbers to type
SPREAD = 2  # a value without a range moves each entry by up to this many steps
MAX_ATTEMPTS = 60  # draws per variant before the build gives up on it
KINK_MARGIN = 0.01  # an activation's input this close to a kink makes a variant degenerate
SATURATED = 0.002  # a smooth activation's derivative below this: saturated
SAME = 1e-9  # relative: two answers this close are the same answer

# why a variant is rejected
REASONS = {
    "kink": "an activation's input at its kink (or within 0.01 of it)",
    "dead": "a unit that is off at an entry a question asks about",
    "saturated": "a saturated activation (derivative below 0.002)",
    "transpose": "equal entries that hide a transposed gradient",
    "indistinct": "a mistake's answer the stated rounding cannot tell from another answer",
    "same": "the numbers of the main instance or of an earlier variant",
}


@dataclass(frozen=True)
class Part:
    """One number or matrix a student types: the node and entry it is, and its verified value."""

    node: str
    elem: Elem | None  # one entry; None: the whole node (as the page orients it)
    value: np.ndarray  # 2-D, as the boxes are laid out
    tolerance: np.ndarray  # per entry: what the page's rounding allows


@dataclass(frozen=True)
class Mistake:
    """A wrong derivation's answer to one question (``kinds``: the mutation keys giving it)."""

    kinds: tuple[str, ...]
    values: tuple[np.ndarray, ...]  # one per part


@dataclass(frozen=True)
class Practised:
    question: Question
    parts: tuple[Part, ...]
    mistakes: tuple[Mistake, ...]


@dataclass(frozen=True)
class Variant:
    number: int  # 1-based; the page's ?v=
    attempt: int  # the draw that was accepted (0 = the first)
    problem: Problem
    solution: Solution
    practised: tuple[Practised, ...]


@dataclass(frozen=True)
class Variants:
    variants: tuple[Variant, ...]
    rejected: tuple[tuple[str, int], ...]  # (reason, how many draws), in REASONS order
    wanted: int = 0  # the count asked for; fewer when MAX_ATTEMPTS draws found no usable numbers
    reasons: dict[str, str] | None = None  # what each rejection reason means (None: REASONS)

    def why(self, reason: str) -> str:
        return (self.reasons or REASONS)[reason]

    @property
    def rejected_total(self) -> int:
        return sum(n for _, n in self.rejected)


class Degenerate(Exception):
    """A drawn variant that must not be used; ``reason`` is a key of REASONS."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------- tolerance


def tolerance(value: np.ndarray, figures: int) -> np.ndarray:
    """One unit in the last of ``figures`` significant figures of each entry (10^-figures at 0)."""
    out = np.empty_like(value, dtype=float)
    for index, v in np.ndenumerate(value):
        out[index] = 10.0 ** (math.floor(math.log10(abs(v))) - figures + 1) if v != 0 else 10.0 ** -figures
    return out


def _within(a: np.ndarray, b: np.ndarray, tol: np.ndarray) -> bool:
    return a.shape == b.shape and bool((np.abs(a - b) <= tol).all())


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool((np.abs(a - b) <= 1e-12 + SAME * np.abs(b)).all())


# ---------------------------------------------------------------- drawing numbers


def _grid_step(m: Matrix) -> Fraction:
    """1 for whole numbers, else 0.1 (one decimal: what a student works by hand)."""
    return Fraction(1) if all(v.denominator == 1 for row in m for v in row) else Fraction(1, 10)


def draw_values(problem: Problem, rng: np.random.Generator) -> dict[str, Matrix]:
    """New given numbers: each value from its range, or its entries moved by up to SPREAD steps;
    the target keeps its numbers unless it has a range (a label is a label), and so do the fixed
    weights of a layer that is not learned (a sum written as a layer of ones) and a value that is
    all zeros (a bias held at 0)."""
    spec = problem.variants
    fixed = {n for l in problem.network.layers if l.fixed for n in (l.weight, l.bias)}
    out = {}
    for name in sorted(problem.values):
        m = problem.values[name]
        r = spec.range_of(name)
        zeros = all(v == 0 for row in m for v in row)
        if r is None and (name == problem.network.target_name or name in fixed or zeros):
            out[name] = m
            continue
        rows = []
        for row in m:
            new = []
            for v in row:
                if r is not None:
                    k = int(rng.integers(0, int((r.high - r.low) / r.step) + 1))
                    new.append(r.low + k * r.step)
                else:
                    step = _grid_step(m)
                    k = int(rng.integers(-SPREAD, SPREAD + 1))
                    new.append(round(v / step) * step + k * step)
            rows.append(tuple(new))
        out[name] = tuple(rows)
    return out


def practised_problem(problem: Problem, values: dict[str, Matrix]) -> Problem:
    """The problem on new numbers, asking only the questions with numbers to type (and without
    the index forms with free letters, which do not change with the numbers)."""
    questions = tuple(dataclasses.replace(q, general=None, general_of=None)
                      for q in problem.questions if is_practised(q))
    return dataclasses.replace(problem, values=values, questions=questions)


def is_practised(q: Question) -> bool:
    return q.ask in PRACTISED


# ---------------------------------------------------------------- answers and mistakes


def _oriented(problem: Problem, graph: Graph, name: str, m: np.ndarray) -> np.ndarray:
    """As the page shows it: a layer's values as rows when the handout writes row vectors."""
    vector = graph.node(name).kind not in ("param", "const")
    return m.T if problem.vectors == "row" and vector else m


def _read(problem: Problem, graph: Graph, arrays: dict[str, np.ndarray], node: str,
          elem: Elem | None) -> np.ndarray | None:
    """One entry or a whole node out of ``arrays``; None when the mutated array does not have it."""
    if node not in arrays:
        return None
    m = arrays[node]
    if elem is not None:
        i, j = elem.index
        return np.array([[m[i, j]]]) if i < m.shape[0] and j < m.shape[1] else None
    want = graph.node(node).shape
    if m.shape != want:
        if m.size != want[0] * want[1]:
            return None
        m = m.reshape(want)  # a transposed matrix typed row by row into boxes of the right shape
    return _oriented(problem, graph, node, m)


def _parts_and_reader(s: Solution, q: Question, a) -> tuple[list[Part], object]:
    """The parts a student types for one answer, and how to read the same parts from a walk."""
    p, g, figs = s.problem, s.graph, s.problem.significant_figures

    def part(node: str, elem: Elem | None, value: np.ndarray) -> Part:
        value = np.atleast_2d(np.asarray(value, dtype=float))
        value = np.where(np.abs(value) < 1e-12, 0.0, value)  # a zero is 0, not 1e-16 from one BLAS
        return Part(node, elem, value, tolerance(value, figs))

    if isinstance(a, Value):
        whole = _oriented(p, g, a.node, s.values[a.node])
        value = s.values[a.node][a.elem.index] if a.elem is not None else whole
        return [part(a.node, a.elem, value)], None
    if isinstance(a, Local):
        f = a.factor
        seed = None if f.out.node == g.objective.name else (f.out.node, _one_hot(g, f.out))
        reader = (seed, [(f.inp.node, f.inp)], None)
        return [part(f.inp.node, f.inp, f.value)], reader
    if isinstance(a, (Chain, MatrixGradient)):
        of = a.of
        seed = None if of is None else (of.node, _one_hot(g, of))
        if isinstance(a, Chain):
            return [part(a.param.node, a.param, a.value)], (seed, [(a.param.node, a.param)], None)
        return [part(a.wrt, None, _oriented(p, g, a.wrt, a.value))], (seed, [(a.wrt, None)], None)
    if isinstance(a, Update):
        parts, reads = [], []
        for step in a.steps:
            if isinstance(step, Step):
                parts.append(part(step.param.node, step.param, step.new))
                reads.append((step.param.node, step.param))
            else:
                parts.append(part(step.gradient.wrt, None, step.new))
                reads.append((step.gradient.wrt, None))
        return parts, (None, reads, float(a.rate))
    raise TypeError(f"question {q.number}: not a practised answer: {type(a).__name__}")


def _one_hot(g: Graph, e: Elem) -> np.ndarray:
    seed = np.zeros(g.node(e.node).shape)
    seed[e.index] = 1.0
    return seed


def _answer_of_walk(s: Solution, reader, grads: dict[str, np.ndarray],
                    values: dict[str, np.ndarray] | None = None) -> list[np.ndarray] | None:
    seed, reads, rate = reader
    out = []
    for node, elem in reads:
        got = _read(s.problem, s.graph, grads, node, elem)
        if got is None:
            return None
        if rate is not None:  # an update: the old value minus the (mutated) step
            old = _read(s.problem, s.graph, s.values if values is None else values, node, elem)
            got = old - rate * got
        out.append(got)
    return out


def practise(s: Solution, muts: tuple[Mutation, ...], judge: bool = True) -> tuple[Practised, ...]:
    """Each practised question's parts and the mistakes that differ from its answer.

    With ``judge``, raises Degenerate("indistinct") when a mistake's answer differs from another
    answer by less than the stated rounding, and Degenerate("transpose") when a weight matrix's
    transposed gradient would fit the boxes but equals the answer."""
    walks: dict[object, dict] = {}

    def run(seed, m: Mutation | None):
        key = (None if seed is None else (seed[0], seed[1].tobytes()), None if m is None else m.key)
        if key not in walks:
            if m is not None and m.one_sample and seed is not None:
                walks[key] = None  # a seed is a whole batch's gradient: one sample has no place for it
                return None
            try:
                values = first_sample(s.graph, s.values) if m is not None and m.one_sample else s.values
                walks[key] = walk(s.graph, values, m.rules if m else _table(), seed)
            except (ValueError, TypeError, KeyError):
                # the (mutated) rule does not fit this network's shapes, or an op has no
                # element-wise tree rule (a loss shown only fused with its activation)
                walks[key] = None
        return walks[key]

    out = []
    for q, a in s.answers:
        parts, reader = _parts_and_reader(s, q, a)
        mistakes: list[Mistake] = []
        if reader is not None:
            right = [p.value for p in parts]
            grads = run(reader[0], None)
            engine = None if grads is None else _answer_of_walk(s, reader, grads)
            # the rules' walk must give the verified answer before its mutations name anything
            # (it does not where the table has no tree rule for an op, or a term such as weight
            # decay lies outside the walk): then the question gets no named mistakes
            trusted = engine is not None and all(_same(x, y) for x, y in zip(engine, right))
            for m in (muts if trusted else ()):
                grads = run(reader[0], m)
                if grads is not None and m.one_sample:
                    # one sample's gradient is a mistake for a parameter only (the batch's values
                    # have one column per sample, and the first of them is no slip)
                    grads = {n: x for n, x in grads.items() if s.graph.node(n).kind == "param"}
                got = None if grads is None else _answer_of_walk(s, reader, grads)
                if got is None:
                    continue
                if all(_same(x, y) for x, y in zip(got, right)):
                    if judge and m.kind == "transpose" and any(
                            p.elem is None and min(p.value.shape) > 1 and s.graph.node(p.node).kind == "param"
                            for p in parts):
                        raise Degenerate("transpose")
                    continue
                if judge and all(_within(x, y, p.tolerance) or _within(x, y, tolerance(x, s.problem.significant_figures))
                       for x, y, p in zip(got, right, parts)):
                    raise Degenerate("indistinct")
                same = next((k for k in mistakes if all(_same(x, y) for x, y in zip(got, k.values))), None)
                if same is not None:
                    mistakes[mistakes.index(same)] = Mistake(same.kinds + (m.key,), same.values)
                    continue
                figs = s.problem.significant_figures
                if judge and any(all(_within(x, y, tolerance(y, figs)) for x, y in zip(got, k.values)) for k in mistakes):
                    raise Degenerate("indistinct")
                mistakes.append(Mistake((m.key,), tuple(got)))
        out.append(Practised(q, tuple(parts), tuple(mistakes)))
    return tuple(out)


def _table():
    from .mistakes import TABLE
    return TABLE


# ---------------------------------------------------------------- degenerate variants


def check_activations(graph: Graph, values: dict[str, np.ndarray]) -> None:
    """Raise Degenerate for an input at a kink or a saturated smooth activation (a forward pass
    is enough: this runs before the variant is solved)."""
    for node in graph.nodes:
        if node.kind != "activation":
            continue
        act = ACTIVATIONS[node.op]
        z = values[node.inputs[0]]
        # the margin's edge counts as near (+1e-9): 0.1 x 0.1 lands on 0.01 a few bits either side,
        # by the BLAS kernel; the verdict must not depend on which
        if any(np.any(np.abs(z - k) < KINK_MARGIN + 1e-9) for k in act.kinks):
            raise Degenerate("kink")
        if not act.kinks and act.derivative_matrix(mx.Vec("z"), mx.Vec("h")) is not None:
            if np.any(act.derivative(z, values[node.name]) < SATURATED + 1e-12):
                raise Degenerate("saturated")


def check_dead(main: Solution, values: dict[str, np.ndarray]) -> None:
    """An entry a question asks about that is 0 on these numbers but not in the main instance: a
    dead unit. The answers come from the rules' walk on a forward pass (before solving)."""
    for q, a in main.answers:
        parts, reader = _parts_and_reader(main, q, a)
        if reader is None:
            continue
        try:
            got = _answer_of_walk(main, reader, walk(main.graph, values, _table(), reader[0]), values)
        except (ValueError, TypeError, KeyError):
            continue  # no tree rule to walk: the solved variant's own answers are judged instead
        for part, new in zip(parts, got or ()):
            if part.elem is not None and new[0, 0] == 0 and part.value[0, 0] != 0:
                raise Degenerate("dead")


# ---------------------------------------------------------------- the variants of a problem


MAX_PRACTICE_NUMBERS = 1000  # numbers in a problem a student could work by hand, at most


def hand_sized(problem: Problem) -> bool:
    """Practice is for numbers worked by hand: a network of thousands of weights gets no variants
    (drawing and solving 20 of them took 5 minutes for 90,000 weights)."""
    return sum(len(row) for m in problem.values.values() for row in m) <= MAX_PRACTICE_NUMBERS


def rng_for(seed: int, number: int, attempt: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64([seed, number, attempt]))


def make_variants(problem: Problem, count: int | None = None, seed: int | None = None) -> Variants:
    """Up to ``count`` accepted variants (default: the problem's ``variants.count``), each solved
    and verified (a failed check raises VerificationError). When MAX_ATTEMPTS draws in a row give
    no usable numbers (numbers whose neighbourhood is all degenerate), drawing stops there and
    the variants found so far are kept; ``wanted`` records how many were asked for."""
    count = problem.variants.count if count is None else count
    seed = problem.variants.seed if seed is None else seed
    if count == 0 or not any(is_practised(q) for q in problem.questions) or not hand_sized(problem):
        return Variants((), (), count)
    main_problem = practised_problem(problem, problem.values)
    main_solution = solve(main_problem, exact_forms=False)
    muts = mutations(main_solution.graph)
    practise(main_solution, muts, judge=False)  # the rules' walk must give the verified answers

    def variant(number: int, values: dict[str, Matrix]) -> tuple[Problem, Solution, tuple[Practised, ...]]:
        variant = practised_problem(problem, values)
        values_now = forward(main_solution.graph, leaf_values(variant))
        check_activations(main_solution.graph, values_now)
        check_dead(main_solution, values_now)
        s = _solve(variant, number)
        return variant, s, practise(s, muts)

    return seeded_variants(count, seed, problem.values, lambda rng: draw_values(problem, rng), variant)


def seeded_variants(count: int, seed: int, given: dict, draw: Callable, variant: Callable,
                    reasons: dict[str, str] = REASONS) -> Variants:
    """Variants 1..count of a problem whose given numbers are ``given``: for each, numbers are
    drawn (``draw(rng)``, seeded by the variant's number and attempt) until ``variant(number,
    numbers)`` makes a fit one (problem, solution, practised answers) instead of raising
    Degenerate; a draw equal to the given numbers or to an earlier variant's is rejected too.
    After MAX_ATTEMPTS unfit draws no more variants are made (the page says how many it has)."""
    seen = {_key(given)}
    rejected: Counter[str] = Counter()
    variants = []
    for number in range(1, count + 1):
        for attempt in range(MAX_ATTEMPTS):
            numbers = draw(rng_for(seed, number, attempt))
            try:
                if _key(numbers) in seen:
                    raise Degenerate("same")
                made = variant(number, numbers)
            except Degenerate as d:
                rejected[d.reason] += 1
                continue
            seen.add(_key(numbers))
            variants.append(Variant(number, attempt, *made))
            break
        else:
            break
    return Variants(tuple(variants), tuple((r, rejected[r]) for r in reasons if rejected[r]), count,
                    None if reasons is REASONS else reasons)


def _solve(variant: Problem, number: int) -> Solution:
    try:
        return solve(variant, exact_forms=False)
    except VerificationError as err:
        raise VerificationError(f"variant {number} of {err}") from None


def _key(values: dict[str, Matrix]) -> tuple:
    return tuple(sorted(values.items()))
