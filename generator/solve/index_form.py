"""Index form: one entry of a gradient, with free indices, from the matrix formulas.

The matrix formulas (solve.formulas) are read entry by entry: (A B)_{ij} = sum_k A_ik B_kj,
(A^T)_ij = A_ji, (A (.) B)_ij = A_ij B_ij. Deltas the handout names stay as symbols; the others are
unrolled into the formula of the layer above, so that the entry reads in the quantities the
question names. With ``expand`` the forward values are unrolled too, down to the inputs, the
target and the parameters (an update "in terms of w, b, x and y").

Entries are sympy ``Indexed`` objects on bases named after the graph's nodes (the renderer gives
them their symbols); indices are 1-based as the handout writes them. Every index form is checked:
evaluated at every index it can take, it must give the verified gradient entry by entry.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from dataclasses import dataclass
from itertools import product

import numpy as np
import sympy as sp

from ..errors import VerificationError
from ..graph import mexpr as mx
from ..graph.model import Graph
from ..graph.ops import activation_of
from ..problem.spec import Problem
from .formulas import Formulas
from .numeric import Values

SUM_LETTERS = ("k", "p", "q", "s", "u", "v")  # dummy indices of sums, in this order
BATCH = sp.Symbol("m", positive=True, integer=True)


@dataclass(frozen=True)
class IndexForm:
    """d(top)/d(wrt entry) with free indices, its instance and its value."""

    wrt: str  # node
    wrt_index: tuple  # page indices: sympy Symbols (free) or ints
    of: str | None  # None: J
    of_index: tuple
    free: tuple[sp.Symbol, ...]
    rhs: sp.Expr  # with free indices
    at: dict  # free symbol -> the worked 1-based index
    instance: sp.Expr  # rhs at the worked index, sums written out
    value: float
    # "where" lines: each intermediate quantity the form uses, written out entry by entry down to
    # the inputs, the target and the parameters: (entry with its own index, formula, index)
    definitions: tuple[tuple[sp.Expr, sp.Expr, sp.Symbol], ...] = ()


def elementwise_function(template: str, fn) -> type:
    """A sympy function printed with an op-table template (slot {x}) and evaluated with numpy."""
    return _elementwise_class(template, fn)


@functools.cache
def _elementwise_class(template: str, fn) -> type:
    def _eval(cls, arg):
        if arg.is_Number:
            return sp.Float(float(fn(np.array([[float(arg)]]))[0, 0]))
        return None

    def _latex(self, printer, exp=None):
        body = template.replace("{x}", printer._print(self.args[0])).replace("{a}", printer._print(self.args[0]))
        return body if exp is None else rf"\left({body}\right)^{{{exp}}}"

    name = "op_" + hashlib.sha256(template.encode()).hexdigest()[:8]  # stable: sympy sorts by it
    return type(name, (sp.Function,), {"eval": classmethod(_eval), "_latex": _latex, "nargs": 1})


class _Indexer:
    def __init__(self, problem: Problem, graph: Graph, formulas: Formulas, values: Values,
                 seed: tuple[str, tuple] | None, expand: bool, taken: set[str]):
        self.p, self.g, self.f, self.values = problem, graph, formulas, values
        self.seed = seed  # (node, storage index) of an entry differentiated instead of J
        self.expand = expand
        self.letters = [s for s in SUM_LETTERS if s not in taken]
        self.used = 0
        self.rows = formulas.rows
        self.batch = values[graph.nodes[0].name].shape[1]
        self.overrides: dict[str, mx.Expr] = {}
        if seed is not None:
            node = graph.node(seed[0])
            if node.kind == "activation":  # d h_r / d z: the activation's rule applied to e_r
                act = activation_of(node.op, node.param)
                self.overrides[node.inputs[0]] = act.vjp_matrix(mx.Grad(node.name), mx.Vec(node.inputs[0]),
                                                                mx.Vec(node.name))

    def fresh(self) -> sp.Symbol:
        letter = self.letters[self.used % len(self.letters)] + ("'" * (self.used // len(self.letters)))
        self.used += 1
        return sp.Symbol(letter, integer=True, positive=True)

    # ------------------------------------------------------------ leaves

    def entry(self, name: str, r, c) -> sp.Expr:
        """Entry (r, c) of a node, 1-based storage indices (row = unit, column = sample)."""
        node = self.g.node(name)
        if node.kind == "const":  # a fixed layer (ones, a zero bias): its numbers
            return sp.nsimplify(self.values[name][int(r) - 1, int(c) - 1]) \
                if isinstance(r, (int, sp.Integer)) and isinstance(c, (int, sp.Integer)) else \
                self._const(name, r, c)
        if node.kind == "param":
            if node.shape[1] == 1 and self.p.network.bias == "separate" and \
                    any(name == l.bias for l in self.p.network.layers):
                return sp.Indexed(sp.IndexedBase(name), r)
            col = c - 1 if self.p.network.bias == "folded" else c
            return sp.Indexed(sp.IndexedBase(name), r, col)
        if self.expand and node.kind in ("linear", "activation"):
            return self.forward(name, r, c)
        return sp.Indexed(sp.IndexedBase(name), *self.page_index(name, r, c))

    def _const(self, name: str, r, c) -> sp.Expr:
        m = self.values[name]
        if np.all(m == m.flat[0]):
            return sp.nsimplify(m.flat[0])
        raise NotImplementedError(f"a fixed matrix {name} with different entries at a free index")

    def page_index(self, name: str, r, c) -> tuple:
        rows, cols = self.values[name].shape
        if self.rows:
            return (c, r)
        return (r,) if cols == 1 else (r, c)

    def forward(self, name: str, r, c) -> sp.Expr:
        """A layer's value written out: z_r = sum_k W_rk x_k (+ b_r), h_r = g(z_r)."""
        node = self.g.node(name)
        if node.kind == "activation":
            act = activation_of(node.op, node.param)
            if act.derivative_matrix(mx.Vec("z"), mx.Vec("h")) is None:  # the identity: h = z
                return self.forward(node.inputs[0], r, c)
            return elementwise_function(act.latex, act.forward)(self.entry(node.inputs[0], r, c))
        x_name, w_name = node.inputs[0], node.inputs[1]
        n_in = self.values[x_name].shape[0]
        k = self.fresh()
        folded = 1 if self.p.network.bias == "folded" else 0
        total = _maybe_doit(sp.Sum(_mul(self.entry(w_name, r, k + folded), self.entry(x_name, k, c)), (k, 1, n_in)))
        terms = [self.entry(w_name, r, 1)] if folded else []
        terms.append(total)
        if len(node.inputs) > 2:
            terms.append(self.entry(node.inputs[2], r, 1))
        terms = [t for t in terms if t != 0]
        return terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)

    def grad(self, e: mx.Grad, r, c) -> sp.Expr:
        if self.seed is not None and e.name == self.seed[0]:
            (r0, c0) = self.seed[1]
            return sp.KroneckerDelta(r, r0 + 1) * sp.KroneckerDelta(c, c0 + 1)
        if e.name in self.overrides:
            return self.idx(self.overrides[e.name], r, c)
        if self.p.symbols.get(f"delta_{e.name}") and self.seed is None:
            return sp.Indexed(sp.IndexedBase(f"delta_{e.name}"), *self.page_index(e.name, r, c))
        eq = self.f.for_node(e.name)
        if eq is None:
            raise NotImplementedError(f"no formula for dJ/d{e.name}")
        return self.idx(eq.rhs, r, c)

    # ------------------------------------------------------------ the tree, entry by entry

    def idx(self, e: mx.Expr, r, c) -> sp.Expr:
        if isinstance(e, mx.Vec):
            return self.entry(e.name, r, c)
        if isinstance(e, mx.Mat):
            return self.entry(e.name, r, c)
        if isinstance(e, mx.Grad):
            return self.grad(e, r, c)
        if isinstance(e, mx.Ones):
            return sp.Integer(1)
        if isinstance(e, mx.T):
            return self.idx(e.x, c, r)
        if isinstance(e, mx.MatMul):
            inner = self.inner_size(e.a)
            if inner == 1:
                return _mul(self.idx(e.a, r, 1), self.idx(e.b, 1, c))
            k = self.fresh()
            return _maybe_doit(sp.Sum(_mul(self.idx(e.a, r, k), self.idx(e.b, k, c)), (k, 1, inner)))
        if isinstance(e, mx.Had):
            return _mul(self.idx(e.a, r, c), self.idx(e.b, r, c))
        if isinstance(e, mx.Sub):
            return sp.Add(self.idx(e.a, r, c), _mul(sp.Integer(-1), self.idx(e.b, r, c)), evaluate=False)
        if isinstance(e, mx.Add):
            return sp.Add(self.idx(e.a, r, c), self.idx(e.b, r, c), evaluate=False)
        if isinstance(e, mx.ColumnSum):  # sum_j x_{j c}: every unit of the sample
            j = self.fresh()
            size = self.values_shape(e.x)[0]
            return _maybe_doit(sp.Sum(self.idx(e.x, j, c), (j, 1, size)))
        if isinstance(e, mx.OneMinus):
            return sp.Add(sp.Integer(1), _mul(sp.Integer(-1), self.idx(e.x, r, c)), evaluate=False)
        if isinstance(e, mx.Scale):
            coef = sp.Rational(e.num) / sp.Rational(e.den)
            if e.batch_power and self.batch > 1:
                coef = coef / BATCH ** e.batch_power
            return _mul(coef, self.idx(e.x, r, c))
        if isinstance(e, mx.Named):  # a function the handout leaves open: its name, where it has one
            symbol = self.p.symbols.get(e.key.rstrip("'"))
            if symbol is None or e.fn is None:
                return self.idx(e.tree, r, c)
            prime = "'" if e.key.endswith("'") else ""
            return elementwise_function(f"{{{symbol}}}{prime}\\left({{x}}\\right)", e.fn)(self.idx(e.x, r, c))
        if isinstance(e, mx.Elementwise):
            return elementwise_function(e.latex, e.fn)(self.idx(e.x, r, c))
        if isinstance(e, mx.DropBias):
            return self.idx(e.x, r, c + 1)
        if isinstance(e, mx.Augment):  # [1; x]: row 1 is the constant of the bias
            if not isinstance(r, (int, sp.Integer)):
                raise NotImplementedError("a free index into a layer with its bias folded in")
            return sp.Integer(1) if r == 1 else self.idx(e.x, r - 1, c)
        raise NotImplementedError(f"no index form for {type(e).__name__}")

    def inner_size(self, e: mx.Expr) -> int:
        """The number of columns of ``e`` (the length of the sum in a product)."""
        return self.values_shape(e)[1]

    def values_shape(self, e: mx.Expr) -> tuple[int, int]:
        env = {**self.values, mx.BATCH_KEY: self.values[self.g.nodes[0].name]}
        zero_grads = {n.name: np.zeros_like(self.values[n.name]) for n in self.g.nodes}
        return mx.evaluate(e, env, zero_grads).shape


