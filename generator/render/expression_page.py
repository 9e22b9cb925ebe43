"""The page of a scalar expression problem, and the DOT drawing of its computation graph."""

from __future__ import annotations

import math

import sympy as sp

from ..problem.validate_expression import derivative_symbol
from ..solve import derivation as dv
from ..solve.expression import (ChainRule, Claims, Derivative, ExpressionSolution, GraphDrawing,
                                ProseAnswer)
from . import numbers as num
from .markdown import display_blocks
from .site import anchor, question_heading
from .symbols import fill
from .page import _display, _indent

GRAPH_SVG = "computation-graph.svg"


def render_expression_page(solution: ExpressionSolution, asset_dir: str, handout_title: str) -> str:
    """The whole page as Markdown."""
    r = _Renderer(solution, asset_dir)
    p = solution.problem
    parts = [f"# {p.title}\n",
             f"*Handout {p.handout} ({handout_title}), section {p.section}.* Numbers are rounded to "
             f"{p.significant_figures} significant figures; exact forms are given where they exist.\n"]
    if p.intro:
        parts.append(p.intro.strip() + "\n")
    parts.append(r.given())
    parts.append(r.verification())
    for q, answer in solution.answers:
        head = f"{question_heading(q.number, q.text)}\n\n{q.text.strip()}\n"
        if q.note:
            head += f"\n*Note: {q.note.strip()}*\n"
        body = getattr(r, f"_{type(answer).__name__.lower()}")(q, answer)
        parts.append(head + '\n??? success "Solution"\n' + _indent(body) + "\n")
    if r.notes:
        parts.append("\n".join(r.notes) + "\n")
    return display_blocks("\n".join(parts))


