"""Solve a problem: numbers, exact forms, chain-rule factors and their checks, per question."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, replace
from fractions import Fraction

import numpy as np
import sympy as sp

from ..errors import VerificationError
from ..graph.model import Graph
from ..graph.network import build_graph
from ..graph.ops import LOSSES, op_for
from ..problem.spec import MatrixClaim, Problem, Question, Ref
from . import claims
from . import finite_diff as fd
from .claims import MatrixClaimResult
from .formulas import Formulas, check_equation, derive, derive_forward, expanded, solve_formulas
from .index_form import IndexForm, index_form, with_definitions
from .chain import MAX_PATHS, Elem, Factor, count_paths, local_factor, paths
from .numeric import Values, backward, forward
from .symbolic import SymValues, exact, forward_exact, is_small, simplify

MAX_ENTRY_CHECKS = 2000  # check every gradient entry up to this many parameters


# ---------------------------------------------------------------- answers, one kind per question kind


@dataclass(frozen=True)
class Drawing:
    kind: str  # "network" or "graph"


@dataclass(frozen=True)
class WeightMatrices:
    names: tuple[str, ...]
    shapes: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Value:
    node: str
    elem: Elem | None  # one entry, or None for the whole node


@dataclass(frozen=True)
class Classification:
    node: str
    probability: float
    threshold: Fraction
    label: str


@dataclass(frozen=True)
class Local:
    factor: Factor
    check: fd.Check
    rule: str = ""  # the input's name when the activation's derivative is stated for any input
    rule_checks: tuple[fd.Check, ...] = ()  # that rule, at RULE_POINTS, against central differences


@dataclass(frozen=True)
class MatrixGradient:
    """d(of)/d(every entry of a node): a whole matrix, each entry checked."""

    of: Elem | None  # None: J
    wrt: str
    value: np.ndarray
    checks: tuple[fd.Check, ...]
    index: IndexForm | None = None  # one entry with free indices, when the question names one


@dataclass(frozen=True)
class Chain:
    of: Elem | None  # None: J
    param: Elem
    paths: tuple[tuple[Factor, ...], ...]
    value: float
    exact: sp.Expr | None
    check: fd.Check
    index: IndexForm | None = None  # the entry with free indices, or the sum over many paths


@dataclass(frozen=True)
class Step:
    param: Elem
    old: Fraction
    gradient: float
    new: float
    exact_new: sp.Expr | None
    check: fd.Check


@dataclass(frozen=True)
class MatrixStep:
    """W <- W - eta dJ/dW for a whole weight matrix or bias vector."""

    gradient: MatrixGradient
    old: np.ndarray
    new: np.ndarray


@dataclass(frozen=True)
class Update:
    rate: Fraction
    steps: tuple[Step | MatrixStep, ...]
    indexes: tuple[IndexForm, ...] = ()  # the gradient of each entry the question names, in general
    expanded: tuple = ()  # the updates written out in the given quantities (checked Equations)


@dataclass(frozen=True)
class ParameterCount:
    layer: int | None
    part: str
    rows: tuple[tuple[str, int, str], ...]  # (what, count, how counted)
    total: int


@dataclass(frozen=True)
class MatrixClaims:
    results: tuple[MatrixClaimResult, ...]


@dataclass(frozen=True)
class Prose:
    text: str
    collapsed: np.ndarray | None = None  # the product of the layers with identity activations


Answer = (MatrixClaims | Drawing | WeightMatrices | Value | Classification | Local | Chain | MatrixGradient | Update
          | ParameterCount | Prose)


@dataclass(frozen=True)
class Solution:
    """Everything the page shows, computed and checked."""

    problem: Problem
    graph: Graph
    values: Values
    grads: Values
    exact: SymValues | None
    answers: tuple[tuple[Question, Answer], ...]
    checks: tuple[fd.Check, ...]
    gradient_checks: tuple[fd.Check, ...] = field(default=())
    formulas: Formulas | None = None

    @property
    def all_checks(self) -> tuple[fd.Check, ...]:
        return self.checks + self.gradient_checks


# ---------------------------------------------------------------- solving


def leaf_values(problem: Problem) -> Values:
    """Inputs, targets and parameters as float64 arrays."""
    return {name: np.array([[float(v) for v in row] for row in m], dtype=np.float64)
            for name, m in problem.values.items()}


def elem_of(graph: Graph, problem: Problem, ref: Ref) -> Elem:
    """The stored entry a handout-style reference names (1-based rows; column 0 = folded bias)."""
    node = graph.node(ref.name)
    if not ref.index:
        return Elem(ref.name, (0, 0))
    if node.kind in ("param", "const") and len(ref.index) == 2:
        offset = 0 if problem.network.bias == "folded" else 1
        return Elem(ref.name, (ref.index[0] - 1, ref.index[1] - offset))
    return Elem(ref.name, (ref.index[0] - 1, 0))


def entry_text(graph: Graph, problem: Problem, name: str, index: tuple[int, int]) -> str:
    """A stored entry as the problem file writes it: 1-based, column 0 = a folded bias (the
    inverse of elem_of), e.g. W1[1,0]; a sample's column is named as such."""
    rows, cols = graph.node(name).shape
    if rows * cols == 1:
        return name
    if any(name == layer.weight for layer in problem.network.layers):
        offset = 0 if problem.network.bias == "folded" else 1
        return f"{name}[{index[0] + 1},{index[1] + offset}]"
    return f"{name}[{index[0] + 1}]" + (f" (sample {index[1] + 1})" if cols > 1 else "")


