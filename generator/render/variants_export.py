"""The variants of a problem for instructors: JSON (questions, answers, tolerances, mistakes) and
Moodle XML "numerical" questions (one per variant and question with a single number to type)."""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

import numpy as np

from ..solve.variants import REASONS, Variants
from . import numbers as num
from .symbols import entry, whole


def _numbers(m: np.ndarray) -> list:
    return [[float(f"{x:.12g}") for x in row] for row in np.atleast_2d(m)]


def _label(v, part) -> str:
    s = v.solution
    return entry(s.problem, s.graph, part.elem) if part.elem is not None else whole(s.graph, part.node)


def _given(v) -> dict[str, list[list[str]]]:
    return {name: [[str(x) for x in row] for row in m] for name, m in sorted(v.problem.values.items())}


def variants_json(variants: Variants, stem: str, seed: int) -> str:
    """Every variant's given numbers, questions, answers (with tolerances) and named mistakes."""
    out = {"problem": stem, "seed": seed, "count": len(variants.variants),
           "rejected": {REASONS[r]: n for r, n in variants.rejected},
           "tolerance": "one unit in the last significant figure of the page's rounding",
           "variants": []}
    for v in variants.variants:
        questions = []
        for pr in v.practised:
            questions.append({
                "number": pr.question.number, "text": pr.question.text.strip(),
                "parts": [{"quantity": _label(v, p), "value": _numbers(p.value), "tolerance": _numbers(p.tolerance)}
                          for p in pr.parts],
                "mistakes": [{"kinds": list(m.kinds), "values": [_numbers(x) for x in m.values]}
                             for m in pr.mistakes]})
        out["variants"].append({"variant": v.number, "rounding": v.problem.significant_figures,
                                "learning_rate": None if v.problem.learning_rate is None else str(v.problem.learning_rate),
                                "given": _given(v), "questions": questions})
    return json.dumps(out, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def variants_moodle(variants: Variants, stem: str) -> str:
    """Moodle XML: a numerical question per variant and question that asks for one number; each
    named mistake is a 0 % answer with its name as feedback."""
    items = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    for v in variants.variants:
        given = "; ".join(f"\\({whole(v.solution.graph, n)} = {num.matrix([[num.fraction(x) for x in r] for r in m])}\\)"
                          for n, m in sorted(v.problem.values.items()))
        for pr in v.practised:
            if len(pr.parts) != 1 or pr.parts[0].value.size != 1:
                continue
            part = pr.parts[0]
            text = f"<p>Given {given}.</p><p>{pr.question.text.strip()}</p><p>\\({_label(v, part)}\\) = ?</p>"
            answers = [f'<answer fraction="100"><text>{part.value[0, 0]:.12g}</text>'
                       f"<tolerance>{part.tolerance[0, 0]:.12g}</tolerance></answer>"]
            for m in pr.mistakes:
                answers.append(f'<answer fraction="0"><text>{m.values[0][0, 0]:.12g}</text>'
                               f"<tolerance>{part.tolerance[0, 0]:.12g}</tolerance>"
                               f"<feedback><text>{escape(', '.join(m.kinds))}</text></feedback></answer>")
            items.append(f'<question type="numerical"><name><text>{escape(stem)} variant {v.number} '
                         f"question {escape(pr.question.number)}</text></name>"
                         f'<questiontext format="html"><text>{escape(text)}</text></questiontext>'
                         + "".join(answers) + "</question>")
    items.append("</quiz>")
    return "\n".join(items) + "\n"
