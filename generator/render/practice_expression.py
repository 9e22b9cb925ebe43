"""The practice page of an expression problem: its questions that ask for a number, at seeded
variants' points, with a box per answer, each variant's worked solution (rendered as the problem's
page renders it) and the named mistakes (solve/expression_variants.py).

The markup is the network practice page's (render/practice.py), so the same
``docs/assets/javascripts/practice.js`` shows the variant of ``?v=`` and compares."""

from __future__ import annotations

import sympy as sp

from ..solve.expression import ChainRule, Derivative
from ..solve.variants import Practised, Variant, Variants
from . import numbers as num
from .expression_page import _op_name, _Renderer
from .markdown import display_blocks
from .practice import (SCRIPT, _boxes, _how_many, _math, _reasons, messages_block, only_used,
                       question_data, question_markup, source)


class _SolutionOnly(_Renderer):
    """The problem page's renderer for one answer: no drawings, no footnotes, no links."""

    def figure(self, file: str, alt: str) -> str:
        return ""  # the computation graph is drawn on the worked page

    def mark(self, key: str, note: str, summary: str) -> str:
        return "\n"  # the checks are stated once, at the top of the page

    def link(self, q) -> str:
        return f"question {q.number}"


def render_expression_practice(variants: Variants, slug: str, handout_title: str, addition: bool = False) -> str:
    """The practice page as Markdown (raw HTML for the boxes)."""
    first = variants.variants[0]
    p = first.problem
    count = len(variants.variants)
    kinds = {k for v in variants.variants for pr in v.practised for m in pr.mistakes for k in m.kinds}
    names = ", ".join(f"\\({_Renderer(first.solution, '').sym(k)}\\)" for k in sorted(p.point))
    parts = ["---\nsearch:\n  exclude: true\n---\n",
             f"# Practice: {p.title}\n",
             f"{source(p, handout_title, addition)} The questions of [the worked page]({slug}.md) that ask "
             f"for a number, at other values of {names}: {_how_many(variants)}, each solved and checked like the "
             f"page itself ({variants.rejected_total} drawn points were rejected as unfit for practice: "
             f"{_reasons(variants)}). Type each answer to {p.significant_figures} significant figures and press "
             "**Check**: the answer is compared in your browser with the verified one, and a known wrong "
             "derivation is named. The address ends in `?v=` and the variant's number, so a variant can be "
             "shared.\n",
             '<div class="practice" data-count="%d" markdown>\n' % count,
             '<nav class="practice-nav" aria-label="Variants"></nav>\n',
             messages_block(messages(first, kinds))]
    for v in variants.variants:
        parts.append(_variant(v))
    parts.append("</div>\n")
    parts.append(f'<script src="{SCRIPT}"></script>\n')
    return display_blocks("\n".join(parts))


def messages(v: Variant, used: set[str]) -> dict[str, str]:
    """What the page says (HTML) for each kind of mistake in ``used``."""
    r = _Renderer(v.solution, "")
    says = {
        "no_inner": "A chain-rule step is missing its inner derivative: the derivative of the outer function, "
                    "taken at what is inside it, must be multiplied by the derivative of what is inside (as in "
                    + _math(r"\frac{d}{dx} e^{-x} = e^{-x} \cdot (-1)") + ").",
        "sign": "The sign is wrong: the minus sign of a rule is lost (as in "
                + _math(r"\frac{d}{du} u^{-1} = -u^{-2}") + ", " + _math(r"\frac{d}{du} \cos u = -\sin u")
                + " or the " + _math("-1") + " of " + _math(r"\frac{d}{dx}(-x)") + ").",
    }
    for q, a in v.solution.answers:
        if not isinstance(a, ChainRule):
            continue
        wrt = r.sym(a.wrt)
        for path in a.paths:
            for f in path:
                out, inp = r.sym(f.out), r.sym(f.inp)
                if f.inp == a.wrt:
                    says.setdefault(f"no_inner:{f.out}",
                                    f"The path through {_math(out)} is missing its inner derivative "
                                    + _math(rf"\frac{{d{out}}}{{d{wrt}}}")
                                    + ": each path's product of local derivatives runs all the way down to "
                                    + _math(wrt) + ".")
                if sp.sympify(f.partial).could_extract_minus_sign():
                    says.setdefault(f"sign:{f.out}:{f.inp}",
                                    "The local derivative " + _math(rf"\frac{{\partial {out}}}{{\partial {inp}}} = "
                                                                    + r.tex(f.partial))
                                    + " is taken with the wrong sign (as in a quotient rule written with a plus).")
    return only_used(says, used)


def _variant(v: Variant) -> str:
    r = _SolutionOnly(v.solution, "")
    point = ", ".join(f"\\({r.sym(k)} = {num.fraction(x)}\\)" for k, x in sorted(v.problem.point.items()))
    out = [f'<section class="practice-variant" data-v="{v.number}" hidden markdown>\n',
           f"**Variant {v.number}.**\n",
           f"At {point}.\n"]
    for pr in v.practised:
        out.append(_question(r, pr))
    out.append("</section>\n")
    return "\n".join(out)


def _label(r: _SolutionOnly, q, answer) -> str:
    """The number asked for, as the worked page writes it: sigma'(1.3), or d y/d x at x = 1.3."""
    if isinstance(answer, Derivative):
        x = r.sym(q.wrt)
        at = num.fraction(r.p.point[q.wrt])
        name = _op_name(answer.derivations[0].op)
        if name:
            return f"{name}'({at})"
        return rf"\left.\frac{{d}}{{d{x}}}\left({r.tex(answer.function)}\right)\right|_{{{x} = {at}}}"
    of, wrt = r.sym(answer.of), r.sym(answer.wrt)
    return rf"\left.\frac{{d{of}}}{{d{wrt}}}\right|_{{{wrt} = {num.fraction(r.p.point[answer.wrt])}}}"


def answer_label(v: Variant, pr: Practised) -> str:
    """The LaTeX of the number a practised question asks for (for the instructors' export)."""
    r = _SolutionOnly(v.solution, "")
    return _label(r, pr.question, next(a for asked, a in r.s.answers if asked is pr.question))


def _question(r: _SolutionOnly, pr: Practised) -> str:
    q = pr.question
    answer = next(a for asked, a in r.s.answers if asked is q)
    body = getattr(r, f"_{type(answer).__name__.lower()}")(q, answer)
    boxes = "".join(_boxes(q.number, i, p, _label(r, q, answer)) for i, p in enumerate(pr.parts))
    return question_markup(q.number, q.text, question_data(pr, r.p.significant_figures), boxes, body)