def _mul(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """a b, in this order (printed as the rules compose it); 1 and a Kronecker delta drop out."""
    if a == 1:
        return b
    if b == 1:
        return a
    if a == 0 or b == 0:
        return sp.Integer(0)
    if a == b:
        return sp.Pow(a, 2, evaluate=False)
    factors = lambda x: x.args if isinstance(x, sp.Mul) else (x,)  # noqa: E731 - flat, in order
    return sp.Mul(*factors(a), *factors(b), evaluate=False)


def _collapse(s: sp.Sum) -> sp.Expr:
    """sum_k f(k) delta_{k a} = f(a): the one term a Kronecker delta keeps (a is in range)."""
    (k, lo, hi) = s.limits[0]
    deltas = [f for f in sp.Mul.make_args(s.function) if isinstance(f, sp.KroneckerDelta) and k in f.args]
    if not deltas:
        return s
    a = [x for x in deltas[0].args if x != k][0]
    rest = [f for f in (s.function.args if isinstance(s.function, sp.Mul) else (s.function,)) if f is not deltas[0]]
    return sp.Mul(*rest, evaluate=False).xreplace({k: a}) if len(rest) > 1 else rest[0].xreplace({k: a})


def _maybe_doit(s: sp.Sum) -> sp.Expr:
    """A sum over one term is that term."""
    (k, lo, hi) = s.limits[0]
    return s.function.subs(k, lo) if lo == hi else s


def index_form(problem: Problem, graph: Graph, formulas: Formulas, values: Values, grads: Values,
               wrt: str, wrt_index: tuple, of: tuple[str, tuple] | None = None,
               question: str = "", worked: dict | None = None) -> IndexForm:
    """d(top)/d(wrt[wrt_index]) where indices are ints or free sympy Symbols, as a problem file
    writes them (W2[i,j]: row i, column j; h1[j]: unit j); ``of`` likewise names an entry
    differentiated instead of J. Checked at every index the free symbols can take."""
    free = tuple(dict.fromkeys(s for s in wrt_index + (of[1] if of else ()) if isinstance(s, sp.Symbol)))
    seed = None if of is None else (of[0], tuple(x - 1 for x in _storage(problem, graph, *of)))
    ix = _Indexer(problem, graph, formulas, values, seed, False, {str(s) for s in free})
    r, c = _storage(problem, graph, wrt, wrt_index)
    rhs = ix.idx(formulas.for_node(wrt).rhs, r, c)
    # a sum over a Kronecker delta (the one entry an intermediate question starts from) collapses
    rhs = rhs.replace(lambda x: isinstance(x, sp.Sum) and x.has(sp.KroneckerDelta), _collapse)
    return _checked(problem, graph, values, grads, wrt, wrt_index, of, free, rhs, question, ix, worked or {})


def _storage(problem: Problem, graph: Graph, name: str, index: tuple) -> tuple:
    """A problem file's index of an entry -> 1-based (row = unit, column = sample) storage."""
    node = graph.node(name)
    if node.kind in ("param", "const") and len(index) == 2:
        return index[0], index[1] + 1 if problem.network.bias == "folded" else index[1]
    if len(index) == 2:  # a layer's value in a batch: (unit, sample)
        return index[0], index[1]
    return (index[0] if index else 1), 1


def _checked(problem, graph, values, grads, wrt, wrt_index, of, free, rhs, question, ix, worked) -> IndexForm:
    """Evaluate ``rhs`` at every value of its free indices; compare with the verified gradient.
    ``worked`` (free symbol -> index) is the entry the page works; the first index by default."""
    from .numeric import backward  # the gradient of an intermediate entry, when one is asked
    ranges = [range(1, _extent(problem, graph, name, k) + 1)
              for s in free for name, k in [_where(s, wrt, wrt_index, of)]]
    shown = None
    for point in product(*ranges):
        subs = dict(zip(free, point))
        at = rhs.xreplace(subs)
        at = at.replace(lambda x: isinstance(x, (sp.Sum, sp.KroneckerDelta)), lambda x: x.doit())
        target = grads
        if of is not None:
            of_r, of_c = _storage(problem, graph, of[0], tuple(subs.get(x, x) for x in of[1]))
            target = backward(graph, values, (of[0], (int(of_r) - 1, int(of_c) - 1)))
        got = float(sp.N(at.xreplace(_leaf_table(graph, values, target, problem, ix))))
        r, c = _storage(problem, graph, wrt, tuple(subs.get(x, x) for x in wrt_index))
        want = float(target[wrt][int(r) - 1, int(c) - 1])
        if not np.isclose(got, want, rtol=1e-9, atol=1e-12):
            where = f"question {question}" if question else "an index form"
            raise VerificationError(
                f"{problem.path}: {where}: the index form of d/d{wrt}{list(subs.values())} gives {got!r}, "
                f"but the verified gradient is {want!r}; no page written")
        if shown is None or all(worked.get(str(k)) == v for k, v in subs.items()):
            shown = (subs, at, got)
    subs, at, got = shown
    return IndexForm(wrt, tuple(wrt_index), None if of is None else of[0], () if of is None else of[1],
                     free, rhs, subs, at, got)


def _where(symbol: sp.Symbol, wrt: str, wrt_index: tuple, of) -> tuple[str, int]:
    """Which quantity a free index belongs to, and at which position."""
    for name, index in [(wrt, wrt_index)] + ([of] if of else []):
        if symbol in index:
            return name, index.index(symbol)
    raise ValueError(symbol)


def _extent(problem: Problem, graph: Graph, name: str, position: int) -> int:
    """How many values index ``position`` of ``name`` takes (as a problem file counts)."""
    node = graph.node(name)
    n = node.shape[position]
    return n - 1 if node.kind in ("param", "const") and position == 1 and problem.network.bias == "folded" else n


def _leaf_table(graph: Graph, values: Values, grads: Values, problem: Problem, ix: _Indexer) -> dict:
    """Every Indexed entry the forms can hold -> its number (values, and named deltas)."""
    table: dict = {BATCH: ix.batch}
    for node in graph.nodes:
        m = values[node.name]
        for r, c in np.ndindex(m.shape):
            r1, c1 = r + 1, c + 1
            if node.kind in ("param", "const"):
                is_bias = m.shape[1] == 1 and any(node.name == l.bias for l in problem.network.layers) \
                    and problem.network.bias == "separate"
                key = sp.Indexed(sp.IndexedBase(node.name), r1) if is_bias else \
                    sp.Indexed(sp.IndexedBase(node.name), r1, c if problem.network.bias == "folded" else c1)
            else:
                key = sp.Indexed(sp.IndexedBase(node.name), *ix.page_index(node.name, r1, c1))
            table[key] = sp.Float(float(m[r, c]), 17)
            if problem.symbols.get(f"delta_{node.name}"):
                dkey = sp.Indexed(sp.IndexedBase(f"delta_{node.name}"), *ix.page_index(node.name, r1, c1))
                table[dkey] = sp.Float(float(grads[node.name][r, c]) if ix.seed is None else 0.0, 17)
    return table


def with_definitions(form: IndexForm, problem: Problem, graph: Graph, formulas: Formulas,
                     values: Values) -> IndexForm:
    """The form and the forward definition of every intermediate quantity it uses, recursively
    (z_p = sum_k W_pk x_k + b_p, h_p = g(z_p), ...), each checked at every index."""
    unit = sp.Symbol(next(x for x in "pqrt" if x not in {str(s) for s in form.free}), integer=True, positive=True)
    ix = _Indexer(problem, graph, formulas, values, None, False, {str(s) for s in form.free} | {str(unit)})
    table = _leaf_table(graph, values, {n.name: np.zeros_like(values[n.name]) for n in graph.nodes}, problem, ix)
    defs, seen, todo = [], set(), [form.rhs]
    while todo:
        expr = todo.pop(0)
        for entry in sorted(expr.atoms(sp.Indexed), key=sp.default_sort_key):
            name = str(entry.base.label)
            if name.startswith("delta_") or name in seen or graph.node(name).is_leaf:
                continue
            seen.add(name)
            rows, _ = values[name].shape
            index = unit if rows > 1 else 1
            rhs = ix.forward(name, index, 1)
            for value in range(1, rows + 1):  # the definition, checked entry by entry
                got = float(sp.N(rhs.xreplace({unit: value}).doit().xreplace(table)))
                if not np.isclose(got, float(values[name][value - 1, 0]), rtol=1e-12, atol=1e-12):
                    raise VerificationError(f"{problem.path}: the definition of {name} gives {got!r} at "
                                            f"{value}, not {float(values[name][value - 1, 0])!r}")
            lhs = sp.Indexed(sp.IndexedBase(name), *ix.page_index(name, index, 1))
            defs.append((lhs, rhs, unit if rows > 1 else None))
            todo.append(rhs)
    return dataclasses.replace(form, definitions=tuple(defs))
