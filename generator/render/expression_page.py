"""The page of a scalar expression problem, and the DOT drawing of its computation graph."""

from __future__ import annotations

import html
import math
import re

import sympy as sp

from ..problem.validate_expression import derivative_symbol
from ..solve import derivation as dv
from ..solve.expression import (ChainRule, Claims, Derivative, ExpressionSolution, GraphDrawing,
                                ProseAnswer)
from . import claims as claim_boxes
from . import numbers as num
from .markdown import display_blocks
from .site import anchor, question_heading, solution_fold
from .symbols import fill
from .page import _display, _indent, tolerance

GRAPH_SVG = "computation-graph.svg"


def render_expression_page(solution: ExpressionSolution, asset_dir: str, handout_title: str,
                           practice: str = "") -> str:
    """The whole page as Markdown; ``practice``, when given, the file name of its practice page
    (linked under the title)."""
    r = _Renderer(solution, asset_dir)
    p = solution.problem
    parts = [f"# {p.title}\n",
             f"*Handout {p.handout} ({handout_title}), section {p.section}.* "
             + num.stated(p.significant_figures) + "\n"]
    if practice:
        parts.append(f"[Try new numbers]({practice}){{.md-button}}: the questions that ask for a number, "
                     "at other points, checked as you type them.\n")
    if p.intro:
        parts.append(p.intro.strip() + "\n")
    parts.append(r.given())
    parts.append(r.verification())
    for q, answer in solution.answers:
        head = f"{question_heading(q.number, q.text)}\n{claim_boxes.addition_label(q)}\n{q.text.strip()}\n"
        if q.note:
            head += f"\n*Note: {q.note.strip()}*\n"
        body = getattr(r, f"_{type(answer).__name__.lower()}")(q, answer)
        parts.append(head + f"\n{solution_fold(q.number)}\n" + _indent(body) + "\n")
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
        """One sentence for students; how each number was checked, folded under it."""
        checks = self.s.checks
        kinks = [c for c in checks if c.kink]
        details = [f"- **Derivatives.** Every derivative was computed with sympy, evaluated in float64 and "
                   f"compared with a central finite difference ({num.count(len(checks), 'check')}): each agrees "
                   f"within the tolerance ({tolerance()})."]
        if kinks:
            details.append(f"- **Kinks.** {num.count(len(kinks), 'check')} {'sits' if len(kinks) == 1 else 'sit'} "
                           "on a kink, where the derivative does not exist; there the page states the one-sided "
                           "differences and the convention used.")
        details.append("- **The handout's statements.** Each was checked symbolically with sympy and "
                       "numerically at the sample points.")
        body = ("Every number on this page was checked before the page was written: every derivative "
                "was compared with a numerical estimate, and every statement quoted from the handout "
                "was checked.\n\n??? info \"How it was checked\"\n" + _indent("\n".join(details) + "\n"))
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
        text += self.point_value(prime, x, a.point, f"{name}({x})" if name else self.tex(a.function),
                                 anchor(q.number))
        checked = ", ".join(f"\\({num.fraction(smp.x)}\\)" for smp in a.samples)
        text += (f"\nThe derivative was also compared with central finite differences at {checked}: each "
                 f"agrees within the tolerance ({tolerance()}).\n")
        for k in a.kinks:
            op = a.derivations[0].op
            convention = f"\\({op.convention}\\)" if op is not None and op.convention else \
                f"\\({prime.replace(f'({x})', f'({num.fraction(k.x)})')} := {self.n(k.value)}\\)"
            text += (f"\nAt \\({x} = {num.fraction(k.x)}\\) the function has a kink and no derivative: the "
                     f"one-sided differences are \\({self.n(k.check.left)}\\) (left) and "
                     f"\\({self.n(k.check.right)}\\) (right). Any value between them is a subgradient; "
                     f"this site uses {convention}, the convention of the op table.\n")
        return text

    def point_value(self, prime: str, x: str, v, function: str, key: str) -> str:
        """f' at the page's point: the last line with the point put in, exact and rounded."""
        point = num.fraction(v.at)
        at = prime.replace(f"({x})", f"({point})")
        equals = num.equals(v.value, v.exact, self.figs)
        shown = self.ordered(v.form)
        rows = [f"{at} &= {shown} {equals}" if shown != num.exact(v.exact) else f"{at} &{equals}"]
        return (f"At \\({x} = {point}\\), the point where this page works its numbers:\n\n" + _display(*rows)
                + self.mark(f"{key}-at", f"The value at \\({x} = {point}\\) was compared with a central "
                                         f"finite difference of \\({function}\\): they agree within the "
                                         f"tolerance ({tolerance()}).",
                            "Value compared with a central finite difference"))

    def derivation(self, lhs: str, d: dv.Derivation, key: str) -> str:
        """The lines of a derivation, each with the rules that justify it, and its check mark."""
        rows = [self.line(lhs if i == 0 else "", line) for i, line in enumerate(d.lines)]
        text = _display(*rows) + self.mark(key, _proof_note(d.lines), _proof_summary(d.lines))
        for k, ending in enumerate(d.endings):
            start = d.lines[d.rules_end - 1]
            text += ("\nThe same line also gives a closed form:\n\n"
                     + _display(f"{lhs} &= {self.tex(start.expr)}", *[self.line("", e) for e in ending])
                     + self.mark(f"{key}-{k + 1}", _proof_note(ending), _proof_summary(ending)))
        return text

    def line(self, lhs: str, line: dv.Line) -> str:
        because = _because(line.rules)
        tex = self.ordered(line.expr) if line.ordered else self.tex(line.expr)
        return f"{lhs} &= {tex}" + (rf" && {because}" if because else "")

    def ordered(self, expr: sp.Expr) -> str:
        """An expression built in the op table's order: its top-level terms or factors kept in order."""
        if expr.is_Add:
            out = ""
            for k, term in enumerate(expr.args):
                tex = self.tex(term)
                out += tex if k == 0 else (f" {tex}" if tex.startswith("-") else f" + {tex}")
            return out
        if expr.is_Mul:
            return " ".join(self.factor(f) for f in expr.args)
        return self.tex(expr)

    def mark(self, key: str, note: str, summary: str) -> str:
        """A small check mark after an equation: a plain-text summary as its tooltip, the details
        (with their math) in a footnote."""
        self.notes.append(f"[^{key}]: {note}")
        title = html.escape(summary, quote=True)
        return f'\n<span class="checked" title="{title}">✓ checked[^{key}]</span>\n\n'

    def _chainrule(self, q, a: ChainRule) -> str:
        of, wrt = self.sym(a.of), self.sym(a.wrt)
        lhs = rf"\frac{{d{of}}}{{d{wrt}}}"
        general_before = self.other_chain(q, a, general=True, before=True)
        instance_elsewhere = self.other_chain(q, a, general=False, before=False)
        text = ""
        if a.general is not None:
            text += self.general_formula(q, a, lhs, general_before)
            if instance_elsewhere is not None:  # said once, where the general formula first appears
                return text + ("" if general_before is not None else
                               f"\nThe instance, with the definitions above and numbers, is worked in "
                               f"{self.link(instance_elsewhere)}.\n")
            text += "\nThe instance, with the definitions above:\n\n"
        elif general_before is not None:
            text += f"With the formula of {self.link(general_before)}:\n\n"
        return text + self.instance(q, a, lhs)

    def other_chain(self, q, a: ChainRule, general: bool, before: bool):
        """Another chain question on the same derivative: a general one before, or an instance."""
        for other, answer in self.s.answers:
            if other is q:
                if before:
                    return None
                continue
            if isinstance(answer, ChainRule) and (answer.of, answer.wrt) == (a.of, a.wrt) \
                    and (answer.general is not None) == general:
                return other
        return None

    def link(self, q) -> str:
        return f"[Question {q.number}](#{anchor(q.number)})"

    def general_formula(self, q, a: ChainRule, lhs: str, before) -> str:
        """The chain rule through ``of``'s direct inputs, then with their partial derivatives."""
        of, wrt = self.sym(a.of), self.sym(a.wrt)
        formula = self.s.graph.node(a.of).formula
        inputs = [i for i, _ in a.inner]
        d = {i: rf"\frac{{d{self.sym(i)}}}{{d{wrt}}}" for i in inputs}
        with_partials = " + ".join(d[i] if partial == 1 else f"{self.factor(partial)} {d[i]}" for i, partial in a.inner)
        because = rf"\text{{partial derivatives of }} {of} = {self.tex(formula)}"
        rows, notes = [], []
        if before is None:
            family = _family(inputs)
            terms = " + ".join(rf"\frac{{\partial {of}}}{{\partial {self.sym(i)}}} {d[i]}" for i in inputs)
            if family is not None:
                stem = self.p.symbols.get(family, _default_latex(family))
                rows.append(rf"{lhs} &= \sum_{{i=1}}^{{n}} \frac{{\partial {of}}}{{\partial {stem}_i}} "
                            rf"\frac{{d{stem}_i}}{{d{wrt}}} && " + _label(r"\text{multivariate chain rule}"))
                rows.append(rf"&= {terms} && " + _label(f"n = {len(inputs)}"))
            else:
                rows.append(rf"{lhs} &= {terms} && " + _label(r"\text{multivariate chain rule}"))
            notes.append(f"the chain rule was checked by sympy for an arbitrary function of {len(inputs)} "
                         f"inputs that depend on \\({wrt}\\)")
            rows.append(rf"&= {with_partials} && {_label(because)}")
            text = ""
        else:
            text = f"From {self.link(before)}, with the partial derivatives of \\({of} = {self.tex(formula)}\\):\n\n"
            rows.append(rf"{lhs} &= {with_partials} && {_label(because)}")
        notes.append("the line with the partial derivatives, with " + _names_list([f"\\({self.sym(i)}\\)" for i in inputs])
                     + f" arbitrary functions of \\({wrt}\\), was proved equal to sympy's derivative")
        why = ""
        for form in a.forms:
            shown = sp.latex(form, symbol_names=self.names, order="none")
            rows.append(rf"&= {shown} && " + _label(rf"\text{{{_rearranged(form, a.general)}}}"))
            notes.append("the last line was proved equal to the line before (their difference expands to 0)")
            why = self.why(a, formula, form)
        text += _display(*rows) + self.mark(f"{anchor(q.number)}-general", _sentence(notes),
                                            "Each line proved by sympy")
        return text + why + ("\n" if why else "")

    def why(self, a: ChainRule, formula: sp.Expr, form: sp.Expr) -> str:
        """One sentence: where the asked form comes from."""
        of, wrt = self.sym(a.of), self.sym(a.wrt)
        partials = _names_list([rf"\(\frac{{\partial {of}}}{{\partial {self.sym(i)}}} = {self.tex(p)}\)"
                                for i, p in a.inner])
        how = _rearranged(form, a.general)
        return (f"\n*Why:* the partial derivatives of \\({of} = {self.tex(formula)}\\) are {partials}; put into the "
                f"chain rule they give the line before the last, and the last line is the same sum "
                f"{'with its terms in the order the question writes them' if how.startswith('the same terms') else 'over a common denominator'}"
                f", which is the form asked.\n")

    def instance(self, q, a: ChainRule, lhs: str) -> str:
        """The paths from wrt to of, their products of local derivatives, the result and its value."""
        of, wrt = self.sym(a.of), self.sym(a.wrt)
        names = " + ".join(" ".join(rf"\frac{{\partial {self.sym(f.out)}}}{{\partial {self.sym(f.inp)}}}"
                                    for f in path) for path in a.paths)
        rows = [f"{lhs} &= {names}",
                "&= " + " + ".join(" \\cdot ".join(self.factor(f.partial) for f in _unit_free(path)) for path in a.paths),
                f"&= {self.tex(a.composite)}"]
        text = (f"\\({of}\\) depends on \\({wrt}\\) along {len(a.paths)} path"
                f"{'s' if len(a.paths) != 1 else ''}; the multivariate chain rule adds one product of "
                "local derivatives per path.\n\n")
        how = ("proved equal by sympy to the derivative of the composite function (their difference simplifies to 0)"
               if a.proof == "sympy" else "equal to the derivative of the composite function at every sample point")
        note = f"The sum over the paths, with the definitions put in, was {how}"
        if a.value == a.value:  # not NaN: the computation has numbers
            rows.append(f"\\left.{lhs}\\right|_{{{wrt} = {num.fraction(self.p.point[a.wrt])}}} "
                        f"&{num.equals(a.value, a.exact, self.figs)}")
            note += f"; its value agrees with a central finite difference within the tolerance ({tolerance()})"
        text += _display(*rows) + self.mark(f"{anchor(q.number)}-instance", note + ".",
                                            "Sum over the paths proved equal to the derivative"
                                            + ("; value compared with a central finite difference"
                                               if a.value == a.value else ""))
        route = " and ".join(" → ".join([a.wrt] + [f.out for f in reversed(path)]) for path in a.paths)
        return text + "\n" + self.figure(
            path_svg_name(a), f"Computation graph with the paths {route} highlighted; each highlighted "
                              "edge is labelled with its local derivative, a factor of the product above")

    def _claims(self, q, a: Claims) -> str:
        parts = []
        for k, r in enumerate(a.results):
            c = r.claim
            text = f"The handout states \\({c.statement}\\).\n\n**Why:** {c.verdict.reason}\n"
            if c.rhs is None:
                parts.append(claim_boxes.box(r.kind, c.where, text + "\n*Nothing to compute: the slip is in the notation.*\n"))
                continue
            v = self.sym(c.variable)
            if r.derivation is not None:  # the derivative judged against, derived first
                name = _op_name(r.derivation.op)
                prime = f"{name}'({v})" if name else f"f'({v})"
                function = f"{name}({v})" if name else self.tex(r.derivation.function)
                key = f"{anchor(q.number)}-claim-{k + 1}"
                parts.append(f"The derivative of \\({function}\\), by the rules:\n\n"
                             + self.derivation(prime, r.derivation, key)
                             + self.point_value(prime, v, r.point, function, key))
            points = ", ".join(f"\\({v} = {num.fraction(x)}\\)" for x in self.p.samples)
            if r.holds:
                how = "sympy reduces the difference of the two sides to 0" if r.symbolic_zero else \
                    "both sides agree at every sample point"
                parts.append(claim_boxes.box(r.kind, c.where, text + f"\nChecked: {how}, and numerically at {points}.\n"))
            else:
                x, left, right = r.counterexample
                lhs = (rf"\frac{{d}}{{d{v}}}\left({self.tex(c.lhs_is_derivative_of)}\right)"
                       if c.lhs_is_derivative_of is not None else self.tex(c.lhs))
                parts.append(claim_boxes.box(r.kind, c.where, text + "\nThe correct form:\n\n"
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


def _unit_free(path):
    """The factors of a path's product without the factors 1 (all of them if all are 1)."""
    kept = [f for f in path if f.partial != 1]
    return kept or list(path[:1])


def _family(inputs: list[str]) -> str | None:
    """The common stem when the inputs are x1, x2, ..., xn (n >= 2), written as a sum over i."""
    found = [re.fullmatch(r"([A-Za-z]+)(\d+)", i) for i in inputs]
    if len(inputs) < 2 or not all(found) or len({m.group(1) for m in found}) != 1:
        return None
    return found[0].group(1) if [int(m.group(2)) for m in found] == list(range(1, len(inputs) + 1)) else None


def _rearranged(form: sp.Expr, general: sp.Expr) -> str:
    """How the asked form differs from the chain rule's sum: term order, or a common denominator."""
    terms = sorted(sp.Add.make_args(sp.expand(form.doit())), key=sp.default_sort_key)
    if terms == sorted(sp.Add.make_args(sp.expand(general)), key=sp.default_sort_key) \
            and len(sp.Add.make_args(form)) == len(terms):
        return "the same terms, in the order asked"
    return "over a common denominator"


def _names_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _sentence(parts: list[str]) -> str:
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _because(rules) -> str:
    """The rules of one line: plain names run together in one \\text, op laws as formulas."""
    parts, words = [], []
    trivial = {"constant rule", "constant factor"}  # implied beside other rules: not listed then
    if any(r.name not in trivial for r in rules):
        rules = [r for r in rules if r.name not in trivial]
    rules = _merge_rules(rules)
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
    return _label(r",\ ".join(parts)) if parts else ""


def _merge_rules(rules) -> list:
    """'sum rule', 'chain rule' -> one rule named 'sum and chain rules'; others unchanged, in order."""
    named = [r.name[: -len(" rule")] for r in rules if r.op is None and r.name.endswith(" rule")]
    if len(named) < 2:
        return list(rules)
    merged = dv.Rule(", ".join(named[:-1]) + " and " + named[-1] + " rules")
    out, placed = [], False
    for r in rules:
        if r.op is None and r.name.endswith(" rule"):
            if not placed:
                out.append(merged)
                placed = True
        else:
            out.append(r)
    return out


def _label(tex: str) -> str:
    """The reason beside a line, set smaller than the line itself."""
    return rf"{{\small {tex}}}"


def _proof_summary(lines) -> str:
    """The footnote in a few plain words, for the mark's tooltip."""
    by_points = sum(1 for ln in lines if ln.proof == "points")
    if not by_points:
        return "Each line proved equal to the line before by sympy"
    return (f"Each line checked against the line before: by sympy, or ({_count(by_points, 'line')}) "
            f"at {dv.RANDOM_POINTS} seeded random points")


def _proof_note(lines) -> str:
    """How the lines of a derivation were checked, in one sentence for a footnote."""
    by_sympy = sum(1 for ln in lines if ln.proof == "sympy")
    by_points = sum(1 for ln in lines if ln.proof == "points")
    parts = []
    if by_sympy:
        parts.append(f"{_count(by_sympy, 'line')} by sympy (the difference from the line before, with "
                     "sympy's own derivatives in place of the unevaluated ones, simplifies to 0)")
    if by_points:
        parts.append(f"{_count(by_points, 'line')} that sympy could not decide, in float64 at "
                     f"{dv.RANDOM_POINTS} seeded random points of \\([-{dv.RANDOM_RANGE:g}, {dv.RANDOM_RANGE:g}]\\), "
                     f"where it agrees with the line before to a relative \\(10^{{{_exponent(dv.STEP_TOL)}}}\\)")
    return "Each line was checked against the line before it: " + "; ".join(parts) + "."


def _count(n: int, noun: str) -> str:
    return f"{'one' if n == 1 else n} {noun}{'' if n == 1 else 's'}"


def _exponent(tol: float) -> int:
    return round(math.log10(tol))


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
            cells.append(f"<TR><TD>value {_escape(num.plain(value, figs))}</TD></TR>")
        if grad == grad and last and chain is None:  # a path drawing carries its derivatives on the edges
            cells.append(f'<TR><TD><FONT COLOR="#b91c1c">d{_escape(last)}/d{_escape(n.name)} '
                         f"{_escape(num.plain(grad, figs))}</FONT></TD></TR>")
        label = '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0">' + "".join(cells) + "</TABLE>>"
        border = ', color="#7c3aed", penwidth=2.5' if chain and any(n.name in e for e in on_path) else ""
        lines.append(f'  n_{n.name} [style="rounded,filled", fillcolor="{fill}"{border}, label={label}];')
    for n in solution.graph.nodes:
        for i in n.inputs:
            if (i, n.name) in on_path:
                d = on_path[(i, n.name)]
                text = _escape(num.plain(d, figs)) if d == d else f"d{n.name}/d{i}"
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
