"""Validate a problem file of ``kind: expression`` (scalar formulas) into an ExpressionProblem."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy as sp

from ..errors import Issue
from .expr import ParseError, parse_expression
from .spec import Claim, Definition, ExpressionProblem, ExpressionQuestion
from .validate_verdict import VERDICT_KEYS, is_addition, read_statement, read_verdict
from .validate import MAX_ITEMS, MAX_QUESTIONS, Checker, _describe, _variants

TOP_KEYS = {"kind", "title", "handout", "section", "intro", "variables", "functions", "definitions",
            "point", "samples", "rounding", "symbols", "questions", "variants"}
QUESTION_KEYS = {"number", "text", "ask", "of", "wrt", "general", "forms", "via", "claims", "answer", "note",
                 "addition"}
CLAIM_KEYS = {"where", "statement", "lhs", "derivative_of", "rhs", "variable"} | VERDICT_KEYS
ASKS = {
    "derivative": {"of", "wrt"},
    "chain": {"of", "wrt"},
    "claims": {"claims"},
    "prose": {"answer"},
    "graph": set(),
}
DEFAULT_SAMPLES = ("-2", "-1/2", "1/3", "1", "5/2")


def derivative_symbol(name: str, wrt: str) -> str:
    """The variable that stands for d name / d wrt in a general chain, e.g. du_dx."""
    return f"d{name}_d{wrt}"


class _Formulas:
    """Parses formulas for one file, turning ParseErrors into issues at the right field."""

    def __init__(self, c: Checker, variables: list[str], functions: list[str]):
        self.c, self.variables, self.functions = c, variables, functions

    def parse(self, text: Any, path: str, extra: list[str] = ()) -> object | None:
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            text = str(text)
        if not isinstance(text, str):
            self.c.fail(path, f"expected a formula as text, e.g. 'sin(x) * x^2'; got {_describe(text)}")
            return None
        try:
            return parse_expression(text, list(self.variables) + list(extra), self.functions)
        except ParseError as err:
            self.c.fail(path, err.message + (f" (column {err.column})" if err.column else ""))
            return None


def validate_expression_problem(data: dict, lines: dict[str, int], file: str, slug: str,
                                strict: bool = True) -> tuple[ExpressionProblem | None, list[Issue]]:
    """Check every field of an expression problem; None when any check failed."""
    c = Checker(file, lines, strict)
    top = c.mapping(data, "", TOP_KEYS)
    variables = _names(c, top.get("variables"), "variables", required=True)
    functions = _names(c, top.get("functions", []), "functions", required=False)
    formulas = _Formulas(c, variables, functions)
    definitions: list[Definition] = []
    known = list(variables)
    raw_defs = top.get("definitions", [])
    if not isinstance(raw_defs, list):
        c.fail("definitions", f"expected a list of {{name, formula}}; got {_describe(raw_defs)}")
        raw_defs = []
    for i, raw in enumerate(c.at_most(raw_defs, "definitions", MAX_ITEMS, "definitions")):
        p = f"definitions[{i}]"
        d = c.mapping(raw, p, {"name", "formula"})
        name = c.name(d.get("name"), f"{p}.name") if d else ""
        if name in known:
            c.fail(f"{p}.name", f"expected a new name; {name!r} is already defined")
        formula = formulas.parse(d.get("formula"), f"{p}.formula", extra=[n for n in known if n not in variables])
        if name and formula is not None:
            definitions.append(Definition(name, formula))
            known.append(name)
    defined = [d.name for d in definitions]
    point = {}
    raw_point = top.get("point", {})
    if isinstance(raw_point, dict):
        for key, value in raw_point.items():
            if key not in variables:
                c.fail(f"point.{key}", f"expected one of the variables ({', '.join(variables)}); got {key!r}")
            point[key] = c.number(value, f"point.{key}")
    else:
        c.fail("point", f"expected a mapping from variables to numbers; got {_describe(raw_point)}")
    for v in variables:
        point.setdefault(v, Fraction(1))
    raw_samples = top.get("samples", list(DEFAULT_SAMPLES))
    if not isinstance(raw_samples, list) or not raw_samples:
        c.fail("samples", f"expected a list of numbers; got {_describe(raw_samples)}")
        raw_samples = list(DEFAULT_SAMPLES)
    raw_samples = c.at_most(raw_samples, "samples", MAX_ITEMS, "samples") or list(DEFAULT_SAMPLES)
    samples = tuple(c.number(v, f"samples[{i}]") for i, v in enumerate(raw_samples))
    questions = _questions(c, top.get("questions"), formulas, variables, defined)
    # the point's variables are the given numbers a variant moves (ranges keyed by variable)
    variants = _variants(c, top.get("variants", {}), {v: ((point.get(v, Fraction(1)),),) for v in variables})
    figures = c.integer(top.get("rounding", 4), "rounding", 1, 12)
    symbols = top.get("symbols", {}) if isinstance(top.get("symbols", {}), dict) else {}
    title = c.text(c.required(top, "title", ""), "title")
    handout = c.text(c.required(top, "handout", ""), "handout", default="")
    if c.issues:
        return None, c.issues
    return ExpressionProblem(
        path=file, lines=lines, slug=slug, title=title, handout=handout,
        section=c.text(top.get("section", ""), "section", default=""),
        intro=c.text(top.get("intro", ""), "intro", default=""),
        variables=tuple(variables), functions=tuple(functions), definitions=tuple(definitions),
        point=point, samples=samples, significant_figures=figures,
        symbols={str(k): str(v) for k, v in symbols.items()}, questions=questions, variants=variants), []


def _names(c: Checker, raw: Any, path: str, required: bool) -> list[str]:
    if not isinstance(raw, list) or (required and not raw):
        c.fail(path, f"expected a list of names, e.g. [x]; got {_describe(raw)}")
        return []
    return [n for n in (c.name(v, f"{path}[{i}]") for i, v in enumerate(raw)) if n]


def _questions(c: Checker, raw: Any, formulas: _Formulas, variables: list[str],
               defined: list[str]) -> tuple[ExpressionQuestion, ...]:
    if not isinstance(raw, list) or not raw:
        c.fail("questions", f"expected a list of questions; got {_describe(raw)}")
        return ()
    if len(raw) > MAX_QUESTIONS:
        c.fail("questions", f"expected at most {MAX_QUESTIONS} questions; got {len(raw)}")
        return ()
    out = []
    for i, item in enumerate(raw):
        p = f"questions[{i}]"
        d = c.mapping(item, p, QUESTION_KEYS)
        if not d:
            continue
        ask = c.choice(c.required(d, "ask", p), f"{p}.ask", ASKS)
        for key in sorted(ASKS.get(ask, set())):
            c.required(d, key, p)
        wrt = d.get("wrt", "")
        if "wrt" in d and wrt not in variables:
            c.fail(f"{p}.wrt", f"expected one of the variables ({', '.join(variables)}); got {wrt!r}")
        of, of_name = None, ""
        if "of" in d:
            if ask == "chain":
                of_name = d["of"]
                if of_name not in defined:
                    c.fail(f"{p}.of", f"expected a defined name ({', '.join(defined) or 'none defined'}); "
                                      f"got {of_name!r}")
            else:
                of = formulas.parse(d["of"], f"{p}.of", extra=defined)
        general = d.get("general", False)
        if not isinstance(general, bool):
            c.fail(f"{p}.general", f"expected true or false; got {_describe(general)}")
        forms_raw = d.get("forms", [])
        # a general chain's forms may use the inner derivatives, e.g. du_dx
        inner = defined + [derivative_symbol(n, v) for n in defined + variables for v in variables]
        forms_raw = c.at_most(forms_raw if isinstance(forms_raw, list) else [forms_raw], f"{p}.forms",
                              MAX_ITEMS, "forms")
        with sp.evaluate(False):  # kept as the question writes it: shown in that order
            forms = tuple(f for f in (formulas.parse(t, f"{p}.forms[{j}]", extra=inner) for j, t in enumerate(
                forms_raw)) if f is not None)
        if ask == "derivative" and "forms" in d:
            c.fail(f"{p}.forms", "a derivative's forms are derived by the generator, not given; to "
                                 "differentiate the function as the question writes it, list that form under 'via'")
        via_raw = d.get("via", [])
        via = tuple(f for f in (formulas.parse(t, f"{p}.via[{j}]", extra=defined) for j, t in enumerate(
            via_raw if isinstance(via_raw, list) else [via_raw])) if f is not None)
        if via and ask != "derivative":
            c.fail(f"{p}.via", "expected only on a question with ask: derivative")
        out.append(ExpressionQuestion(
            number=c.text(c.required(d, "number", p), f"{p}.number", default=""),
            text=c.text(d.get("text", ""), f"{p}.text", default=""),
            ask=ask, of=of, of_name=of_name, wrt=wrt if isinstance(wrt, str) else "",
            general=bool(general), forms=forms, via=via,
            claims=_claims(c, d.get("claims", []), f"{p}.claims", formulas, variables),
            answer=c.text(d.get("answer", ""), f"{p}.answer", default=""),
            note=c.text(d.get("note", ""), f"{p}.note", default=""),
            addition=is_addition(c, d, p)))
    return tuple(out)


def _claims(c: Checker, raw: Any, path: str, formulas: _Formulas, variables: list[str]) -> tuple[Claim, ...]:
    out = []
    for d, p in c.entries(raw, path, CLAIM_KEYS, "claims", MAX_ITEMS):
        variable = d.get("variable", variables[0] if variables else "")
        if variable not in variables:
            c.fail(f"{p}.variable", f"expected one of the variables ({', '.join(variables)}); got {variable!r}")
        has_formula = bool({"lhs", "derivative_of", "rhs"} & set(d))
        verdict = read_verdict(c, d, p, has_formula)
        if not has_formula:  # a slip with nothing to compute: the page shows the statement and the reason
            where, statement = read_statement(c, d, p)
            out.append(Claim(where=where, statement=statement, lhs=None, rhs=None, variable=variable,
                             verdict=verdict))
            continue
        derivative_of = formulas.parse(d["derivative_of"], f"{p}.derivative_of") if "derivative_of" in d else None
        lhs = formulas.parse(d["lhs"], f"{p}.lhs") if "lhs" in d else None
        if (lhs is None) == (derivative_of is None):
            c.fail(p, "expected exactly one of 'lhs' (a formula) or 'derivative_of' (whose derivative is claimed)")
        rhs = formulas.parse(c.required(d, "rhs", p), f"{p}.rhs")
        if rhs is None:
            continue
        where, statement = read_statement(c, d, p)
        out.append(Claim(where=where, statement=statement, lhs=lhs, rhs=rhs, variable=variable,
                         lhs_is_derivative_of=derivative_of,
                         verdict=verdict))
    return tuple(out)
