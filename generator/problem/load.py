"""Read problem files from disk into validated specs. Nothing in a file is ever executed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import Issue, ProblemFileError
from .spec import Handout, Problem
from .validate import Checker, validate_problem
from .validate_demo import validate_demo_problem
from .validate_expression import validate_expression_problem
from .yaml_lines import load_yaml

HANDOUTS_FILE = "handouts.yml"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
HANDOUT_KEYS = {"id", "slug", "title", "file", "summary", "problems", "addition"}


def _read(path: Path, shown: str, sources: dict[Path, bytes] | None = None) -> tuple[Any, dict[str, int]]:
    """Parse one file; ``sources`` (if given) records the exact bytes that were parsed."""
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ProblemFileError([Issue(shown, None, "", f"cannot read the file: {err}")]) from None
    if sources is not None:
        sources[path] = raw
    try:
        return load_yaml(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark else None
        reason = getattr(err, "problem", None) or str(err)
        raise ProblemFileError([Issue(shown, line, "", f"not valid YAML: {reason}")]) from None
    except RecursionError:  # PyYAML composes nested collections recursively
        raise ProblemFileError([Issue(shown, None, "", "not valid YAML: nested too deeply")]) from None
    except (ValueError, OverflowError) as err:  # e.g. a date 2024-13-45, or a 5000-digit integer
        raise ProblemFileError([Issue(shown, None, "", f"not valid YAML: {err}")]) from None


def _slug(c: Checker, value: Any, path: str) -> str:
    if not isinstance(value, str) or not SLUG.match(value):
        c.fail(path, f"expected a slug (lower-case letters, digits and -); got {value!r}")
        return ""
    return value


def load_problem(path: Path, root: Path, strict: bool = True,
                 sources: dict[Path, bytes] | None = None) -> Problem:
    """Load and validate one problem file; raise ProblemFileError listing every mistake.

    ``sources``, if given, receives the exact bytes read (so a cache key matches what was parsed).
    """
    shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    data, lines = _read(path, shown, sources)
    if isinstance(data, dict) and data.get("kind") == "demo":
        problem, issues = validate_demo_problem(data, lines, shown, path.stem, strict)
    elif isinstance(data, dict) and data.get("kind") == "expression":
        problem, issues = validate_expression_problem(data, lines, shown, path.stem, strict)
    else:
        problem, issues = validate_problem(data, lines, shown, path.stem, strict)
    if problem is None:
        raise ProblemFileError(issues)
    return problem


def load_handouts(problems_dir: Path, root: Path, strict: bool = True,
                  sources: dict[Path, bytes] | None = None) -> tuple[Handout, ...]:
    """Load the handout index and every problem it lists, collecting mistakes across all files.

    ``sources``, if given, receives the exact bytes of every file read, keyed by its path.
    """
    index_path = problems_dir / HANDOUTS_FILE
    shown = index_path.relative_to(root).as_posix()
    data, lines = _read(index_path, shown, sources)
    c = Checker(shown, lines, strict)
    entries = data.get("handouts") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ProblemFileError([Issue(shown, 1, "handouts", "expected a list of handouts")])
    issues: list[Issue] = []
    handouts: list[Handout] = []
    listed: set[str] = set()
    for i, raw in enumerate(entries):
        p = f"handouts[{i}]"
        d = c.mapping(raw, p, HANDOUT_KEYS)
        problems = []
        for j, stem in enumerate(d.get("problems", []) or []):
            file = problems_dir / f"{stem}.yml"
            listed.add(file.name)
            if not file.exists():
                c.fail(f"{p}.problems[{j}]", f"expected a file problems/{stem}.yml; it does not exist")
                continue
            try:
                problems.append(load_problem(file, root, strict, sources))
            except ProblemFileError as err:
                issues.extend(err.issues)
        handouts.append(Handout(
            id=c.text(d.get("id"), f"{p}.id", default=""), slug=_slug(c, d.get("slug"), f"{p}.slug"),
            title=c.text(d.get("title"), f"{p}.title"), file=c.text(d.get("file", ""), f"{p}.file", default=""),
            summary=c.text(d.get("summary", ""), f"{p}.summary", default=""), problems=tuple(problems),
            addition=d.get("addition", False) is True))
    for file in sorted(problems_dir.glob("*.yml")):
        if file.name != HANDOUTS_FILE and file.name not in listed:
            c.fail("handouts", f"problems/{file.name} is not listed under any handout's problems")
    for handout in handouts:
        for problem in handout.problems:
            if problem.handout != handout.id:
                issues.append(Issue(problem.path, None, "handout",
                                    f"expected {handout.id!r} (it is listed under that handout); got {problem.handout!r}"))
    if c.issues or issues:
        raise ProblemFileError(c.issues + issues)
    return tuple(handouts)
