"""The variants of a problem for instructors: JSON (questions, answers, tolerances, mistakes) and
Moodle XML "numerical" questions (one per variant and question with a single number to type)."""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

import numpy as np

from ..problem.spec import ExpressionProblem
from ..solve.variants import Variants
from .expression_page import _Renderer as _ExpressionNames
from .practice import messages as network_messages
from .practice_expression import answer_label
from .practice_expression import messages as expression_messages
from . import numbers as num
from .symbols import entry, whole


def _numbers(m: np.ndarray) -> list:
    return [[float(f"{x:.12g}") for x in row] for row in np.atleast_2d(m)]


def _expression(v) -> bool:
    return isinstance(v.problem, ExpressionProblem)


def _label(v, pr, part) -> str:
    s = v.solution
    if _expression(v):
        return answer_label(v, pr)
    return entry(s.problem, s.graph, part.elem) if part.elem is not None else whole(s.graph, part.node)


def _values(v) -> dict:
    """The given numbers: a network's values, or an expression problem's point (as 1x1 values)."""
    if _expression(v):
        return {name: ((x,),) for name, x in v.problem.point.items()}
    return v.problem.values


def _symbol(v, name: str) -> str:
    return _ExpressionNames(v.solution, "").sym(name) if _expression(v) else whole(v.solution.graph, name)


def _shown(m) -> str:
    """A given value as LaTeX: a number, or a matrix."""
    cells = [[num.fraction(x) for x in row] for row in m]
    return cells[0][0] if len(cells) == 1 and len(cells[0]) == 1 else num.matrix(cells)


def _given(v) -> dict[str, list[list[str]]]:
    return {name: [[str(x) for x in row] for row in m] for name, m in sorted(_values(v).items())}


def variants_json(variants: Variants, stem: str, seed: int) -> str:
    """Every variant's given numbers, questions, answers (with tolerances) and named mistakes."""
    out = {"problem": stem, "seed": seed, "count": len(variants.variants),
           "rejected": {variants.why(r): n for r, n in variants.rejected},
           "tolerance": "one unit in the last significant figure of the page's rounding",
           "variants": []}
    for v in variants.variants:
        questions = []
        for pr in v.practised:
            questions.append({
                "number": pr.question.number, "text": pr.question.text.strip(),
                "parts": [{"quantity": _label(v, pr, p), "value": _numbers(p.value), "tolerance": _numbers(p.tolerance)}
                          for p in pr.parts],
                "mistakes": [{"kinds": list(m.kinds), "values": [_numbers(x) for x in m.values]}
                             for m in pr.mistakes]})
        out["variants"].append({"variant": v.number, "rounding": v.problem.significant_figures,
                                "learning_rate": None if getattr(v.problem, "learning_rate", None) is None
                                else str(v.problem.learning_rate),
                                "given": _given(v), "questions": questions})
    return json.dumps(out, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def variants_moodle(variants: Variants, stem: str) -> str:
    """Moodle XML: a numerical question per variant and question that asks for one number; each
    named mistake is a 0 % answer whose feedback is the practice page's message for it."""
    items = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    used = {k for v in variants.variants for pr in v.practised for m in pr.mistakes for k in m.kinds}
    says = {}
    if variants.variants:
        first = variants.variants[0]
        says = (expression_messages if _expression(first) else network_messages)(first, used)
    for v in variants.variants:
        given = "; ".join(f"\\({_symbol(v, n)} = {_shown(m)}\\)" for n, m in sorted(_values(v).items()))
        for pr in v.practised:
            if len(pr.parts) != 1 or pr.parts[0].value.size != 1:
                continue
            part = pr.parts[0]
            text = f"<p>Given {given}.</p><p>{pr.question.text.strip()}</p><p>\\({_label(v, pr, part)}\\) = ?</p>"
            answers = [f'<answer fraction="100"><text>{part.value[0, 0]:.12g}</text>'
                       f"<tolerance>{part.tolerance[0, 0]:.12g}</tolerance></answer>"]
            for m in pr.mistakes:
                answers.append(f'<answer fraction="0"><text>{m.values[0][0, 0]:.12g}</text>'
                               f"<tolerance>{part.tolerance[0, 0]:.12g}</tolerance>"
                               f'<feedback format="html"><text>{escape(says[m.kinds[0]])}</text></feedback></answer>')
            items.append(f'<question type="numerical"><name><text>{escape(stem)} variant {v.number} '
                         f"question {escape(pr.question.number)}</text></name>"
                         f'<questiontext format="html"><text>{escape(text)}</text></questiontext>'
                         + "".join(answers) + "</question>")
    items.append("</quiz>")
    return "\n".join(items) + "\n"
