"""Validate a problem file of ``kind: demo`` (a generated demonstration with a table and a plot)."""

from __future__ import annotations

from ..errors import Issue
from .spec import DemoProblem, ExpressionQuestion, GrowthClaim
from .validate import MAX_QUESTIONS, Checker, _describe
from .validate_verdict import VERDICT_KEYS, is_addition, read_statement, read_verdict

DEMOS = {
    "finite_difference_cost": (1, 64),  # d, the width of the square weight matrices
    "path_blowup": (1, 16),  # L, the depth of a width-2 network (2^L paths: 20 took 9 s)
}
TOP_KEYS = {"kind", "title", "handout", "section", "intro", "demo", "sizes", "rounding", "questions"}
QUESTION_KEYS = {"number", "text", "ask", "answer", "note", "addition", "claims"}
CLAIM_KEYS = {"where", "statement", "series", "growth", "exponent"} | VERDICT_KEYS
SERIES = {"chain": "the plain chain z = f(f(...f(w))): calls of f",
          "paths": "the width-2 network: multiplications, path by path",
          "finite_differences": "dl/dW(1) by finite differences: multiplications",
          "analytic": "dl/dW(1) by backpropagation: multiplications"}
GROWTHS = ("exponential", "polynomial")


def validate_demo_problem(data: dict, lines: dict[str, int], file: str, slug: str,
                          strict: bool = True) -> tuple[DemoProblem | None, list[Issue]]:
    """Check every field; None when any check failed."""
    c = Checker(file, lines, strict)
    top = c.mapping(data, "", TOP_KEYS)
    demo = c.choice(c.required(top, "demo", ""), "demo", DEMOS)
    low, high = DEMOS.get(demo, (1, 1))
    raw = top.get("sizes")
    if not isinstance(raw, list) or len(raw) < 3:
        c.fail("sizes", f"expected a list of at least 3 sizes; got {_describe(raw)}")
        raw = []
    before = len(c.issues)
    sizes = tuple(c.integer(v, f"sizes[{i}]", low, high) for i, v in enumerate(raw))
    if len(c.issues) == before and list(sizes) != sorted(set(sizes)):  # (a refused size reads as 1)
        c.fail("sizes", "expected increasing sizes, each once")
    questions = []
    raw_q = top.get("questions", [])
    if isinstance(raw_q, list) and len(raw_q) > MAX_QUESTIONS:
        c.fail("questions", f"expected at most {MAX_QUESTIONS} questions; got {len(raw_q)}")
        raw_q = []
    for i, item in enumerate(raw_q if isinstance(raw_q, list) else []):
        p = f"questions[{i}]"
        d = c.mapping(item, p, QUESTION_KEYS)
        ask = c.choice(d.get("ask"), f"{p}.ask", ("demo", "prose", "claims"))
        if ask == "prose":
            c.required(d, "answer", p)
        growth_claims = _growth_claims(c, d.get("claims", []), f"{p}.claims") if ask == "claims" else ()
        if ask == "claims" and not growth_claims:
            c.fail(f"{p}.claims", "expected a list of claims for ask: claims")
        questions.append(ExpressionQuestion(
            number=c.text(c.required(d, "number", p), f"{p}.number", default=""),
            text=c.text(d.get("text", ""), f"{p}.text", default=""), ask=ask,
            answer=c.text(d.get("answer", ""), f"{p}.answer", default=""),
            note=c.text(d.get("note", ""), f"{p}.note", default=""),
            addition=is_addition(c, d, p), growth_claims=growth_claims))
    title = c.text(c.required(top, "title", ""), "title")
    handout = c.text(c.required(top, "handout", ""), "handout", default="")
    figures = c.integer(top.get("rounding", 4), "rounding", 1, 12)
    if c.issues:
        return None, c.issues
    return DemoProblem(path=file, lines=lines, slug=slug, title=title, handout=handout,
                       section=c.text(top.get("section", ""), "section", default=""),
                       intro=c.text(top.get("intro", ""), "intro", default=""), demo=demo, sizes=sizes,
                       significant_figures=figures, questions=tuple(questions)), []


def _growth_claims(c: Checker, raw, path: str) -> tuple[GrowthClaim, ...]:
    """A handout's statements about how a cost grows, each judged on a measured series."""
    out = []
    for d, p in c.entries(raw, path, CLAIM_KEYS, "claims"):
        measured = "series" in d or "growth" in d  # a slip in the words may have nothing to measure
        exponent = c.number(d["exponent"], f"{p}.exponent") if "exponent" in d else None
        if exponent is not None and d.get("growth") != "polynomial":
            c.fail(f"{p}.exponent", "an exponent (O(size^k)) goes with growth: polynomial")
        where, statement = read_statement(c, d, p)
        out.append(GrowthClaim(where=where, statement=statement,
                               series=c.choice(c.required(d, "series", p), f"{p}.series", SERIES) if measured else "",
                               growth=c.choice(c.required(d, "growth", p), f"{p}.growth", GROWTHS) if measured else "",
                               verdict=read_verdict(c, d, p, has_formula=measured), exponent=exponent))
    return tuple(out)
