"""A problem's practice page: its questions on seeded variants' numbers, with boxes to type the
answers, each variant's worked solution (rendered like the main page), and the named mistakes.

Everything the browser needs is in the page: the verified answers, their tolerances and the
mistakes' answers as JSON in each question's ``data-answer``, the mistakes' messages once per
page. ``docs/assets/javascripts/practice.js`` only shows the variant of ``?v=`` and compares.
The page is separate from the problem's page, so none of this loads until a student opens it.
"""

from __future__ import annotations

import html
import json
import re

import numpy as np

from ..graph.ops import ACTIVATIONS
from ..solve.variants import MAX_ATTEMPTS, Part, Practised, Variant, Variants, tolerance
from . import numbers as num
from .markdown import display_blocks
from .page import _Renderer
from ..solve.solution import Chain, Local, MatrixGradient, Update
from .symbols import fill, partial, whole

SCRIPT = "../../assets/javascripts/practice.js"  # from docs/handouts/<handout>/<page>.md


def practice_name(slug: str) -> str:
    """The practice page's file name beside the problem's page."""
    return f"{slug}-practice.md"


class _SolutionOnly(_Renderer):
    """The main page's renderer for one answer, without drawings or links into the main page."""

    def __init__(self, solution, asset_dir):
        super().__init__(solution, asset_dir)
        self.backward = None  # the general backward pass lives on the main page

    def path_figure(self, a) -> str:
        return ""

    def _check_line(self, c) -> str:
        return ""  # the checks are stated once, at the top of the page

    def _delta_form(self, q, a) -> str:
        """An entry reached along many paths: its value (the worked page writes out the sum)."""
        top = self.J if a.of is None else self.sym(a.of)
        return (f"\\({self.sym(a.param)}\\) reaches \\({top}\\) along many paths; the chain rule adds "
                "one product of local derivatives per path (the worked page writes the sum out). The "
                "backward pass gives\n\n"
                + f"\\[\n{partial(top, self.sym(a.param))} {num.approx(a.value, self.figs)}\n\\]\n")


def source(p, handout_title: str, addition: bool) -> str:
    """Where the problem comes from, as its worked page says it: a handout's section, or an
    addition beyond the handouts (which has no handout number)."""
    if addition:
        return f"*{handout_title}, problem {p.section}: an addition to the site, not from a course handout.*"
    return f"*Handout {p.handout} ({handout_title}), section {p.section}.*"


def render_practice(variants: Variants, slug: str, handout_title: str, addition: bool = False) -> str:
    """The practice page as Markdown (raw HTML for the boxes)."""
    first = variants.variants[0]
    p = first.problem
    count = len(variants.variants)
    rejected = variants.rejected_total
    kinds = {k for v in variants.variants for pr in v.practised for m in pr.mistakes for k in m.kinds}
    parts = ["---\nsearch:\n  exclude: true\n---\n",
             f"# Practice: {p.title}\n",
             f"{source(p, handout_title, addition)} The questions of "
             f"[the worked page]({slug}.md) with new numbers: {_how_many(variants)}, each solved and "
             f"checked like the page itself ({rejected} drawn numbers were rejected as unfit for "
             f"practice: {_reasons(variants)}). Type each answer to {p.significant_figures} significant "
             "figures and press **Check**: the answer is compared in your browser with the verified "
             "one, the first wrong entry is marked, and a known wrong derivation is named. "
             "The address ends in `?v=` and the variant's number, so a variant can be shared.\n",
             '<div class="practice" data-count="%d" markdown>\n' % count,
             '<nav class="practice-nav" aria-label="Variants"></nav>\n',
             messages_block(messages(first, kinds)),
             ]
    for v in variants.variants:
        parts.append(_variant(v))
    parts.append("</div>\n")
    parts.append(f'<script src="{SCRIPT}"></script>\n')
    return display_blocks("\n".join(parts))


def _how_many(variants: Variants) -> str:
    count = len(variants.variants)
    if count < variants.wanted:  # drawing stopped: the numbers around the page's are mostly unfit
        return f"{count} variants (of the {variants.wanted} asked for: no usable numbers in {MAX_ATTEMPTS} draws)"
    return f"{count} variants"


def _reasons(variants: Variants) -> str:
    if not variants.rejected:
        return "none"
    return "; ".join(f"{n} for {variants.why(r)}" for r, n in variants.rejected)