class _Renderer:
    def __init__(self, solution: ExpressionSolution, asset_dir: str):
        self.s, self.p = solution, solution.problem
        self.figs = self.p.significant_figures
        self.assets = asset_dir
        self.notes: list[str] = []  # footnotes: how each marked equation was checked
        names = [v for v in self.p.variables] + [d.name for d in self.p.definitions]
        self.names = {sp.Symbol(n): self.p.symbols.get(n, _default_latex(n)) for n in names}
        for n in names:
            for v in self.p.variables:
                self.names[sp.Symbol(derivative_symbol(n, v))] = (
                    rf"\frac{{d{self.names[sp.Symbol(n)]}}}{{d{self.names[sp.Symbol(v)]}}}")

    def tex(self, expr: sp.Expr) -> str:
        return sp.latex(expr, symbol_names=self.names)

    def factor(self, expr: sp.Expr) -> str:
        """A factor of a product: in parentheses when it is a sum or negative."""
        tex = sp.latex(expr, symbol_names=self.names)
        return rf"\left({tex}\right)" if expr.is_Add or expr.could_extract_minus_sign() else tex

    def sym(self, name: str) -> str:
        return self.names.get(sp.Symbol(name), name)

    def n(self, x: float) -> str:
        return num.number(x, self.figs)

    def given(self) -> str:
        rows = [f"{self.sym(d.name)} &= {self.tex(d.formula)}" for d in self.p.definitions]
        point = ", ".join(rf"{self.sym(k)} = {num.fraction(v)}" for k, v in sorted(self.p.point.items()))
        text = "## Given\n\n"
        if rows:
            text += _display(*rows) + "\n"
        text += (f"Numbers are worked at \\({point}\\); derivative formulas are checked at "
                 + ", ".join(f"\\({num.fraction(x)}\\)" for x in self.p.samples) + ".\n")
        return text

    def verification(self) -> str:
        checks = self.s.checks
        kinks = [c for c in checks if c.kink]
        smooth = [c for c in checks if not c.kink and max(abs(c.analytic), abs(c.numeric)) >= 1e-6]
        body = (f"Every derivative on this page was computed with sympy, evaluated in float64 and "
                f"compared with a central finite difference before the page was written: "
                f"all {len(checks)} checks passed")
        if smooth:
            body += f", largest relative error \\({num.number(max(c.rel_error for c in smooth), 2)}\\)"
        body += "."
        if kinks:
            verb = "sits" if len(kinks) == 1 else "sit"
            body += (f" {len(kinks)} of them {verb} on a kink, where the derivative does not exist; there "
                     "the page states the one-sided derivatives and the convention used.")
        body += (" Every statement quoted from the handout was checked: symbolically with sympy and "
                 "numerically at the sample points.")
        return '!!! success "Verified"\n' + _indent(body) + "\n"

    def figure(self, file: str, alt: str) -> str:
        return f'<figure markdown="span">\n  ![{alt}]({self.assets}/{file})\n</figure>\n'

    # ------------------------------------------------------------ answers

    def _derivative(self, q, a: Derivative) -> str:
        x = self.sym(q.wrt)
        name = _op_name(a.derivations[0].op)
        prime = f"{name}'({x})" if name else f"f'({x})"
        text = ""
        for k, d in enumerate(a.derivations):
            if len(a.derivations) > 1:
                text += f"Written as \\({self.tex(d.lines[0].expr.expr)}\\):\n\n"
            text += self.derivation(prime, d, f"{anchor(q.number)}-{k + 1}")
        point = num.fraction(a.at)
        at = prime.replace(f"({x})", f"({point})")
        equals = num.equals(a.value, a.exact, self.figs)
        shown = sp.latex(a.at_form, symbol_names=self.names, order="none")
        rows = [f"{at} &= {shown} {equals}" if shown != num.exact(a.exact) else f"{at} &{equals}"]
        text += (f"At \\({x} = {point}\\), the point where this page works its numbers:\n\n" + _display(*rows)
                 + self.mark(f"{anchor(q.number)}-at",
                             f"The value at \\({x} = {point}\\) was compared with a central finite "
                             f"difference of \\({f'{name}({x})' if name else self.tex(a.function)}\\): relative error below "
                             f"\\({_bound(a.check.rel_error)}\\)."))
        checked = ", ".join(f"\\({num.fraction(smp.x)}\\)" for smp in a.samples)
        text += (f"\nThe derivative was also compared with central finite differences at {checked}: "
                 f"relative error below \\({_bound(max((smp.check.rel_error for smp in a.samples), default=0))}\\).\n")
        for k in a.kinks:
            op = a.derivations[0].op
            convention = f"\\({op.convention}\\)" if op is not None and op.convention else \
                f"\\({prime.replace(f'({x})', f'({num.fraction(k.x)})')} := {self.n(k.value)}\\)"
            text += (f"\nAt \\({x} = {num.fraction(k.x)}\\) the function has a kink and no derivative: the "
                     f"one-sided derivatives are \\({self.n(k.check.left)}\\) (left) and "
                     f"\\({self.n(k.check.right)}\\) (right). Any value between them is a subgradient; "
                     f"this site uses {convention}, the convention of the op table.\n")
        return text

    def derivation(self, lhs: str, d: dv.Derivation, key: str) -> str:
        """The lines of a derivation, each with the rules that justify it, and its check mark."""
        rows = [self.line(lhs if i == 0 else "", line) for i, line in enumerate(d.lines)]
        text = _display(*rows) + self.mark(key, _proof_note(d.lines))
        for k, ending in enumerate(d.endings):
            start = d.lines[d.rules_end - 1]
            text += ("\nThe same line also gives a closed form:\n\n"
                     + _display(f"{lhs} &= {self.tex(start.expr)}", *[self.line("", e) for e in ending])
                     + self.mark(f"{key}-{k + 1}", _proof_note(ending)))
        return text

    def line(self, lhs: str, line: dv.Line) -> str:
        because = _because(line.rules)
        tex = sp.latex(line.expr, symbol_names=self.names, order="none") if line.ordered else self.tex(line.expr)
        return f"{lhs} &= {tex}" + (rf" && {because}" if because else "")

    def mark(self, key: str, note: str) -> str:
        """A small check mark after an equation; how it was checked goes to a footnote."""
        self.notes.append(f"[^{key}]: {note}")
        return f'\n<small class="checked" title="Checked: see the note">✓ checked</small>[^{key}]\n\n'

    def _chainrule(self, q, a: ChainRule) -> str:
        of, wrt = self.sym(a.of), self.sym(a.wrt)
        lhs = rf"\frac{{d{of}}}{{d{wrt}}}"
        names = " + ".join(" ".join(rf"\frac{{\partial {self.sym(f.out)}}}{{\partial {self.sym(f.inp)}}}"
                                    for f in path) for path in a.paths)
        rows = [f"{lhs} &= {names}"]
        rows.append("&= " + " + ".join(" \\cdot ".join(self.factor(f.partial) for f in path)
                                        for path in a.paths))
        text = (f"\\({of}\\) depends on \\({wrt}\\) along {len(a.paths)} path"
                f"{'s' if len(a.paths) != 1 else ''}; the multivariate chain rule adds one product of "
                "local derivatives per path.\n\n")
        if a.general is not None:
            text += ("Leaving the inner derivatives as they are, the chain rule through "
                     f"\\({of}\\)'s direct inputs reads\n\n"
                     + _display(
                         f"{lhs} &= " + " + ".join(
                             rf"\frac{{\partial {of}}}{{\partial {self.sym(i)}}} \frac{{d{self.sym(i)}}}{{d{wrt}}}"
                             for i, _ in a.inner),
                         "&= " + " + ".join(
                             f"{self.factor(partial)} \\frac{{d{self.sym(i)}}}{{d{wrt}}}" for i, partial in a.inner),
                         *[f"&= {self.tex(form)}" for form in a.forms])
                     + "\nsympy confirms it with the inputs as arbitrary functions of "
                       f"\\({wrt}\\) (the difference simplifies to 0).\n\nWith the definitions above:\n\n")
        rows.append(f"&= {self.tex(a.composite)}")
        if a.value == a.value:  # not NaN: the computation has numbers
            rows.append(f"\\left.{lhs}\\right|_{{{wrt} = {num.fraction(self.p.point[a.wrt])}}} "
                        f"&{num.equals(a.value, a.exact, self.figs)}")
            text += _display(*rows)
            text += (f"\n*Check:* central difference \\({self.n(a.check.numeric)}\\), relative error "
                     f"\\({num.number(a.check.rel_error, 2)}\\).\n")
        else:
            text += _display(*rows)
        route = " and ".join(" → ".join([a.wrt] + [f.out for f in reversed(path)]) for path in a.paths)
        return text + "\n" + self.figure(
            path_svg_name(a), f"Computation graph with the paths {route} highlighted; each highlighted "
                              "edge is labelled with its local derivative, a factor of the product above")

    def _claims(self, q, a: Claims) -> str:
        parts = []
        for r in a.results:
            c = r.claim
            v = self.sym(c.variable)
            if r.holds:
                how = "sympy reduces the difference to 0" if r.symbolic_zero else \
                    f"both sides agree at every sample point"
                parts.append(f'!!! success "Correct: {c.where}"\n' + _indent(
                    f"The handout states \\({c.statement}\\). Checked: {how}, and numerically at "
                    + ", ".join(f"\\({v} = {num.fraction(x)}\\)" for x in self.p.samples) + ".\n"))
            else:
                x, left, right = r.counterexample
                lhs = (rf"\frac{{d}}{{d{v}}}\left({self.tex(c.lhs_is_derivative_of)}\right)"
                       if c.lhs_is_derivative_of is not None else self.tex(c.lhs))
                parts.append(f'!!! danger "Erratum: {c.where}"\n' + _indent(
                    f"The handout states \\({c.statement}\\). This is wrong. The correct form is\n\n"
                    + _display(f"{lhs} &= {self.tex(r.lhs)}")
                    + f"\nCounterexample at \\({v} = {num.fraction(x)}\\): the correct value is "
                      f"\\({self.n(left)}\\), the handout's formula gives \\({self.n(right)}\\).\n"))
        return "\n".join(parts)

    def _graphdrawing(self, q, a: GraphDrawing) -> str:
        return self.figure(GRAPH_SVG, f"Computation graph of {self.p.title}")

    def _proseanswer(self, q, a: ProseAnswer) -> str:
        return a.text.strip() + "\n"


