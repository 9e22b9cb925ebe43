"""Command line: `python -m generator build|check|new` (also installed as `backprop-gen`)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TextIO

from .errors import GeneratorError, ProblemFileError
from .pipeline import REGENERATED, REUSED, UNCHANGED, BuildResult, run

LONG_RUN = 2.0  # seconds: after this, progress lines are shown even when stdout is not a terminal

DESCRIPTION = """\
Generate verified worked-solution pages from the problem files in problems/.

Every problem file listed in problems/handouts.yml is validated on every run; mistakes are
reported all at once (file:line: field: expected ...; got ...) and nothing is written.
A problem is solved again only when its file, problems/handouts.yml or the generator itself
changed since it was last rendered; otherwise its page is taken from .build-cache/.
"""

BUILD_HELP = """\
Validate every problem file, solve and verify the problems that changed, and write their pages
and drawings under docs/. Files whose bytes are unchanged are not rewritten; generated files
that are no longer produced are removed. If any check fails, nothing is written.
"""

CHECK_HELP = """\
The same validation, solving and verification as `build`, but write nothing (neither docs/ nor
the build cache). Exit status 1 if any problem file has a mistake or any check fails.
"""

NEW_HELP = """\
Create problems/NAME.yml from a commented template (a small 2-2-1 network with a few questions
that already builds) and add NAME to the handout's `problems:` list in problems/handouts.yml,
leaving the rest of that file, comments included, as it was. Then edit the new file and run
`make site` (or `make serve` for a live preview).
"""

EPILOG = """\
examples:
  python -m generator build --strict        # what `make site` runs
  python -m generator check --strict        # verify everything, write nothing
  python -m generator build --force         # solve every problem again, ignoring the cache
  python -m generator new 002-small-tanh-network --handout 002 --title "A small tanh network"
  python -m generator variants 003-single-sample --count 5 --seed 7   # JSON for instructors
"""


def _parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    invoked = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    prog = invoked if invoked and invoked not in ("__main__.py", "-c") else "python -m generator"
    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION, epilog=EPILOG, formatter_class=raw)
    parser.add_argument("--root", type=Path, default=Path.cwd(),
                        help="project folder holding problems/ and docs/ (default: the current folder)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{build,check,new,variants}")
    b = sub.add_parser("build", help="validate, solve, verify and write the pages under docs/",
                       description=BUILD_HELP, formatter_class=raw)
    c = sub.add_parser("check", help="validate, solve and verify every problem; write nothing",
                       description=CHECK_HELP, formatter_class=raw)
    for p in (b, c):
        p.add_argument("--strict", action="store_true",
                       help="treat unknown keys in problem files as errors (make site uses this)")
        p.add_argument("--force", action="store_true",
                       help="ignore the build cache: solve and verify every problem again")
    n = sub.add_parser("new", help="create problems/NAME.yml from a template and list it in handouts.yml",
                       description=NEW_HELP, formatter_class=raw)
    n.add_argument("name", metavar="NAME",
                   help="the new file's name without .yml: lower-case letters, digits and -, "
                        "e.g. 002-small-tanh-network (it also names the page)")
    n.add_argument("--handout", required=True, metavar="ID",
                   help="id of the handout to list it under, as in problems/handouts.yml, e.g. 002")
    n.add_argument("--title", metavar="T", default=None,
                   help="the page title (default: made from NAME)")
    v = sub.add_parser("variants", help="print a problem's seeded variants as JSON (or Moodle XML)",
                       description=VARIANTS_HELP, formatter_class=raw)
    v.add_argument("problem", metavar="PROBLEM", help="a problem file, or its name in problems/ (without .yml)")
    v.add_argument("--count", type=int, default=None, help="how many variants (default: the file's variants.count)")
    v.add_argument("--seed", type=int, default=None, help="the seed (default: the file's variants.seed)")
    v.add_argument("--moodle", action="store_true", help="Moodle XML numerical questions instead of JSON")
    return parser


VARIANTS_HELP = """\
Solve and verify a network or expression problem's seeded variants (as for its practice page) and print their
given numbers, questions, verified answers with tolerances and named mistakes as JSON on stdout;
with --moodle, Moodle XML "numerical" questions (the questions with one number to type). The same
count and seed give the same bytes on every run.
"""


def _variants(args: argparse.Namespace, root: Path) -> int:
    from .problem.load import load_problem
    from .problem.spec import ExpressionProblem, Problem
    from .render.variants_export import variants_json, variants_moodle
    from .solve.expression_variants import make_expression_variants
    from .solve.variants import make_variants

    path = Path(args.problem)
    if not path.suffix:
        path = root / "problems" / f"{args.problem}.yml"
    if args.count is not None and not 0 <= args.count <= 200:
        print(f"error: --count: expected a whole number from 0 to 200; got {args.count}", file=sys.stderr)
        return 2
    try:
        problem = load_problem(path, root)
        if isinstance(problem, ExpressionProblem):
            variants = make_expression_variants(problem, args.count, args.seed)
        elif isinstance(problem, Problem):
            variants = make_variants(problem, args.count, args.seed)
        else:
            print(f"error: {path}: variants are made for network and expression problems only", file=sys.stderr)
            return 1
    except (GeneratorError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    seed = problem.variants.seed if args.seed is None else args.seed
    sys.stdout.write(variants_moodle(variants, problem.slug) if args.moodle
                     else variants_json(variants, problem.slug, seed))
    return 0


class _Progress:
    """`[2/7] solving NAME ...` lines: on a terminal, or once a run has taken a while."""

    def __init__(self, out: TextIO):
        self.out = out
        self.tty = out.isatty()
        self.started = time.monotonic()
        self.pending = False  # a progress line waiting to be overwritten (terminal only)

    def __call__(self, index: int, total: int, stem: str) -> None:
        line = f"[{index}/{total}] solving {stem} ..."
        if self.tty:
            self.out.write(f"\r\x1b[K{line}")
            self.pending = True
        elif time.monotonic() - self.started >= LONG_RUN:
            self.out.write(line + "\n")
        self.out.flush()

    def clear(self) -> None:
        if self.pending:
            self.out.write("\r\x1b[K")
            self.out.flush()
            self.pending = False


def _problem_lines(result: BuildResult) -> list[str]:
    lines = []
    for p in result.problems:
        word = {REGENERATED: "regenerated", UNCHANGED: "unchanged", REUSED: "reused"}[p.status]
        lines.append(f"  {word:<11} {p.stem}" + (f" ({p.reason})" if p.reason else ""))
    return lines


def print_messages(err: GeneratorError) -> None:
    """A build's failure on stderr: every mistake in the problem files, or the one error."""
    if isinstance(err, ProblemFileError):
        print(f"error: {len(err.issues)} problem(s) in the problem files; nothing was written:",
              file=sys.stderr)
        for issue in err.issues:
            print(f"  {issue}", file=sys.stderr)
    else:
        print(f"error: {err}", file=sys.stderr)
        print("nothing was written", file=sys.stderr)