def _math(tex: str) -> str:
    """Inline math in raw HTML, as arithmatex writes it (the KaTeX hook renders it)."""
    return f'<span class="arithmatex">\\({html.escape(tex, quote=False)}\\)</span>'


def messages(v: Variant, used: set[str]) -> dict[str, str]:
    """What the page says (HTML) for each kind of mistake in ``used``."""
    s = v.solution
    g = s.graph
    sym = lambda name: whole(g, name)  # noqa: E731
    pred, target = g.objective.inputs[:2]
    says = {
        "transpose": "This is the transpose of the gradient: the entries of "
                     + _math(r"\tilde{x}\, \delta^\top") + " instead of " + _math(r"\delta\, \tilde{x}^\top")
                     + ", typed row by row.",
        "sign": f"The sign is wrong: this uses {_math(f'{sym(target)} - {sym(pred)}')} where the gradient of "
                f"the loss has {_math(f'{sym(pred)} - {sym(target)}')}.",
        "factor_2": "A factor 2 is missing: the derivative of a square " + _math("u^2") + " is "
                    + _math("2u") + ".",
        "batch_mean": "The " + _math(r"\frac{1}{m}") + " of the mean over the batch is missing.",
        "batch_sum": "This is the gradient of one sample's loss only (the first sample's): the batch's "
                     "gradient adds up the gradients of all " + _math("m") + " samples and takes "
                     + _math(r"\frac{1}{m}") + " of the sum.",
        "pre_for_post": "The weight gradient uses the layer input's pre-activation where its activation "
                        "(the value after the activation function) is needed.",
        "bias_column": "The bias column is forgotten: the 1 in front of the layer's input is left out, "
                        "so the entries are shifted by one column.",
    }
    for node in g.nodes:
        if node.kind != "activation":
            continue
        act = ACTIVATIONS[node.op]
        pre, post = sym(node.inputs[0]), sym(node.name)
        says.setdefault(f"no_derivative:{node.op}",
                        "The derivative of the activation " + _math(fill(act.latex, a=pre)) + ", the factor "
                        + _math(fill(act.latex_derivative, a=pre, z=post)) + ", is missing from the chain.")
        says.setdefault(f"post_as_pre:{node.op}",
                        "The activation's derivative is taken at the wrong quantity: at the pre-activation "
                        + _math(pre) + " where it needs the activation " + _math(post) + ", or the other "
                        "way round.")
    return only_used(says, used)


def only_used(says: dict[str, str], used: set[str]) -> dict[str, str]:
    """The messages of the mistakes a page uses, by kind; every one must have its message."""
    missing = used - set(says)
    if missing:
        raise ValueError(f"no message for the mistakes {sorted(missing)}")
    return {k: t for k, t in sorted(says.items()) if k in used}


def messages_block(says: dict[str, str]) -> str:
    """What the page says for each kind of mistake, once per page (hidden; the script shows it)."""
    items = "".join(f'<p data-kind="{k}">{t}</p>\n' for k, t in says.items())
    return f'<div class="practice-messages" hidden>\n{items}</div>\n'


def _variant(v: Variant) -> str:
    s = v.solution
    r = _SolutionOnly(s, "")
    given = []
    for node in s.graph.nodes:
        if node.is_leaf:
            m = r.oriented(node.name, s.problem.values[node.name])
            cells = [[num.fraction(x) for x in row] for row in m]
            shown = cells[0][0] if len(cells) == 1 and len(cells[0]) == 1 else num.matrix(cells)
            given.append(f"{whole(s.graph, node.name)} = {shown}")
    out = [f'<section class="practice-variant" data-v="{v.number}" hidden markdown>\n',
           f"**Variant {v.number}.**\n",
           "Given: " + ", ".join(f"\\({x}\\)" for x in given)
           + (f"; learning rate \\(\\eta = {num.fraction(s.problem.learning_rate)}\\)"
              if s.problem.learning_rate is not None else "") + ".\n"]
    for pr in v.practised:
        out.append(_question(r, pr))
    out.append("</section>\n")
    return "\n".join(out)


def _question(r: _SolutionOnly, pr: Practised) -> str:
    q = pr.question
    figures = r.p.significant_figures
    answer = next(a for asked, a in r.s.answers if asked is q)
    body = getattr(r, f"_{type(answer).__name__.lower()}")(q, answer)
    labels = _labels(r, answer, pr)
    boxes = "".join(_boxes(q.number, i, p, label) for i, (p, label) in enumerate(zip(pr.parts, labels)))
    return question_markup(q.number, q.text, question_data(pr, figures), boxes, body)


