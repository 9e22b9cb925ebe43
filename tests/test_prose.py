"""Problem-file prose states problems; it never carries an answer formula. Formulas that answer a
question (a derivative set equal to an expression) come from the generator, which checks them.
Allowed in prose: a name given to a derivative (delta = dl/df), and the handout's own statements
recorded as claims (they are judged, not trusted)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = sorted(p for p in (ROOT / "problems").glob("*.yml") if p.name != "handouts.yml")

MATH = re.compile(r"\\\((.*?)\\\)|\\\[(.*?)\\\]|\$\$(.*?)\$\$", re.S)
# a derivative: \frac{\partial a}{\partial b}, \partial a / \partial b, \frac{d a}{d b}, a'
DERIVATIVE = r"(?:\\frac\{\s*(?:\\partial|d)\b[^{}]*(?:\{[^{}]*\}[^{}]*)*\}\{\s*(?:\\partial|d)\b[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|\\partial\s*[^=/]*/\s*\\partial\s*[^=]*?)"
ANSWER = re.compile(DERIVATIVE + r"\s*=\s*(?!\s*\\frac\{\s*\\partial|\s*\\partial)(?P<rhs>[^=,]+)")
# a delta set equal to something other than the derivative it names: the recursion, an answer
DELTA = re.compile(r"\\delta(?:\^\{[^{}]*\}|_\{?[^=\s]*\}?|\s)*=\s*(?!\s*\\frac\{\s*\\partial|\s*\\partial)(?P<rhs>[^=,]+)")
PROSE_KEYS = ("intro", "text", "note", "answer")


def prose(data) -> list[tuple[str, str]]:
    """(where, text) for every prose field, claims excluded (they are the handout's, and judged)."""
    out = [("intro", data.get("intro", ""))]
    for q in data.get("questions", []):
        for key in PROSE_KEYS[1:]:
            if isinstance(q.get(key), str):
                out.append((f"question {q.get('number')}.{key}", q[key]))
    return out


def answer_formulas(text: str, statements: tuple[str, ...] = ()) -> list[str]:
    """Derivative (or delta) = expression, in the math of ``text``; the handout's recorded
    statements (claims, judged by the generator) may be quoted."""
    quoted = {_plain(s) for s in statements}
    found = []
    for m in MATH.finditer(text):
        formula = next(g for g in m.groups() if g is not None)
        if _plain(formula) in quoted:
            continue
        found += [a.group(0).strip() for a in ANSWER.finditer(formula)]
        found += [a.group(0).strip() for a in DELTA.finditer(formula)]
    return found


def _plain(formula: str) -> str:
    return re.sub(r"\s+", "", formula)


def statements(data) -> tuple[str, ...]:
    return tuple(c.get("statement", "") for q in data.get("questions", []) for c in q.get("claims", []) or [])


def test_the_detector_finds_an_answer_in_prose():
    assert answer_formulas(r"so \(\frac{\partial J}{\partial W^{[2]}} = \delta^{[2]} A^{[1]\top}\) holds")
    assert answer_formulas(r"\[ \partial J / \partial b = \delta \mathbf{1} \]")
    assert not answer_formulas(r"Compute \(\frac{\partial \ell}{\partial x}\).")
    assert not answer_formulas(r"\(\delta^{[l]} = \partial J / \partial Z^{[l]}\)")  # a definition
    assert answer_formulas(r"\(\delta = \partial l / \partial f = f - y\)")  # the value is an answer
    assert answer_formulas(r"\[ \delta^{[l]} = g'(Z^{[l]}) \odot (W^{[l+1]\top} \delta^{[l+1]}) \]")
    assert not answer_formulas(r"\(\delta = \partial l / \partial f\)")  # naming delta
    claim = r"\delta^{[L]} = J'(A^{[L]}) \odot g'(Z^{[L]})"
    assert not answer_formulas(rf"show \[ {claim} \]", (claim,))  # a recorded handout statement


@pytest.mark.parametrize("path", PROBLEMS, ids=[p.stem for p in PROBLEMS])
def test_problem_prose_carries_no_answer_formula(path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    bad = [(where, f) for where, text in prose(data) for f in answer_formulas(text, statements(data))]
    assert not bad, f"{path.name}: answer formulas typed into prose (let the generator derive them): {bad}"