def solve(problem: Problem, exact_forms: bool = True) -> Solution:
    """Compute and verify every answer; raise VerificationError if any check fails.

    ``exact_forms`` False skips the exact sympy pass and the index forms of entries reached along
    many paths (a practice variant prints rounded numbers only); every finite-difference check
    and formula check still runs."""
    graph = build_graph(problem)
    leaves = leaf_values(problem)
    values = forward(graph, leaves)
    _not_saturated(problem, graph, values)
    grads = backward(graph, values)
    _check_finite(problem, graph, values, grads)
    exact_values = forward_exact(graph, problem.values) if exact_forms and is_small(graph) else None
    if exact_values is not None:
        _cross_check_exact(problem, values, exact_values)
    ctx = _Context(problem, graph, leaves, values, grads, exact_values)
    ctx.index_forms = exact_forms
    answers = tuple((q, ctx.answer(q)) for q in problem.questions)
    gradient_checks = tuple(_gradient_checks(problem, graph, leaves, grads))
    solution = Solution(problem, graph, values, grads, exact_values, answers,
                        tuple(ctx.checks), gradient_checks)
    failed = [c for c in solution.all_checks if not c.passed]
    if failed:
        # one line per derivative (a question's check and the gradient check may be the same one)
        lines = list(dict.fromkeys(f"  {c.what}: analytic {c.analytic!r}, central difference {c.numeric!r}"
                                   + (f", one-sided {c.left!r} / {c.right!r}" if c.kink else "") for c in failed))
        raise VerificationError(f"{problem.path}: {len(lines)} derivative(s) disagree with their "
                                f"finite-difference check; no page written:\n" + "\n".join(lines))
    # the general formulas, checked against the gradients that passed their checks
    return dataclasses.replace(solution, formulas=solve_formulas(problem, graph, values, grads))


def _not_saturated(problem: Problem, graph: Graph, values: Values) -> None:
    """A loss that takes logs refuses an output that rounds to 0 or 1 in float64 (saturated)."""
    node = graph.objective
    loss = LOSSES[node.op]
    pred = node.inputs[0]
    where = np.argwhere(loss.saturated(values[pred]))
    if len(where):
        i, k = (int(v) for v in where[0])
        raise VerificationError(
            f"{problem.path}: network.loss: {node.op}: the output {pred}[{i + 1}] of sample {k + 1} is "
            f"{float(values[pred][i, k])!r}, within {loss.clip:g} of 0 or 1: the output saturates, and the "
            f"loss's log would be clipped (its derivative wrong there); make the pre-activations "
            f"of the last layer smaller in size (smaller weights or inputs); no page written")


