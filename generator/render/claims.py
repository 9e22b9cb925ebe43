"""Verdict boxes for a handout's formulas: the handout's LaTeX, the reason, and the computed evidence.

The matrix formula language of the problem files never reaches a page: a recorded formula is
printed in LaTeX, in the page's own symbols, by ``formula_latex``.
"""

from __future__ import annotations

import re
import textwrap
from typing import Callable

import numpy as np

from ..solve.claims import MatrixClaimResult
from . import numbers as num
from .symbols import partial

# admonition type and title of each verdict (mkdocs-material admonitions)
BOXES = {"correct": ("success", "Correct"), "erratum": ("danger", "Erratum"),
         "convention": ("warning", "Convention"), "slip": ("info", "Slip")}
ADDITION_BOX = ("note", "Added for comparison")

_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3}


def box(kind: str, where: str, body: str, addition: bool = False) -> str:
    """One verdict box."""
    style, title = ADDITION_BOX if addition else BOXES[kind]
    return f'!!! {style} "{title}: {where}"\n' + textwrap.indent(body, "    ", lambda line: line.strip() != "")


def shapes_in_math(text: str) -> str:
    """'a 2x3 matrix' -> 'a \\(2 \\times 3\\) matrix' (the evaluator's messages are plain text)."""
    return re.sub(r"\b(\d+)x(\d+)\b", r"\\(\1 \\times \2\\)", text)


def formula_latex(tree: tuple, symbol: Callable[[str], str], objective: str) -> str:
    """A parsed matrix formula (problem.matrix_expr) in LaTeX, with the page's symbols."""
    kind = tree[0]
    if kind == "num":
        value = tree[1]
        return str(int(value)) if float(value).is_integer() else num.number(float(value), 6)
    if kind == "name":
        return {"m": "m", "eta": r"\eta"}.get(tree[1]) or symbol(tree[1])
    if kind == "neg":
        return "-" + _operand(tree[1], symbol, objective, 3)
    if kind == "call":
        name, args = tree[1], tree[2]
        if name == "d":
            return partial(objective, symbol(args[0][1]))
        inner = [formula_latex(a, symbol, objective) for a in args]
        if name == "T":
            return _transpose(args[0], inner[0])
        if name == "hadamard":
            return " \\odot ".join(_operand(a, symbol, objective, 3) for a in args)
        if name == "ones":
            return r"\mathbf{1}"
        if name == "aug":
            return rf"\begin{{bmatrix}} 1 \\ {inner[0]} \end{{bmatrix}}"
        if name == "step":
            return rf"\left[{inner[0]} > 0\right]"  # the Iverson bracket (docs/notation.md)
        if name == "sumcols":
            return _operand(args[0], symbol, objective, 2) + r" \mathbf{1}_{m}"
        raise ValueError(f"no LaTeX for the function {name!r}")
    left, right = tree[1], tree[2]
    if kind == "add":
        return f"{formula_latex(left, symbol, objective)} + {_operand(right, symbol, objective, 1)}"
    if kind == "sub":
        return f"{formula_latex(left, symbol, objective)} - {_operand(right, symbol, objective, 2)}"
    if kind == "div":
        top = formula_latex(left, symbol, objective)
        if left[0] == "neg":
            return rf"-\frac{{{formula_latex(left[1], symbol, objective)}}}{{{formula_latex(right, symbol, objective)}}}"
        return rf"\frac{{{top}}}{{{formula_latex(right, symbol, objective)}}}"
    return f"{_operand(left, symbol, objective, 2)} {_operand(right, symbol, objective, 2)}"  # mul


def _operand(tree: tuple, symbol, objective: str, level: int) -> str:
    text = formula_latex(tree, symbol, objective)
    precedence = 1.5 if tree[0] == "call" and tree[1] == "hadamard" else _PRECEDENCE.get(tree[0], 9)
    if precedence < level:
        return rf"\left({text}\right)"
    return text


def _transpose(tree: tuple, text: str) -> str:
    if tree[0] == "name" and "^" not in text and "\\frac" not in text:
        return f"{text}^{{\\top}}"
    if tree[0] == "name":
        return f"{{{text}}}^{{\\top}}"
    return rf"\left({text}\right)^{{\top}}"


def _display(*rows: str) -> str:
    """Display math as its own block (blank lines around it, or Markdown swallows it into the paragraph)."""
    body = " \\\\\n".join(rows)
    return f"\n\n\\[\n\\begin{{aligned}}\n{body}\n\\end{{aligned}}\n\\]\n\n"


