"""Matrix expressions: the backward rules of the op table as small trees.

A tree is built once, in the generator's storage convention (column vectors, one column per
sample), and then
  - evaluated with numpy on a network's values (``evaluate``), to check it against the verified
    gradients, and
  - rewritten for the convention a handout uses (``in_rows``: row vectors, one row per sample),
    so that the formula printed in that convention is the one that is evaluated and checked.

Leaves name graph nodes. A ``Vec`` is a quantity stored as a column per sample (an activation, a
pre-activation, a target); in the row convention the same symbol denotes its transpose. A ``Mat``
is a parameter (a weight matrix or a bias column): the same in both conventions. ``Grad(n)`` is
dJ/dn, shaped like n.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Callable, Union

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class Vec:
    """A per-sample quantity (a layer's values, the target), stored as columns."""

    name: str


@dataclass(frozen=True)
class Mat:
    """A parameter (weight matrix or bias vector): the same matrix in every convention."""

    name: str


@dataclass(frozen=True)
class Grad:
    """dJ/d(node), shaped like the node; ``vector`` as for Vec (True) or Mat (False)."""

    name: str
    vector: bool = True


@dataclass(frozen=True)
class Ones:
    """The column of m ones that sums over the batch (x 1 = the sum of x's columns)."""


@dataclass(frozen=True)
class T:
    """Transpose."""

    x: "Expr"


@dataclass(frozen=True)
class MatMul:
    a: "Expr"
    b: "Expr"


@dataclass(frozen=True)
class Had:
    """Entry-by-entry (Hadamard) product."""

    a: "Expr"
    b: "Expr"


@dataclass(frozen=True)
class Sub:
    a: "Expr"
    b: "Expr"


@dataclass(frozen=True)
class Add:
    a: "Expr"
    b: "Expr"


@dataclass(frozen=True)
class ColumnSum:
    """1 1^T x: every entry replaced by the sum of its column (of one sample's entries), the
    coupling of an op whose output entry depends on every input entry (softmax)."""

    x: "Expr"


@dataclass(frozen=True)
class OneMinus:
    """1 - x, entry by entry."""

    x: "Expr"


@dataclass(frozen=True)
class Scale:
    """c x for a number c = num / (den * m^batch_power), m the batch size."""

    num: Fraction
    den: Fraction
    batch_power: int
    x: "Expr"
    symbol: str = ""  # LaTeX for the number when it has a name (the learning rate, eta)


@dataclass(frozen=True)
class Elementwise:
    """An op's function applied entry by entry (e.g. 1[z > 0]): ``latex`` has a ``{x}`` slot."""

    latex: str
    fn: Callable[[Array], Array]
    x: "Expr"
    per_sample: bool = False  # fn maps one sample (a stored column) at a time (softmax), not entries


@dataclass(frozen=True)
class Augment:
    """[1; x]: x with the constant 1 on top (the bias folded into column 0 of the weights)."""

    x: "Expr"


@dataclass(frozen=True)
class DropBias:
    """W without its column 0 (the bias column of a folded layer)."""

    x: "Expr"


@dataclass(frozen=True)
class Named:
    """A function the handout leaves open (Phi, g^{[l]}, J'), applied entry by entry to ``x``;
    ``tree`` is what it is on this page (e.g. 1 - h (.) h for tanh'), and ``fn`` the same as a
    numpy function of x. ``key`` looks up the handout's name; without one, ``tree`` is printed."""

    key: str
    x: "Expr"
    tree: "Expr"
    fn: Callable[[Array], Array]


Expr = Union[Vec, Mat, Grad, Ones, T, MatMul, Had, Sub, Add, ColumnSum, OneMinus, Named, Scale, Elementwise, Augment, DropBias]


# ---------------------------------------------------------------- building, with the obvious simplifications


def had(a: Expr, b: Expr | None) -> Expr:
    """a (.) b, or a alone when b is None (the derivative 1 of the identity)."""
    return a if b is None else Had(a, b)


def scale(num: Fraction, den: Fraction, batch_power: int, x: Expr, symbol: str = "") -> Expr:
    if num == den and batch_power == 0 and not symbol:
        return x
    return Scale(Fraction(num), Fraction(den), batch_power, x, symbol)


def children(e: Expr) -> tuple[Expr, ...]:
    """The sub-trees of ``e``."""
    if isinstance(e, Named):
        return (e.tree,)
    return tuple(v for k, v in vars(e).items() if k in ("x", "a", "b"))


# ---------------------------------------------------------------- evaluation


def evaluate(e: Expr, values: dict[str, Array], grads: dict[str, Array], rows: bool = False) -> Array:
    """The tree's value; with ``rows``, vector leaves are the transposes of the stored columns."""
    ev = lambda x: evaluate(x, values, grads, rows)  # noqa: E731
    if isinstance(e, Vec):
        return values[e.name].T if rows else values[e.name]
    if isinstance(e, Mat):
        return values[e.name]
    if isinstance(e, Grad):
        return grads[e.name].T if rows and e.vector else grads[e.name]
    if isinstance(e, Ones):
        m = _batch(values)
        return np.ones((m, 1))
    if isinstance(e, T):
        return ev(e.x).T
    if isinstance(e, MatMul):
        a, b = ev(e.a), ev(e.b)
        if a.shape[1] != b.shape[0]:
            raise ValueError(f"a {a.shape[0]}x{a.shape[1]} matrix times a {b.shape[0]}x{b.shape[1]} "
                             "matrix does not fit")
        return a @ b
    if isinstance(e, Had):
        a, b = ev(e.a), ev(e.b)
        if a.shape != b.shape:
            raise ValueError(f"the entry-by-entry product of a {a.shape[0]}x{a.shape[1]} and a "
                             f"{b.shape[0]}x{b.shape[1]} matrix does not fit")
        return a * b
    if isinstance(e, Sub):
        a, b = ev(e.a), ev(e.b)
        if a.shape != b.shape:
            raise ValueError(f"a {a.shape[0]}x{a.shape[1]} minus a {b.shape[0]}x{b.shape[1]} matrix does not fit")
        return a - b
    if isinstance(e, Add):
        a, b = ev(e.a), ev(e.b)
        if a.shape != b.shape and b.shape[1] == 1 and a.shape[0] == b.shape[0]:
            return a + b  # a bias column added to every sample's column
        if a.shape != b.shape and b.shape[0] == 1 and a.shape[1] == b.shape[1]:
            return a + b  # ... or, in rows, to every sample's row
        if a.shape != b.shape:
            raise ValueError(f"a {a.shape[0]}x{a.shape[1]} plus a {b.shape[0]}x{b.shape[1]} matrix does not fit")
        return a + b
    if isinstance(e, ColumnSum):
        x = ev(e.x)
        # a sample is a column (stored) or a row (the row convention)
        return np.broadcast_to(x.sum(axis=1, keepdims=True) if rows else x.sum(axis=0, keepdims=True),
                               x.shape).copy()
    if isinstance(e, OneMinus):
        return 1.0 - ev(e.x)
    if isinstance(e, Named):
        return ev(e.tree)
    if isinstance(e, Scale):
        m = _batch(values)
        return float(e.num / e.den) / m ** e.batch_power * ev(e.x)
    if isinstance(e, Elementwise):
        if e.per_sample and rows:  # samples are rows here: fn reads columns
            return e.fn(ev(e.x).T).T
        return e.fn(ev(e.x))
    if isinstance(e, Augment):
        x = ev(e.x)
        return np.hstack([np.ones((x.shape[0], 1)), x]) if rows else np.vstack([np.ones((1, x.shape[1])), x])
    if isinstance(e, DropBias):
        return ev(e.x)[:, 1:]
    raise TypeError(f"not a matrix expression: {e!r}")


BATCH_KEY = "__batch__"  # values[BATCH_KEY].shape[1] is the batch size m


def _batch(values: dict[str, Array]) -> int:
    return int(values[BATCH_KEY].shape[1])


# ---------------------------------------------------------------- the row convention


def in_rows(e: Expr) -> Expr:
    """The same formula for row vectors (one row per sample): a tree whose value, with vector
    leaves read as rows, is this tree's value transposed."""
    return _for_rows(e, transposed=True)


def as_is(e: Expr) -> Expr:
    """In the row convention, a tree whose value equals this tree's value (not transposed)."""
    return _for_rows(e, transposed=False)


# ops that act entry by entry commute with the transpose: rewritten operand by operand
_ENTRYWISE = (Had, Sub, Add, OneMinus, Named, Scale, Elementwise)
_OPERANDS = ("x", "a", "b", "tree")


def _for_rows(e: Expr, transposed: bool) -> Expr:
    """``e`` for row vectors: its value transposed (``in_rows``) or as it is (``as_is``)."""
    again = lambda x: _for_rows(x, transposed)  # noqa: E731
    if isinstance(e, (Vec, Mat, Grad, Ones, DropBias)):
        vector = isinstance(e, Vec) or (isinstance(e, Grad) and e.vector)
        return e if vector == transposed else T(e)  # a vector's symbol already denotes its row
    if isinstance(e, T):
        return _for_rows(e.x, not transposed)
    if isinstance(e, MatMul):  # (A B)^T = B^T A^T
        return MatMul(again(e.b), again(e.a)) if transposed else MatMul(again(e.a), again(e.b))
    if isinstance(e, (ColumnSum, Augment)):  # they act on a sample, a row here: written for rows
        rows = replace(e, x=_for_rows(e.x, True))
        return rows if transposed else T(rows)
    if isinstance(e, _ENTRYWISE):
        return replace(e, **{k: again(v) for k, v in vars(e).items() if k in _OPERANDS})
    raise TypeError(f"not a matrix expression: {e!r}")