def _check_finite(problem: Problem, graph: Graph, values: Values, grads: Values) -> None:
    """Stop, naming the overflow, when float64 cannot hold a value or a gradient (else every
    check would fail as "nan vs nan")."""
    for kind, table in (("value", values), ("gradient", grads)):
        for node in graph.nodes:
            m = table.get(node.name)
            if m is None or np.all(np.isfinite(m)):
                continue
            index = tuple(int(i) for i in np.argwhere(~np.isfinite(m))[0])
            entry = entry_text(graph, problem, node.name, index)
            what = entry if kind == "value" else f"dJ/d{entry}"
            layer = next((l for l in problem.network.layers if node.name in (l.pre, l.post, l.weight, l.bias)), None)
            field_path = f"values.{layer.weight}" if layer is not None else "values"
            raise VerificationError(f"{problem.where(field_path)}: the {kind} {what} overflows float64 "
                                    f"(it is {m[index]}; float64 holds up to 1.8e308); use smaller numbers; "
                                    f"no page written")


def _cross_check_exact(problem: Problem, values: Values, exact_values: SymValues) -> None:
    """The numpy and sympy forward passes must agree on every value."""
    for name, m in exact_values.items():
        numeric = np.array(m.evalf(20).tolist(), dtype=np.float64)
        if not np.allclose(numeric, values[name], rtol=1e-12, atol=1e-12):
            raise VerificationError(f"{problem.path}: exact and float64 values of {name} disagree: "
                                    f"{numeric.tolist()} vs {values[name].tolist()}")


def _gradient_checks(problem: Problem, graph: Graph, leaves: Values, grads: Values) -> list[fd.Check]:
    """Every parameter entry for small networks, else random directions."""
    params = graph.params()
    if sum(leaves[p.name].size for p in params) > MAX_ENTRY_CHECKS:
        return fd.check_directions(graph, leaves, grads)
    checks = []
    for p in params:
        for index in np.ndindex(leaves[p.name].shape):
            probe = fd.objective_probe(graph, leaves, p.name, index)
            checks.append(fd.check(f"dJ/d{entry_text(graph, problem, p.name, index)}", float(grads[p.name][index]),
                                   probe, float(leaves[p.name][index])))
    return checks


