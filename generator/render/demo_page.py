"""The page of a generated demonstration: what was run, the measured table and the plot."""

from __future__ import annotations

import math
from fractions import Fraction

from ..solve.demos import AGREEMENT, EXPONENT_TOLERANCE, DemoResult
from . import claims as claim_boxes
from . import numbers as num
from .page import _indent
from .plot import line_chart
from .markdown import display_blocks
from .site import question_heading, solution_fold

PLOT_SVG = "operations.svg"
LABELS = {  # demo -> (size symbol, naive method, what is counted)
    "finite_difference_cost": ("d", "finite differences", "multiplications to get dl/dW(1)"),
    "path_blowup": ("L", "path-by-path expansion", "multiplications to get d out / d x1"),
}


def render_demo_page(result: DemoResult, asset_dir: str, handout_title: str) -> str:
    """The page as Markdown."""
    p = result.problem
    size, naive, counted = LABELS[p.demo]
    parts = [f"# {p.title}\n", f"*Handout {p.handout} ({handout_title}), section {p.section}.*\n"]
    if p.intro:
        parts.append(p.intro.strip() + "\n")
    for q in p.questions:
        head = f"{question_heading(q.number, q.text)}\n{claim_boxes.addition_label(q)}\n{q.text.strip()}\n"
        body = (_demo(result, asset_dir) if q.ask == "demo" else
                _growth_claims(result, q) if q.ask == "claims" else q.answer.strip() + "\n")
        parts.append(head + f"\n{solution_fold(q.number)}\n" + _indent(body) + "\n")
    return display_blocks("\n".join(parts))


GROWTH_SERIES = {  # series -> (size symbol, what is counted, the handout's way, the other way, which is judged)
    "chain": ("L", "calls of \\(f\\)", "re-evaluated as in (6.52)", "stored as in (6.51)", "naive"),
    "paths": ("L", "multiplications", "path by path", "backpropagation", "naive"),
    "finite_differences": ("d", "multiplications", "finite differences", "backpropagation", "naive"),
    "analytic": ("d", "multiplications", "finite differences", "backpropagation", "backprop"),
}


def _growth_claims(result: DemoResult, q) -> str:
    """Each growth statement of the handout against the measured counts."""
    parts = []
    paths = {r.size: r for r in result.rows}
    for v in (v for v in result.verdicts if v.claim in q.growth_claims):
        c = v.claim
        text = f"The handout states \\({c.statement}\\).\n\n**Why:** {c.verdict.reason}\n"
        if not c.series:
            parts.append(claim_boxes.box(v.kind, c.where, text + "\n*Nothing to compute: the slip is in the notation.*\n"))
            continue
        size, counted, naive, stored, column = GROWTH_SERIES[c.series]
        judged = naive if column == "naive" else stored
        rows = [f"| \\({size}\\) | {counted}, {naive} | {counted}, {stored} |", "|---:|---:|---:|"]
        rows += [f"| {r.size} | {r.naive:,} | {r.backprop:,} |" for r in v.rows]
        last = v.rows[-1]
        if v.measured == "polynomial":
            growth = (f"The {counted} ({judged}) grow like a power of \\({size}\\) (fitted exponent "
                      f"\\({num.number(v.exponent, 3)}\\)), which fits the counts better than an exponential does")
        else:
            growth = f"The {counted} ({judged}) grow exponentially ({num.number(v.doublings, 3)} doublings per step of \\({size}\\))"
        if v.kind == "erratum" and c.growth != v.measured:
            growth += f", not {c.growth}ly as stated. "  # the chain's comparison follows
        elif c.exponent is not None:
            stated = num.fraction(c.exponent)
            growth += (f", as stated (\\({size}^{{{stated}}}\\), within {num.number(EXPONENT_TOLERANCE, 2)} of the "
                       "fitted exponent).\n" if v.kind == "correct" else
                       f", not \\({size}^{{{stated}}}\\) as stated.\n")
        else:
            growth += ".\n"
        text += ("\nMeasured (every operation counted; both ways give the same derivative, checked against a "
                 "central difference):\n\n" + "\n".join(rows) + "\n\n" + growth)
        if c.series == "chain" and last.size in paths:
            p = paths[last.size]
            text += (f"At \\(L = {last.size}\\) the re-evaluation costs {last.naive:,} calls against "
                     f"{last.backprop:,}; the blow-up is exponential only where paths fan out and meet again, "
                     f"as in the width-2 network of the next question: {p.naive:,} multiplications path by "
                     f"path against {p.backprop:,} with backpropagation.\n")
        parts.append(claim_boxes.box(v.kind, c.where, text.rstrip(" ") + ("" if text.endswith("\n") else "\n")))
    return "\n".join(parts)


def _demo(result: DemoResult, asset_dir: str) -> str:
    p = result.problem
    size, naive, counted = LABELS[p.demo]
    rows = ["| \\(" + size + "\\) | " + naive + " | backpropagation | ratio |", "|---:|---:|---:|---:|"]
    for r in result.rows:
        rows.append(f"| {r.size} | {r.naive:,} | {r.backprop:,} | \\({num.number(Fraction(r.naive, r.backprop), 3)}\\) |")
    if p.demo == "path_blowup":
        growth = (f"The path-by-path count doubles with every layer (a fitted \\({num.number(result.naive_growth, 3)}\\) "
                  f"doublings per layer, i.e. \\(\\propto 2^{{L}}\\)); backpropagation adds a constant "
                  f"{num.number(result.backprop_growth, 3)} multiplications per layer: linear in \\(L\\).")
    else:
        growth = (f"Fitted on a log-log scale, finite differences grow like "
                  f"\\(d^{{{num.number(result.naive_growth, 3)}}}\\) and backpropagation like "
                  f"\\(d^{{{num.number(result.backprop_growth, 3)}}}\\).")
    return ("Measured by running both methods with every multiplication counted (the counts are "
            f"{counted}). At every size the two methods' derivatives, and a central finite difference, "
            f"agree to a relative difference {num.below(round(math.log10(AGREEMENT)))}: both computed the same thing.\n\n"
            + "\n".join(rows) + "\n\n" + growth + "\n\n"
            + f'<figure markdown="span">\n  ![Operation counts of {naive} and backpropagation against '
              f'{size}, on a log scale]({asset_dir}/{PLOT_SVG})\n</figure>\n')


def demo_plot(result: DemoResult) -> str:
    """The table's two columns against the size, log-scaled."""
    p = result.problem
    size, naive, counted = LABELS[p.demo]
    xs = [r.size for r in result.rows]
    return line_chart([(naive, xs, [r.naive for r in result.rows], "#b91c1c"),
                       ("backpropagation", xs, [r.backprop for r in result.rows], "#1d4ed8")],
                      x_label=size, y_label=counted, log_x=p.demo != "path_blowup",
                      title=f"{p.title}: {counted}")
