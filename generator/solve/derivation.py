"""A derivative worked one rule at a time, and each line proved equal to the line before.

The rules (sum, constant factor, product, quotient, power, chain, the elementary functions, the
op table's activations, pieces of a piecewise function) rewrite every unevaluated
``Derivative`` of a line one level down; each pass is one line, labelled with the rules it
used. Then the line is brought to the forms worth remembering: the op table's derivative rule
(e.g. sigma (1 - sigma)), and, for a hyperbolic function, its hyperbolic closed form.

Every line is checked against the line before with sympy (the difference, with sympy's own
derivatives substituted for the unevaluated ones, simplifies to 0); where sympy cannot tell,
the two are compared in float64 at seeded random points. A line that fails either raises
VerificationError: nothing on a page rests on a rule that was not checked.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

import sympy as sp
from sympy.functions.elementary.hyperbolic import HyperbolicFunction

from ..errors import VerificationError
from ..graph.ops import ACTIVATIONS, Activation
from .evaluate import NotNumeric, evaluate
from .symbolic import is_zero, simplify

RANDOM_POINTS = 8  # points for a step sympy cannot decide
RANDOM_SEED = 20240611  # fixed: the same points on every run and machine
RANDOM_RANGE = 3.0  # points drawn uniformly from [-3, 3] (none closer than 1e-3 to a kink at 0)
STEP_TOL = 1e-9  # relative: two lines agree at a point when they differ by no more than this
MAX_PASSES = 12  # rule passes before a derivation is abandoned as not terminating


@dataclass(frozen=True)
class Rule:
    """Why a line equals the line before: a rule's name, and the op entry it comes from."""

    name: str  # e.g. "quotient rule", "chain rule", "definition", "kink convention"
    op: Activation | None = None


@dataclass(frozen=True)
class Line:
    """One line ``= expr`` of a derivation; ``proof`` says how it was checked."""

    expr: sp.Expr
    rules: tuple[Rule, ...]
    proof: str = ""  # "sympy" (difference simplified to 0) or "points" (equal at random points)
    ordered: bool = False  # built unevaluated, in the op table's order: print its terms as they are


@dataclass(frozen=True)
class Derivation:
    """d/dx f: the lines of the main derivation, then other endings from its last rule line."""

    function: sp.Expr  # f as the problem states it
    wrt: sp.Symbol
    op: Activation | None  # the activation f applies, when it is one
    lines: tuple[Line, ...]
    endings: tuple[tuple[Line, ...], ...]  # each continues from ``lines[rules_end - 1]``
    rules_end: int  # lines[:rules_end] apply the rules; the rest simplify toward the op's form

    @property
    def result(self) -> sp.Expr:
        return self.lines[-1].expr


# ---------------------------------------------------------------- the op table, asked by value


def applied_op(e: sp.Expr) -> tuple[Activation, sp.Expr] | None:
    """(entry, argument) when ``e`` is an activation of the op table applied to an argument."""
    if isinstance(e, sp.Piecewise):
        candidates = [e.args[0][0]]
    elif isinstance(e, sp.Function) and len(e.args) == 1:
        candidates = [e.args[0]]
    else:
        return None
    for act in ACTIVATIONS.values():
        if not act.elementwise:  # softmax is no function of one number (its entry is e^a / sum)
            continue
        for a in candidates:
            forward = act.sym_forward(a)
            if forward == a:  # the identity applies no function
                continue
            if forward == e or (not isinstance(e, sp.Piecewise) and e.rewrite(sp.exp) == forward):
                return act, a
    return None


# ---------------------------------------------------------------- one level of the rules


ELEMENTARY = {  # d/du f(u), for the functions a formula may use
    sp.exp: ("exponential rule", lambda u: sp.exp(u)),
    sp.sin: ("derivative of sin", lambda u: sp.cos(u)),
    sp.cos: ("derivative of cos", lambda u: -sp.sin(u)),
    sp.sinh: ("derivative of sinh", lambda u: sp.cosh(u)),
    sp.cosh: ("derivative of cosh", lambda u: sp.sinh(u)),
    sp.log: ("derivative of log", lambda u: 1 / u),
}