class _Context:
    """Shared state while answering one problem's questions."""

    def __init__(self, problem: Problem, graph: Graph, leaves: Values, values: Values,
                 grads: Values, exact_values: SymValues | None):
        self.problem, self.graph, self.leaves = problem, graph, leaves
        self.values, self.grads, self.exact = values, grads, exact_values
        self.checks: list[fd.Check] = []
        self.formulas: Formulas | None = None
        self.index_forms = True  # the sum over many paths as an index form (sympy)

    def record(self, c: fd.Check) -> fd.Check:
        self.checks.append(c)
        return c

    def answer(self, q: Question) -> Answer:
        return getattr(self, f"_{q.ask}")(q)

    def _network_drawing(self, q: Question) -> Answer:
        return Drawing("network")

    def _computation_graph(self, q: Question) -> Answer:
        return Drawing("graph")

    def _weight_count(self, q: Question) -> Answer:
        return self._weight_shapes(q)

    def _weight_shapes(self, q: Question) -> Answer:
        weights = [p for p in self.graph.params() if p.name in {l.weight for l in self.problem.network.layers}]
        return WeightMatrices(tuple(p.name for p in weights), tuple(p.shape for p in weights))

    def _value(self, q: Question) -> Answer:
        elem = elem_of(self.graph, self.problem, q.of) if q.of.index else None
        return Value(q.of.name, elem)

    def _class(self, q: Question) -> Answer:
        name = q.of.name if q.of else self.problem.network.layers[-1].post
        p = float(self.values[name][0, 0])
        return Classification(name, p, q.threshold, q.labels[1] if p >= q.threshold else q.labels[0])

    def _local(self, q: Question) -> Answer:
        out = elem_of(self.graph, self.problem, q.of)
        inp = elem_of(self.graph, self.problem, q.wrt[0])
        factor = local_factor(self.graph, self.values, self.exact, out, inp)
        probe = fd.local_probe(self.graph, self.values, out.node, out.index, inp.node, inp.index)
        what = f"d{q.of}/d{q.wrt[0]}"
        check = self.record(fd.check(what, factor.value, probe, float(self.values[inp.node][inp.index])))
        if not q.rule:
            return Local(factor, check)
        rule_checks = tuple(self.record(c) for c in rule_checks_of(op_for(self.graph.node(out.node)),
                                                                    f"question {q.number}: the rule "))
        return Local(factor, check, q.rule, rule_checks)

    def derivative(self, of: Elem | None, wrt: Elem) -> tuple[float, fd.Check]:
        """d(of)/d(wrt) from the backward pass, with its finite-difference check."""
        grads = self.grads if of is None else backward(self.graph, self.values, (of.node, of.index))
        value = float(grads[wrt.node][wrt.index])
        probe = fd.entry_probe(self.graph, self.leaves, self.values,
                               None if of is None else (of.node, of.index), wrt.node, wrt.index)
        name = "J" if of is None else entry_text(self.graph, self.problem, of.node, of.index)
        c = fd.check(f"d{name}/d{entry_text(self.graph, self.problem, wrt.node, wrt.index)}", value, probe,
                     float(self.values[wrt.node][wrt.index]))
        return value, self.record(c)

    def _chain(self, q: Question) -> Answer:
        of = elem_of(self.graph, self.problem, q.of) if q.of and q.of.name != self.graph.objective.name else None
        if not q.wrt[0].index and self.graph.node(q.wrt[0].name).shape != (1, 1):
            gradient = self._matrix_gradient(of, q.wrt[0].name)
            return dataclasses.replace(gradient, index=self._index_form(q, None))
        param = elem_of(self.graph, self.problem, q.wrt[0])
        many = count_paths(self.graph, self.values, param, of) > MAX_PATHS
        found = [] if many else paths(self.graph, self.values, self.exact, param, of)
        value, c = self.derivative(of, param)
        total = None
        if found and self.exact is not None:
            total = simplify(sum((sp.Mul(*[f.exact for f in path]) for path in found), sp.Integer(0)))
        if found:
            by_paths = sum(float(np.prod([f.value for f in path])) for path in found)
            if not np.isclose(by_paths, value, rtol=1e-12, atol=1e-15):
                raise VerificationError(f"{self.problem.path}: chain-rule product {by_paths!r} differs "
                                        f"from the backward pass {value!r} for {q.wrt[0]}")
        elif count_paths(self.graph, self.values, param, of) == 0:
            total = sp.Integer(0)
        index = self._index_form(q, q.wrt[0].index) if (q.general or (many and self.index_forms)) else None
        if q.general and found:
            _teaches(self.problem, q, found)
        return Chain(of, param, tuple(tuple(p) for p in found), value, total, c, index)
    _gradient = _chain

    def _per_sample(self, entry: tuple[str, tuple]) -> bool:
        return self.graph.node(entry[0]).kind not in ("param", "const") and len(entry[1]) == 1

    def _index_form(self, q: Question, fixed: tuple[int, ...] | None) -> IndexForm | None:
        """The asked entry with its free indices (q.general), or at the worked entry (``fixed``)."""
        if q.general is None and fixed is None:
            return None
        self._formulas()
        wrt = q.general or (q.wrt[0].name, fixed)
        of = None
        if q.of is not None and q.of.name != self.graph.objective.name:
            of = q.general_of or (q.of.name, q.of.index)
        symbols = lambda index: tuple(sp.Symbol(x, integer=True, positive=True) if isinstance(x, str) else x  # noqa: E731
                                      for x in index)
        batch = self.values[self.problem.network.input_name].shape[1]
        if batch > 1:  # a layer's value in a batch: the sample is a free index too, k
            wrt = (wrt[0], wrt[1] + ("k",)) if self._per_sample(wrt) else wrt
            of = (of[0], of[1] + ("k",)) if of is not None and self._per_sample(of) else of
        worked = {"k": 1}  # the free letters at the entry the question is worked at
        for pattern, ref in ((q.general, q.wrt[0]), (q.general_of, q.of)):
            if pattern and ref is not None and ref.index:
                worked.update({x: v for x, v in zip(pattern[1], ref.index) if isinstance(x, str)})
        form = index_form(self.problem, self.graph, self.formulas, self.values, self.grads,
                          wrt[0], symbols(wrt[1]), None if of is None else (of[0], symbols(of[1])), q.number,
                          worked)
        return with_definitions(form, self.problem, self.graph, self.formulas, self.values) if q.expand else form

    def _matrix_gradient(self, of: Elem | None, wrt: str) -> MatrixGradient:
        """Every entry of d(of)/d(wrt), each checked (a few random directions beyond 2000 entries)."""
        grads = self.grads if of is None else backward(self.graph, self.values, (of.node, of.index))
        value = grads[wrt].copy()
        checks = []
        indices = list(np.ndindex(value.shape))
        if len(indices) > MAX_ENTRY_CHECKS:
            rng = np.random.default_rng(fd.SEED)
            indices = [indices[i] for i in sorted(rng.choice(len(indices), MAX_ENTRY_CHECKS, replace=False))]
        for index in indices:
            checks.append(self.derivative(of, Elem(wrt, tuple(int(i) for i in index)))[1])
        return MatrixGradient(of, wrt, value, tuple(checks))

    def _update(self, q: Question) -> Answer:
        rate = self.problem.learning_rate
        steps = []
        for ref in q.wrt:
            chain = self._chain(Question(number=q.number, text="", ask="gradient", wrt=(ref,)))
            if isinstance(chain, MatrixGradient):
                old = self.values[ref.name]
                steps.append(MatrixStep(chain, old, old - float(rate) * chain.value))
                continue
            old = self.problem.values[ref.name][chain.param.index[0]][chain.param.index[1]]
            new = float(old) - float(rate) * chain.value
            exact_new = None
            if chain.exact is not None:
                exact_new = simplify(exact(old) - exact(rate) * chain.exact)
            steps.append(Step(chain.param, old, chain.value, new, exact_new, chain.check))
        indexes = tuple(self._index_form(dataclasses.replace(q, wrt=(Ref(name, ()),), general=(name, index)), None)
                        for name, index in q.general_each)
        return Update(rate, tuple(steps), indexes, self._expanded_updates(q) if q.expand and not indexes else ())

    def _expanded_updates(self, q: Question) -> tuple:
        """W_{t+1} written in the given quantities only, each checked on the instance."""
        formulas = self._formulas()
        out = []
        for ref in q.wrt:
            e = expanded(formulas.for_node(ref.name, "update"), formulas, self.graph)
            check_equation(self.problem, self.graph, e, self.values, self.grads, formulas.rows, q.number)
            out.append(e)
        return tuple(out)

    def _formulas(self) -> Formulas:
        if self.formulas is None:
            self.formulas = Formulas(derive(self.problem, self.graph), self.problem.vectors == "row",
                                     derive_forward(self.problem, self.graph))
        return self.formulas

    def _parameter_count(self, q: Question) -> Answer:
        rows = []
        layers = [q.layer] if q.layer else range(1, len(self.problem.network.layers) + 1)
        for l in layers:
            layer = self.problem.network.layers[l - 1]
            if q.part in ("linear", "all"):
                for p in self.graph.params():
                    if p.layer == l:
                        rows.append((p.name, p.shape[0] * p.shape[1], f"{p.shape[0]} \\times {p.shape[1]}"))
            if q.part in ("activation", "all"):
                rows.append((f"{layer.activation}@{l}", 0, "no learned parameters"))
        return ParameterCount(q.layer, q.part, tuple(rows), sum(r[1] for r in rows))

    def _claims(self, q: Question) -> Answer:
        """Each handout formula judged on this network's batch (see solve/claims.py)."""
        batch = self.values[self.problem.network.input_name].shape[1]
        rate = None if self.problem.learning_rate is None else float(self.problem.learning_rate)
        here = claims.Instance(self.values, self.grads, batch, rate)
        results = []
        for claim in q.claims:
            if claim.about:  # the gradient a claim is judged against is checked entry by entry
                self._matrix_gradient(None, claim.about)
            try:
                results.append(claims.judge(claim, here, lambda k: self._one_sample(k, rate),
                                            is_param=bool(claim.about) and self.graph.node(claim.about).kind == "param"))
            except claims.VerdictMismatch as err:
                if any(not c.passed for c in self.checks):
                    continue  # a wrong gradient: its failed finite-difference check stops the build, naming the cause
                raise VerificationError(f"{self.problem.path}: question {q.number}: claim {claim.where!r}: "
                                        f"{err}") from None
        return MatrixClaims(tuple(results))

    def _one_sample(self, k: int, rate: float | None) -> claims.Instance:
        """The same network on sample k alone (m = 1): its values and gradients."""
        net = self.problem.network
        values = dict(self.problem.values)
        for name in (net.input_name, net.target_name):
            values[name] = tuple((row[k],) for row in values[name])
        one = replace(self.problem, values=values)
        graph = build_graph(one)
        forward_values = forward(graph, leaf_values(one))
        return claims.Instance(forward_values, backward(graph, forward_values), 1, rate)

    def _prose(self, q: Question) -> Answer:
        return Prose(q.answer, self._linear_collapse())

    def _linear_collapse(self) -> np.ndarray | None:
        """With identity activations the layers multiply out to one matrix (folded bias only)."""
        weights = [self.values[l.weight] for l in self.problem.network.layers]
        if self.problem.network.bias != "folded" or len(weights) < 2:
            return None
        total = None
        for w in weights:
            # layer l maps [1; h] to [1; W_l [1; h]]
            full = np.vstack([np.eye(1, w.shape[1]), w])
            total = full if total is None else full @ total
        return total[1:]