def question_data(pr: Practised, figures: int) -> dict:
    """What practice.js checks a question's typed answers with: each part's answer and
    tolerance, and each named mistake's values and tolerances (network and expression problems)."""
    return {"parts": [_part_data(p) for p in pr.parts],
            "mistakes": [{"kinds": list(m.kinds), "values": [_numbers(x) for x in m.values],
                          "tol": [_numbers(tolerance(_snapped(x), figures)) for x in m.values]}
                         for m in pr.mistakes]}


def question_markup(number: str, text: str, data: dict, boxes: str, body: str) -> str:
    """One question of a variant: its text, the boxes with the answer data, Check, the feedback
    line and the folded worked solution (the markup practice.js reads)."""
    return (f'<div class="practice-question" data-q="{html.escape(number)}" markdown>\n\n'
            f"**Question {number}.** {text.strip()}\n\n"
            f'<div class="practice-answer" data-answer="{html.escape(json.dumps(data, sort_keys=True))}">\n'
            f"{boxes}"
            '<p><button type="button" class="md-button practice-check">Check</button> '
            '<span class="practice-feedback" role="status" aria-live="polite"></span></p>\n'
            "</div>\n\n"
            '<details class="practice-solution" markdown>\n<summary>Worked solution</summary>\n\n'
            f"{body.strip()}\n\n</details>\n\n</div>\n")


NOISE = 1e-12  # below this a value is a zero computed with rounding errors (which depend on the BLAS)


def _snapped(m: np.ndarray) -> np.ndarray:
    """Zeros as zeros: a structurally zero entry can come out as 1e-16 on one CPU and 0 on another."""
    m = np.atleast_2d(np.asarray(m, dtype=float))
    return np.where(np.abs(m) < NOISE, 0.0, m)


def _numbers(m: np.ndarray) -> list:
    # 9 significant digits: plenty for a comparison at the page's rounding (at most 6), and far
    # above float noise (1e-16 relative), so no kernel changes a digit (at 12 one did)
    return [[float(f"{x:.9g}") for x in row] for row in _snapped(m)]


def _part_data(p: Part) -> dict:
    return {"value": _numbers(p.value), "tol": _numbers(p.tolerance)}


def _labels(r: _SolutionOnly, answer, pr: Practised) -> list[str]:
    """What each part is, as the worked page writes it: the value, the derivative, the new weight."""
    name = lambda p: r.sym(p.elem) if p.elem is not None else whole(r.g, p.node)  # noqa: E731
    if isinstance(answer, Local):
        return [partial(r.sym(answer.factor.out), name(pr.parts[0]))]
    if isinstance(answer, (Chain, MatrixGradient)):
        top = r.J if answer.of is None else r.sym(answer.of)
        return [partial(top, name(pr.parts[0]))]
    if isinstance(answer, Update):
        return [f"{{{name(p)}}}^{{\\text{{new}}}}" for p in pr.parts]
    return [name(p) for p in pr.parts]


def _boxes(number: str, index: int, p: Part, label: str) -> str:
    """The input boxes of one part: one for a number, a grid for a vector or matrix."""
    rows, cols = p.value.shape
    cells = []
    for i in range(rows):
        row = []
        for j in range(cols):
            where = "" if rows * cols == 1 else f", row {i + 1}, column {j + 1}"
            row.append(f'<td><input type="text" inputmode="decimal" autocomplete="off" size="9" '
                       f'data-part="{index}" data-row="{i}" data-col="{j}" '
                       f'aria-label="Question {html.escape(number)}, {html.escape(_plain(label))}{where}"></td>')
        cells.append("<tr>" + "".join(row) + "</tr>")
    return (f'<div class="practice-part"><span class="practice-label">{_math(label)} =</span>'
            f'<table class="practice-grid">{"".join(cells)}</table></div>\n')


def _plain(tex: str) -> str:
    """A symbol for a screen reader's label: the LaTeX without its markup."""
    out = re.sub(r"\\frac\{\\partial ([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}\{\\partial ([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}",
                 r"d\1 / d\2", tex)
    out = out.replace(r"^{\text{new}}", " new")
    for a, b in ((r"\hat{y}", "y hat"), (r"\mathbf", ""), ("\\", ""), ("{", ""), ("}", ""), ("^", " "), ("_", " ")):
        out = out.replace(a, b)
    return " ".join(out.split())