class _Pass:
    """Rewrites each Derivative of a line one level; remembers the rules it used, in order."""

    def __init__(self, x: sp.Symbol):
        self.x = x
        self.used: list[Rule] = []

    def use(self, name: str, op: Activation | None = None) -> None:
        rule = Rule(name, op)
        if rule not in self.used:
            self.used.append(rule)

    def d(self, e: sp.Expr) -> sp.Expr:
        """d e / dx one level down: trivial derivatives at once, the others left unevaluated."""
        x = self.x
        if not e.has(x):
            self.use("constant rule")
            return sp.Integer(0)
        if e == x:
            return sp.Integer(1)
        return sp.Derivative(e, x)

    def apply(self, e: sp.Expr) -> sp.Expr:
        """One rule for the Derivative of ``e``."""
        x = self.x
        if e.is_Add:
            self.use("sum rule")
            return sp.Add(*[self.d(t) for t in e.args])
        if e.is_Mul:
            coeff, rest = e.as_independent(x, as_Add=False)
            if coeff != 1:
                self.use("constant factor")
                return coeff * self.d(rest)
            num, den = sp.fraction(e)
            if den != 1 and num != 1:
                self.use("quotient rule")
                return (den * self.d(num) - num * self.d(den)) / den**2
            self.use("product rule")
            factors = e.args
            return sp.Add(*[sp.Mul(*factors[:i], self.d(f), *factors[i + 1:]) for i, f in enumerate(factors)])
        if e.is_Pow:
            base, n = e.args
            if n.has(x):
                raise ValueError(f"no rule for a power with a variable exponent: {e}")
            self.use("power rule")
            return n * base ** (n - 1) * self.chain(base)
        found = applied_op(e)
        if found is not None and isinstance(e, sp.Piecewise):
            return self.piecewise(e)
        if found is not None:
            act, a = found
            self.use("derivative of the activation", act)
            return act.sym_derivative(a, e) * self.chain(a)
        for kind, (name, rule) in ELEMENTARY.items():
            if isinstance(e, kind):
                self.use(name)
                return rule(e.args[0]) * self.chain(e.args[0])
        if isinstance(e, sp.Piecewise):
            return self.piecewise(e)
        raise ValueError(f"no rule for {e}")

    def chain(self, inner: sp.Expr) -> sp.Expr:
        """The inner derivative of a composite; the chain rule is named when it is not x itself."""
        if inner != self.x:
            self.use("chain rule")
        return self.d(inner)

    def piecewise(self, e: sp.Piecewise) -> sp.Expr:
        """Each piece differentiated on the open set where it holds (not on the boundary)."""
        self.use("each piece on its own interval")
        pieces, conditions = [], []
        for value, condition in e.args:
            if condition is sp.true:
                condition = sp.And(*[_strict_complement(c) for c in conditions])
            pieces.append((self.d(value), condition))
            conditions.append(condition)
        return sp.Piecewise(*pieces)


def _strict_complement(condition: sp.Basic) -> sp.Basic:
    """Where ``condition`` is false, without its boundary: x > 0 gives x < 0."""
    flip = {sp.StrictGreaterThan: sp.StrictLessThan, sp.StrictLessThan: sp.StrictGreaterThan,
            sp.GreaterThan: sp.StrictLessThan, sp.LessThan: sp.StrictGreaterThan}
    for kind, other in flip.items():
        if isinstance(condition, kind):
            return other(condition.lhs, condition.rhs)
    return sp.Not(condition)


def rule_pass(expr: sp.Expr, x: sp.Symbol, complete: bool = False) -> Line:
    """Every Derivative in ``expr`` rewritten by one rule (``complete``: by rules until none is left)."""
    p = _Pass(x)
    for _ in range(MAX_PASSES):
        found = sorted(expr.atoms(sp.Derivative), key=sp.default_sort_key)
        if not found:
            break
        expr = expr.xreplace({d: p.apply(d.expr) for d in found})
        if not complete:
            break
    else:
        raise ValueError(f"the rules did not finish within {MAX_PASSES} passes")
    return Line(expr, tuple(p.used))


# ---------------------------------------------------------------- a whole derivation


def derive(function: sp.Expr, x: sp.Symbol, start: sp.Expr | None = None) -> Derivation:
    """d function / dx by the rules, from ``start`` (an equal form of it; default: in exponentials)."""
    found = applied_op(function)
    op = found[0] if found else None
    given = start
    if start is None:  # an activation written out (sigma and tanh in exponentials); others as given
        start = function.rewrite(sp.exp) if op is not None else function
    if start == function:
        first = Rule("definition", op) if op is not None else Rule("the derivative asked")
    else:
        first = Rule("definition", op) if given is None else Rule("as the handout writes it")
    lines = [Line(sp.Derivative(start, x), (first,))]
    # the outer rule on one line, then every inner derivative on the next
    lines.append(rule_pass(lines[-1].expr, x))
    if lines[-1].expr.has(sp.Derivative):
        lines.append(rule_pass(lines[-1].expr, x, complete=True))
    rules_end = len(lines)
    result = lines[-1].expr
    main, others = list(lines), []
    if op is not None:
        with sp.evaluate(False):  # in the op table's order, e.g. sigma (1 - sigma)
            target = op.sym_derivative(found[1], function)
        written_out = not any(applied_op(f) for f in result.atoms(sp.Function)) and not result.has(sp.Piecewise)
        if written_out:  # the result still in the form differentiated: toward the op's form, written out
            split = _split_fraction(result)
            if split is not None:
                main.append(Line(split, (Rule("split the fraction"),), ordered=True))
            with sp.evaluate(False):
                written = target.xreplace({function: start})
            if written.doit() != main[-1].expr and written != target:
                main.append(Line(written, (Rule("the op table's form, written out", op),), ordered=True))
            main.append(Line(target, (Rule("definition", op),), ordered=True))
        elif target.doit() != result:
            rule = "kink convention" if op.kinks else "the op table's form"
            main.append(Line(target, (Rule(rule, op),), ordered=True))
    else:
        simpler = simplify(result)
        if simpler != result:
            main.append(Line(simpler, (Rule("simplify"),)))
    in_exponentials = not result.atoms(sp.Function) - result.atoms(sp.exp)
    if op is not None and function.has(HyperbolicFunction) and in_exponentials:
        others.append(tuple(_hyperbolic(result)))
    return Derivation(function, x, op, tuple(main), tuple(e for e in others if e), rules_end)