def matrix_claim_box(r: MatrixClaimResult, symbol: Callable[[str], str], objective: str, figs: int,
                     input_symbol: str, source: str = "The handout states") -> str:
    """The verdict on one matrix formula, with its reason and the numbers that show it."""
    c = r.claim
    about = symbol(c.about) if c.about else ""
    grad = partial(objective, about)
    stated = c.layout == "numerator"  # the handout states numerator layout: compared with the transpose
    target = rf"{about} - \eta\, {grad}" if c.step else (rf"\left({grad}\right)^{{\top}}" if stated else grad)
    lhs = f"{about}_{{\\text{{new}}}}" if c.step else target
    mat = lambda m: num.numeric_matrix(m, figs)
    opening = ("Not in the handout, added for comparison:" if c.verdict.addition else
               "A tempting answer, checked:" if c.source == "answer" else source)
    text = f"{opening} \\({c.statement}\\).\n\n**Why:** {c.verdict.reason}\n"
    if c.claimed is None:
        return box(r.kind, c.where, text + "\n*Nothing to compute: the slip is in the notation.*\n")
    read = formula_latex(c.claimed, symbol, objective)
    how = "Read as meant" if r.kind == "slip" else "Read literally"
    text += f"\n{how}, in this page's symbols: \\({lhs} = {read}\\)."
    batch = f"this page's batch of \\(m = {r.batch}\\) samples" if r.batch > 1 else "this page's sample"
    if r.kind in ("correct", "slip"):
        what = ""
        if stated:
            what += "in the numerator layout the handout states (a gradient arranged like the transpose of its variable), "
        text += (f" Evaluated {what}on {batch}, it gives \\({target}\\) exactly (every entry of the gradient "
                 "checked against central differences):\n" + _display(f"{lhs} &\\approx {mat(r.correct)}"))
        return box(r.kind, c.where, text, c.verdict.addition)
    if r.kind == "convention":
        text += (f" On {batch} it gives the transpose of \\({grad}\\): right in numerator layout, where a "
                 "gradient is arranged like the transpose of its variable, which the handout does not state."
                 + _display(f"{read} &\\approx {mat(r.claimed)}", f"{grad} &\\approx {mat(r.correct)}"))
        text += _literal_step(r, about, grad, read, mat)
        return box(r.kind, c.where, text)
    # erratum
    if r.single_sample is not None:
        one, right = r.single_sample
        text += (f" For one sample (\\(m = 1\\): the first column of \\({input_symbol}\\)) it does give "
                 f"\\({target}\\):" + _display(f"{read} &\\approx {mat(one.value)}", f"{lhs} &\\approx {mat(right)}")
                 + f"\nbut the handout works on a batch, and on {batch} it does not: ")
    else:
        text += f" Counterexample, {batch}: "
    if r.literal.shape_error:
        text += (f"it cannot be evaluated: {shapes_in_math(r.literal.shape_error)}. The right value:"
                 + _display(f"{lhs} &\\approx {mat(r.correct)}"))
    elif r.claimed.shape != r.correct.shape:
        (a, b), (c_, d) = r.claimed.shape, r.correct.shape
        text += (f"it gives a \\({a} \\times {b}\\) matrix where the right value is \\({c_} \\times {d}\\)."
                 + _display(f"{read} &\\approx {mat(r.claimed)}", f"{lhs} &\\approx {mat(r.correct)}"))
    else:
        text += "its entries differ from the right value." + _display(
            f"{read} &\\approx {mat(r.claimed)}", f"{lhs} &\\approx {mat(r.correct)}")
    if r.intended is not None:
        text += (f"\nRead as \\({c.intended_statement}\\), it gives \\({target}\\) above "
                 "(evaluated and compared entry by entry).\n")
    return box(r.kind, c.where, text)


def _literal_step(r: MatrixClaimResult, about: str, grad: str, read: str, mat) -> str:
    """What goes wrong when a numerator-layout gradient is used as if it were shaped like its variable."""
    if r.proper_step is None:
        rows, cols = r.claimed.shape
        return (f"\nRead in denominator layout (a gradient shaped like its variable, \\({r.correct.shape[0]} "
                f"\\times {r.correct.shape[1]}\\)), it has the wrong shape, \\({rows} \\times {cols}\\).\n")
    eta = num.number(r.rate, 6)
    if r.literal_step.value is None:
        return (f"\nOne gradient-descent step with it, read literally, cannot be taken: "
                f"{shapes_in_math(r.literal_step.shape_error)}.\n")
    differs = not np.allclose(r.literal_step.value, r.proper_step, rtol=1e-9, atol=1e-12)
    return (f"\nOne gradient-descent step with \\(\\eta = {eta}\\), taken with it literally against the "
            "step with the gradient:" + _display(
                f"{about} - \\eta \\left({read}\\right) &\\approx {mat(r.literal_step.value)}",
                f"{about} - \\eta\\, {grad} &\\approx {mat(r.proper_step)}")
            + ("\nThe two steps differ: the literal one moves each entry by the gradient of its mirror "
               "entry.\n" if differs else "\n"))


def addition_label(q) -> str:
    """The line under an added question's heading: the site asks it, the handout does not."""
    return ("\n*Added by this site: not a question of the handout (it checks or extends the handout's "
            "material).*\n" if q.addition else "")