def print_result(result: BuildResult) -> None:
    """What a build did: each problem, each file written or removed, and a summary line."""
    for line in _problem_lines(result):
        print(line)
    counts = (f"{result.tally(REGENERATED)} regenerated, "
              f"{result.tally(UNCHANGED) + result.tally(REUSED)} from the cache")
    report = result.report
    if report is None:
        print(f"checked {result.count} problem(s): all answers verified ({counts}) "
              f"in {result.seconds:.1f} s")
    else:
        for rel in report.written:
            print(f"  wrote docs/{rel}")
        for rel in report.removed:
            print(f"  removed docs/{rel}")
        print(f"generated {result.count} problem(s) ({counts}): {len(report.written)} file(s) written, "
              f"{len(report.unchanged)} unchanged, {len(report.removed)} removed "
              f"in {result.seconds:.1f} s")


def _build(args: argparse.Namespace, root: Path) -> int:
    progress = _Progress(sys.stdout)
    try:
        result = run(root, strict=args.strict, write=args.command == "build", force=args.force,
                     progress=progress)
    except GeneratorError as err:
        progress.clear()
        print_messages(err)
        return 1
    progress.clear()
    print_result(result)
    return 0


def _new(args: argparse.Namespace, root: Path) -> int:
    from .scaffold import new_problem

    try:
        created, index = new_problem(root, args.name, args.handout, args.title)
    except GeneratorError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"created {created.relative_to(root).as_posix()}")
    print(f"listed it under handout {args.handout!r} in {index.relative_to(root).as_posix()}")
    print("next: edit the file, then run `make site` (or `make serve`) and review `git diff docs/`")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run a command; user mistakes print a message and exit non-zero, without a traceback."""
    args = _parser().parse_args(argv)
    root = args.root.resolve()
    if args.command == "new":
        return _new(args, root)
    if args.command == "variants":
        return _variants(args, root)
    return _build(args, root)
