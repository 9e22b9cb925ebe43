"""Command line: `python -m generator build|check`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import GeneratorError, ProblemFileError
from .pipeline import build


def main(argv: list[str] | None = None) -> int:
    """Run a command; user mistakes print a message and exit non-zero, without a traceback."""
    parser = argparse.ArgumentParser(prog="python -m generator",
                                     description="Generate verified worked-solution pages from problems/*.yml.")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="project folder (default: .)")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="validate, solve, verify and write the pages under docs/")
    b.add_argument("--strict", action="store_true", help="unknown keys in problem files are errors")
    c = sub.add_parser("check", help="validate, solve and verify every problem; write nothing")
    c.add_argument("--strict", action="store_true", help="unknown keys in problem files are errors")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    try:
        count, report = build(root, strict=args.strict, write=args.command == "build")
    except ProblemFileError as err:
        print(f"error: {len(err.issues)} problem(s) in the problem files; nothing was written:",
              file=sys.stderr)
        for issue in err.issues:
            print(f"  {issue}", file=sys.stderr)
        return 1
    except GeneratorError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if report is None:
        print(f"checked {count} problem(s): all answers verified")
    else:
        print(f"generated {count} problem(s): {len(report.written)} file(s) written, "
              f"{len(report.unchanged)} unchanged, {len(report.removed)} removed")
        for rel in report.written:
            print(f"  wrote docs/{rel}")
    return 0