def _op_name(op) -> str:
    """The op's name as printed, from its entry's LaTeX, e.g. \\sigma; "" when it has none."""
    if op is None or not op.latex.endswith(r"\left({a}\right)"):
        return ""
    return op.latex[: -len(r"\left({a}\right)")]


RULE_TEX = {  # rules named by the derivation engine, as printed beside a line
    "hyperbolic cosine": r"\cosh x = \tfrac{1}{2}\left(e^{x} + e^{-x}\right)",
    "hyperbolic secant": r"\operatorname{sech} x = 1/\cosh x",
}


def _rule_tex(rule: dv.Rule) -> str:
    """Why a line holds, as LaTeX for the right-hand column; the op's wording from its entry."""
    if rule.name == "the derivative asked":
        return ""
    if rule.op is not None:
        name = _op_name(rule.op)
        law = f"{name}'(u) = {fill(rule.op.latex_derivative_in_a, a='u')}"
        if rule.name == "definition":
            return rf"\text{{definition of }} {name}"
        if rule.name == "kink convention":
            return rf"\text{{at the kink: }} {rule.op.convention}"
        if rule.name == "derivative of the activation":
            return law
        if rule.name == "the op table's form, written out":
            return rf"{law}\text{{, with }} {name} \text{{ written out}}"
        return rf"\text{{the op table's form }} {law}"
    return RULE_TEX.get(rule.name, rf"\text{{{rule.name}}}")


def _because(rules) -> str:
    """The rules of one line: plain names run together in one \\text, op laws as formulas."""
    parts, words = [], []
    for rule in rules:
        tex = _rule_tex(rule)
        if tex.startswith(r"\text{") and tex.endswith("}") and tex.count("{") == 1:
            words.append(tex[len(r"\text{"):-1])
            continue
        if words:
            parts.append(rf"\text{{{', '.join(words)}}}")
            words = []
        if tex:
            parts.append(tex)
    if words:
        parts.append(rf"\text{{{', '.join(words)}}}")
    return r",\ ".join(parts)