def _split_fraction(e: sp.Expr) -> sp.Expr | None:
    """(a - b) / c as a/c - b/c, when that cancels a term (e.g. c^2 / c^2 = 1)."""
    num, den = sp.fraction(e)
    if den == 1 or not num.is_Add:
        return None
    terms = [t / den for t in num.args]
    if all(t.has(den) for t in terms):
        return None
    return sp.Add(*sorted(terms, key=lambda t: not t.is_Number), evaluate=False)  # 1 - ..., as read


def _hyperbolic(result: sp.Expr) -> list[Line]:
    """The numerator expanded, then the closed form in cosh, then in sech."""
    out = []
    num, den = sp.fraction(result)
    expanded = sp.expand(num) / den
    if expanded != result:
        out.append(Line(expanded, (Rule("expand the numerator"),)))
    closed = _in_cosh(expanded)
    if closed != expanded and closed.has(sp.cosh):
        out.append(Line(closed, (Rule("hyperbolic cosine"),)))
        sech = closed.rewrite(sp.sech)
        if sech != closed:
            out.append(Line(sech, (Rule("hyperbolic secant"),)))
    return out


def _in_cosh(e: sp.Expr) -> sp.Expr:
    """e^a + e^-a written as 2 cosh(a), e^a - e^-a as 2 sinh(a), wherever they occur."""
    pairs = {}
    for add in e.atoms(sp.Add):
        terms = add.args
        if len(terms) != 2:
            continue
        for first, second in (terms, terms[::-1]):
            if isinstance(first, sp.exp) and second == sp.exp(-first.args[0]):
                pairs[add] = 2 * sp.cosh(first.args[0])
            elif isinstance(first, sp.exp) and second == -sp.exp(-first.args[0]):
                pairs[add] = 2 * sp.sinh(first.args[0])
    return e.xreplace(pairs)


# ---------------------------------------------------------------- the proof of every line


def prove_lines(first: sp.Expr, lines: tuple[Line, ...], where: str) -> tuple[Line, ...]:
    """Each line checked equal to the line before (``first`` before the first); proofs recorded."""
    out, before = [], first
    for k, line in enumerate(lines, 1):
        proof = prove_equal(before, line.expr, f"{where}, line {k}")
        out.append(Line(line.expr, line.rules, proof, line.ordered))
        before = line.expr
    return tuple(out)


def prove_equal(a: sp.Expr, b: sp.Expr, where: str) -> str:
    """"sympy" when a - b simplifies to 0, "points" when equal at the seeded points; else raise."""
    proof, failure = _decide(a, b)
    if failure:
        raise VerificationError(f"{where}: {failure}")
    return proof


@functools.lru_cache(maxsize=4096)
def _decide(a: sp.Expr, b: sp.Expr) -> tuple[str, str]:
    """(proof, "") or ("", what is wrong); memoized: pages repeat the same derivations."""
    a, b = a.doit(), b.doit()
    in_exp = (a - b).rewrite(sp.exp)  # cheap tests first: most lines differ by algebra in exponentials
    if sp.expand(in_exp) == 0 or sp.cancel(in_exp) == 0:
        return "sympy", ""
    # sympy's full simplification, except for pieces (it seldom decides those, and slowly)
    if not in_exp.has(sp.Piecewise) and is_zero(sp.expand(a - b)):
        return "sympy", ""
    variables = sorted(a.free_symbols | b.free_symbols, key=str)
    rng = random.Random(RANDOM_SEED)
    for _ in range(RANDOM_POINTS):
        env = {v.name: _draw(rng) for v in variables}
        try:
            left, right = evaluate(a, env), evaluate(b, env)
        except (NotNumeric, ArithmeticError, ValueError, OverflowError) as err:
            return "", (f"sympy cannot show {_plain(b)} equal to the line before, {_plain(a)}, and it "
                        f"cannot be evaluated ({err})")
        if abs(left - right) > STEP_TOL * max(1.0, abs(left), abs(right)):
            at = ", ".join(f"{k} = {v:.6g}" for k, v in env.items())
            return "", (f"{_plain(b)} is not equal to the line before, {_plain(a)}: at {at} the line "
                        f"before gives {left:.12g}, this line {right:.12g}")
    return "points", ""


def _draw(rng: random.Random) -> float:
    while True:
        t = rng.uniform(-RANDOM_RANGE, RANDOM_RANGE)
        if abs(t) > 1e-3:
            return t


def _plain(e: sp.Expr) -> str:
    return str(e).replace("**", "^")
