"""The general formulas of a network page: each layer's delta, each gradient and each update, in
the problem's names and convention, as the solver derived and checked them (solve.formulas)."""

from __future__ import annotations

from ..graph import mexpr as mx
from ..graph.model import Graph
from ..problem.spec import Problem
from ..solve.formulas import Equation, Formulas, printed_tree
from . import mlatex
from .symbols import partial, whole

CHECK_MARK = ('<span class="checked" title="Checked: evaluated on this page\'s numbers, these formulas '
              'give the values the page verified (every gradient against finite differences).">✓ checked</span>')

ROLE_TEXT = {
    "loss": "the loss, differentiated by the prediction",
    "delta": "the delta of layer {layer}",
    "weight": "the weights of layer {layer}",
    "bias": "the biases of layer {layer}",
    "input": "the input of layer {layer}",
    "update": "one gradient-descent step for layer {layer}",
}


class BackwardWriter:
    """Writes the equations of ``formulas`` for one problem's page."""

    def __init__(self, problem: Problem, graph: Graph, formulas: Formulas, batch: int, objective: str,
                 asked: frozenset[str] = frozenset()):
        self.p, self.g, self.f = problem, graph, formulas
        self.asked = asked  # the nodes questions ask the gradient of
        self.batch = batch
        self.J = objective
        named = lambda key: problem.symbols.get(key)  # noqa: E731
        self.names = mlatex.Names(value=self.value, grad=self.grad, batch=batch, named=named)
        self.at_t = mlatex.Names(value=self.value_at_t, grad=self.grad_at_t, batch=batch, named=named)
        self.concrete = mlatex.Names(value=self.value, grad=self.grad, batch=batch, named=named, concrete=True)

    # ------------------------------------------------------------ symbols

    def value(self, name: str) -> str:
        return whole(self.g, name)

    def delta_name(self, name: str) -> str | None:
        """The handout's own name for dJ/d(name), e.g. delta^{[2]}; None when it has none."""
        return self.p.symbols.get(f"delta_{name}")

    def grad(self, name: str) -> str:
        return self.delta_name(name) or partial(self.J, self.value(name))

    def step(self, symbol: str, t: str) -> str:
        """W at step t: W_{t} or w^{(t)}, as the handout writes it."""
        if self.p.step_notation == "superscript":
            return f"{{{symbol}}}^{{({t})}}"
        return f"{{{symbol}}}_{{{t}}}"

    def entry_step(self, symbol: str, index: str, t: str) -> str:
        """One entry at step t: W^{(t)}_{i,j}, or (W_{t})_{i,j}."""
        if self.p.step_notation == "superscript":
            return f"{{{symbol}}}^{{({t})}}_{{{index}}}"
        return rf"\left({{{symbol}}}_{{{t}}}\right)_{{{index}}}"

    def value_at_t(self, name: str) -> str:
        node = self.g.node(name)
        return self.step(self.value(name), "t") if node.kind == "param" else self.value(name)

    def grad_at_t(self, name: str) -> str:
        return self.delta_name(name) or partial(self.J, self.value_at_t(name))

    # ------------------------------------------------------------ equations

    def lhs(self, e: Equation) -> str:
        if e.role == "forward":
            return self.value(e.node)
        if e.is_update:
            return self.step(self.value(e.node), "t+1")
        full = partial(self.J, self.value(e.node))
        named = self.delta_name(e.node)
        return f"{named} := {full}" if named else full

    def rhs(self, e: Equation) -> str:
        tree = printed_tree(e, self.g, self.f.rows)
        return mlatex.latex(tree, self.at_t if e.is_update else self.names)

    def row(self, e: Equation) -> str:
        """One aligned row: lhs &= rhs."""
        return f"{self.lhs(e)} &= {self.rhs(e)}"

    def shapes(self, e: Equation, values: dict) -> str:
        """The shapes of the factors of ``e`` and of the result, so a student can check the product."""
        parts, seen = [], set()
        for leaf in _leaves(printed_tree(e, self.g, self.f.rows)):
            text = self.grad(leaf.name) if isinstance(leaf, mx.Grad) else self.value(leaf.name)
            if text in seen:
                continue
            seen.add(text)
            parts.append(rf"\({text}\) is \({self.shape(leaf.name, values, isinstance(leaf, mx.Mat))}\)")
        result = self.shape(e.node, values, self.g.node(e.node).kind in ("param", "const"))
        return (f"Shapes: {', '.join(parts)}; the result is \\({result}\\), the shape of "
                f"\\({self.value(e.node)}\\).")

    def shape(self, name: str, values: dict, fixed: bool) -> str:
        r, c = values[name].shape
        if self.f.rows and not fixed:
            r, c = c, r
        return rf"{r} \times {c}"

    def block(self, equations: tuple[Equation, ...]) -> str:
        """Display math with one row per equation, and the check mark."""
        rows = " \\\\\n".join(self.row(e) for e in equations)
        return f"\\[\n\\begin{{aligned}}\n{rows}\n\\end{{aligned}}\n\\]\n\n{CHECK_MARK}\n"

    def section(self, values: dict) -> str:
        """The forward pass that defines every symbol, then the whole backward pass, top down,
        before the questions use it."""
        eqs = [e for e in self.f.equations if self.listed(e)]
        lines = ["## The backward pass in general {#backward-pass}\n",
                 "The forward pass defines each quantity from the one below it:\n",
                 self.block(tuple(e for e in self.f.forward  # not x^(3) = x^(3): an identity with one symbol
                                  if self.lhs(e) != self.rhs(e))),
                 self.intro() + "\n",
                 self.block(tuple(eqs))]
        opened = self.open_functions()
        if opened:
            lines.append("The handout leaves these functions open; on this page they are:\n")
            lines.append(opened)
        sums = self.batch > 1 and any(e.role == "bias" for e in eqs)
        notes = []
        if sums:
            notes.append(r"\(\mathbf{1}\) is the column of \(m\) ones: multiplying by it sums over the batch.")
        if any(isinstance(e.rhs, mx.Had) or _has(e.rhs, mx.Had) for e in eqs):
            notes.append(r"\(\odot\) is the entry-by-entry product.")
        if any(_has(e.rhs, mx.Augment) for e in eqs):
            notes.append(r"A tilde marks a layer's values with the constant 1 of the bias on top, "
                         r"and \(W_{:,\,1:}\) is \(W\) without its bias column (column 0).")
        if notes:
            lines.append(" ".join(notes) + "\n")
        return "\n".join(lines)

    def open_functions(self) -> str:
        """Each function the handout names but leaves open (Phi, g^{[l]}, J'), as this page's op
        table entry makes it, written with the page's symbols."""
        rows, seen = [], set()
        for e in self.f.forward + self.f.equations:
            for named in _named(printed_tree(e, self.g, self.f.rows)):
                text = mlatex.latex(named, self.names)
                if text in seen:
                    continue
                seen.add(text)
                rows.append(f"{text} &= {mlatex.latex(named, self.concrete)}")
        if not rows:
            return ""
        body = " \\\\\n".join(rows)
        return f"\\[\n\\begin{{aligned}}\n{body}\n\\end{{aligned}}\n\\]\n"

    def listed(self, e: Equation) -> bool:
        """In the overview: the deltas and parameter gradients; dJ/dyhat and dJ/d(a layer's
        values) when a question asks for them (each delta already contains them)."""
        if e.is_update:
            return False
        if e.role in ("loss", "input"):
            return e.node in self.asked
        return True

    def intro(self) -> str:
        conv = ("row vectors, one row per sample, as the handout writes them"
                if self.f.rows else "column vectors, one column per sample")
        m = f", averaged over a batch of \\(m = {self.batch}\\) samples" if self.batch > 1 else ""
        return (f"Backpropagation runs the chain rule once, from the loss down: each layer's delta "
                f"(the gradient of \\({self.J}\\) by its pre-activation) comes from the one above, and "
                f"gives the gradients of that layer's parameters. Written with {conv}{m}; each line is "
                "derived from the rules of its operation and checked on this page's numbers.")


def _leaves(e: mx.Expr) -> list:
    """The named leaves of a tree, left to right."""
    if isinstance(e, (mx.Vec, mx.Mat, mx.Grad)):
        return [e]
    return [leaf for c in mx.children(e) for leaf in _leaves(c)]


def _has(e: mx.Expr, kind: type) -> bool:
    return isinstance(e, kind) or any(_has(c, kind) for c in mx.children(e))


def _named(e: mx.Expr) -> list:
    """The open functions in a tree, outermost first."""
    if isinstance(e, mx.Named):
        return [e] + _named(e.x)
    return [n for c in mx.children(e) for n in _named(c)]