def _proof_note(lines) -> str:
    """How the lines of a derivation were checked, in one sentence for a footnote."""
    by_sympy = sum(1 for ln in lines if ln.proof == "sympy")
    by_points = sum(1 for ln in lines if ln.proof == "points")
    parts = []
    if by_sympy:
        parts.append(f"{_count(by_sympy, 'line')} by sympy (the difference from the line before, with "
                     "sympy's own derivatives in place of each \\(\\frac{d}{dx}\\), simplifies to 0)")
    if by_points:
        parts.append(f"{_count(by_points, 'line')} that sympy could not decide, in float64 at "
                     f"{dv.RANDOM_POINTS} seeded random points of \\([-{dv.RANDOM_RANGE:g}, {dv.RANDOM_RANGE:g}]\\), "
                     f"where it agrees with the line before to a relative \\(10^{{{_exponent(dv.STEP_TOL)}}}\\)")
    return "Each line was checked against the line before it: " + "; ".join(parts) + "."


def _count(n: int, noun: str) -> str:
    return f"{'one' if n == 1 else n} {noun}{'' if n == 1 else 's'}"


def _exponent(tol: float) -> int:
    return round(math.log10(tol))


def _bound(error: float) -> str:
    """A bound for a measured error, never the noise itself: 10^-k just above it."""
    if error <= 0:
        return "10^{-15}"
    return f"10^{{{min(-1, math.floor(math.log10(error)) + 1)}}}"


def _default_latex(name: str) -> str:
    greek = {"sigma", "phi", "theta", "delta", "eta", "alpha", "beta", "gamma", "lambda", "mu", "tau"}
    head = name.rstrip("0123456789")
    base = f"\\{head}" if head in greek else head
    return f"{base}_{{{name[len(head):]}}}" if head != name else base


def path_svg_name(a: ChainRule) -> str:
    """The file of a chain question's highlighted graph."""
    return f"path-{a.of}-{a.wrt}.svg"


def expression_dot(solution: ExpressionSolution, chain: ChainRule | None = None) -> str:
    """Variables and definitions as boxes with their value and gradient; ids from names.

    With ``chain``, the edges of its paths are highlighted and labelled with their local
    derivatives (the factors of the written product, taken from the solution).
    """
    figs = solution.problem.significant_figures
    last = solution.problem.definitions[-1].name if solution.problem.definitions else ""
    on_path = {(f.inp, f.out): f.value for path in (chain.paths if chain else ()) for f in path}
    lines = ["digraph expression {", '  graph [rankdir=LR, bgcolor="white", nodesep=0.3, ranksep=0.5];',
             '  node [fontname="Helvetica,Arial,sans-serif", fontsize=13, shape=box];',
             '  edge [color="#475569", fontname="Helvetica,Arial,sans-serif", fontsize=12];']
    for n in solution.graph.nodes:
        value, grad = solution.values[n.name], solution.grads.get(n.name, float("nan"))
        title = n.name if n.formula is None else f"{n.name} = {_plain(n.formula)}"
        fill = "#dbeafe" if n.formula is None else "#ffffff"
        cells = [f"<TR><TD><B>{_escape(title)}</B></TD></TR>"]
        if value == value:
            cells.append(f"<TR><TD>value {_escape(num.number(value, figs))}</TD></TR>")
        if grad == grad and last and chain is None:  # a path drawing carries its derivatives on the edges
            cells.append(f'<TR><TD><FONT COLOR="#b91c1c">d{_escape(last)}/d{_escape(n.name)} '
                         f"{_escape(num.number(grad, figs))}</FONT></TD></TR>")
        label = '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0">' + "".join(cells) + "</TABLE>>"
        border = ', color="#7c3aed", penwidth=2.5' if chain and any(n.name in e for e in on_path) else ""
        lines.append(f'  n_{n.name} [style="rounded,filled", fillcolor="{fill}"{border}, label={label}];')
    for n in solution.graph.nodes:
        for i in n.inputs:
            if (i, n.name) in on_path:
                d = on_path[(i, n.name)]
                text = _escape(num.number(d, figs)) if d == d else f"d{n.name}/d{i}"
                lines.append(f'  n_{i} -> n_{n.name} [color="#7c3aed", penwidth=2.5, fontcolor="#7c3aed", '
                             f'label="{text}"];')
            else:
                faded = ' [color="#cbd5e1"]' if chain else ""  # off the highlighted paths
                lines.append(f"  n_{i} -> n_{n.name}{faded};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _plain(expr: sp.Expr) -> str:
    return str(expr).replace("**", "^")


def _escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace(r" \times 10^", "e").replace("{", "").replace("}", ""))