def _teaches(problem: Problem, q: Question, found: list[list[Factor]]) -> None:
    """A question with free indices must be worked at an entry that shows the rule: no factor 0 (a
    dead unit), and not on the diagonal of a square gradient, where a transpose would not show."""
    dead = [[f for f in path if f.value == 0.0] for path in found]
    if all(dead):  # every path has a factor 0: the entry is 0 and teaches nothing
        zero = [f for path in dead for f in path]
        raise VerificationError(
            f"{problem.path}: question {q.number}: worked at {q.wrt[0]}, where a factor of the chain is 0 "
            f"(d{zero[0].out.node}/d{zero[0].inp.node} = 0: a unit that is off), so the answer is 0 and shows "
            f"nothing of the rule; choose another entry for 'wrt' (every factor non-zero)")
    if len(q.general[1]) == 2 and all(isinstance(x, str) for x in q.general[1]) \
            and q.wrt[0].index[0] == q.wrt[0].index[1]:
        raise VerificationError(
            f"{problem.path}: question {q.number}: worked at {q.wrt[0]}, on the diagonal (i = j), where "
            "the gradient and its transpose agree; choose an entry with i != j")


# Where an activation's derivative, stated for any input, is checked: spread over both signs,
# none within 0.1 of a kink the op table lists (ReLU's 0).
RULE_POINTS = (-2.5, -1.25, -0.5, -0.125, 0.25, 0.75, 1.5, 3.0)


def rule_checks_of(op, what: str) -> list[fd.Check]:
    """g'(x) as the page prints it (the op table's exact derivative, evaluated by sympy) against
    the central difference of g's float64 forward rule, at each of RULE_POINTS."""
    checks = []
    for x in RULE_POINTS:
        if any(abs(x - k) < 0.1 for k in op.kinks):
            continue
        exact_x = sp.Rational(x)
        printed = float(op.sym_derivative(exact_x, op.sym_forward(exact_x)).evalf(30))

        def probe(v: float) -> tuple[float, bytes]:
            return float(op.forward(np.array([[v]]))[0, 0]), bytes(v > k for k in op.kinks)

        checks.append(fd.check(f"{what}d/dx {op.name}(x) at x = {x:g}", printed, probe, x))
    return checks

