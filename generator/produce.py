"""One problem, from its spec to the files of its page: solve and verify (pipeline stage 2),
then render the page and its drawings (stage 3). Imported by generator/pipeline.py only when a
problem must be regenerated, so that a build with nothing to do does not load the solvers,
the renderers or Graphviz."""

from __future__ import annotations

import numpy as np

from .errors import VerificationError
from .problem.spec import DemoProblem, ExpressionProblem, Handout, Problem
from .render import dot
from .render.demo_page import PLOT_SVG as DEMO_PLOT_SVG
from .render.demo_page import demo_plot, render_demo_page
from .render.expression_page import GRAPH_SVG as EXPRESSION_GRAPH_SVG
from .render.expression_page import expression_dot, path_svg_name, render_expression_page
from .render.page import render_page
from .render.practice import practice_name, render_practice
from .render.practice_expression import render_expression_practice
from .render.site import handout_dir
from .render.svg import to_svg
from .solve.demos import DemoResult, run_demo
from .solve.expression import ChainRule, ExpressionSolution, solve_expression
from .solve.solution import Solution, solve
from .solve.expression_variants import make_expression_variants
from .solve.variants import make_variants


def produce(h: Handout, problem: Problem) -> dict[str, bytes]:
    """The problem's page and drawings, as bytes keyed by their path under docs/ (a failed
    check raises VerificationError)."""
    return render_problem(h, solve_problem(problem))


def solve_problem(problem: Problem | ExpressionProblem) -> Solution | ExpressionSolution:
    """Solve and verify one problem of any kind (an overflow raises VerificationError naming it)."""
    try:
        # an inf or nan is reported by the solvers' own checks, by name; numpy need not warn
        with np.errstate(over="ignore", invalid="ignore"):
            if isinstance(problem, DemoProblem):
                return run_demo(problem)
            return solve_expression(problem) if isinstance(problem, ExpressionProblem) else solve(problem)
    except (OverflowError, ZeroDivisionError, ValueError) as err:  # Python floats raise where numpy gives inf/nan
        if isinstance(err, ValueError) and "math domain error" not in str(err):
            raise  # not arithmetic: a bug, with its traceback
        field_path = "point" if isinstance(problem, ExpressionProblem) else "values"
        what = ("overflows float64 (beyond 1.8e308)" if isinstance(err, OverflowError)
                else f"is undefined ({err}: a logarithm or root of a negative number, or a division by 0)")
        raise VerificationError(f"{problem.where(field_path)}: a value {what} at the point or at one of the "
                                f"samples; choose other numbers; no page written") from None


def render_problem(h: Handout, s: Solution | ExpressionSolution) -> dict[str, bytes]:
    """One problem's page and drawings, as bytes keyed by their path under docs/."""
    base = f"{handout_dir(h)}/{s.problem.slug}"
    if isinstance(s, DemoResult):
        files = {f"{base}.md": render_demo_page(s, s.problem.slug, h.title),
                 f"{base}/{DEMO_PLOT_SVG}": demo_plot(s)}
        return {k: v.encode("utf-8") for k, v in files.items()}
    if isinstance(s, ExpressionSolution):
        variants = make_expression_variants(s.problem)
        practice = practice_name(s.problem.slug) if variants.variants else ""
        files = {f"{base}.md": render_expression_page(s, s.problem.slug, h.title, practice)}
        if practice:
            files[f"{handout_dir(h)}/{practice}"] = render_expression_practice(
                variants, s.problem.slug, h.title, h.addition)
        if s.problem.definitions:
            files[f"{base}/{EXPRESSION_GRAPH_SVG}"] = to_svg(expression_dot(s))
        for _, answer in s.answers:
            if isinstance(answer, ChainRule):  # one highlighted drawing per chain-rule question
                files[f"{base}/{path_svg_name(answer)}"] = to_svg(expression_dot(s, answer))
        return {k: v.encode("utf-8") for k, v in files.items()}
    variants = make_variants(s.problem)
    practice = practice_name(s.problem.slug) if variants.variants else ""
    files = {f"{base}.md": render_page(s, s.problem.slug, h.title, h.addition, practice)}
    if practice:
        files[f"{handout_dir(h)}/{practice}"] = render_practice(variants, s.problem.slug, h.title, h.addition)
    # the layer diagram, the computation graphs and one highlighted path per chain-rule answer
    files.update({f"{base}/{name}": to_svg(text) for name, text in dot.drawings(s).items()})
    return {k: v.encode("utf-8") for k, v in files.items()}
