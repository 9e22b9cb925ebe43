"""Read problem files from disk into validated specs. Nothing in a file is ever executed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import Issue, ProblemFileError
from .spec import Handout, Problem
from .validate import Checker, _describe, validate_problem
from .validate_demo import validate_demo_problem
from .validate_expression import validate_expression_problem
from .yaml_lines import YamlIssues, line_of, load_yaml

HANDOUTS_FILE = "handouts.yml"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
HANDOUT_KEYS = {"id", "slug", "title", "file", "summary", "problems", "addition"}
MAX_BYTES = 2 * 2**20  # a problem file is text and numbers: a few KB, 1 MB for 100,000 weights


def _read(path: Path, shown: str, sources: dict[Path, bytes] | None = None) -> tuple[Any, dict[str, int]]:
    """Parse one file; ``sources`` (if given) records the exact bytes that were parsed."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)  # never more: a 20 MB file is refused unread
    except OSError as err:
        raise ProblemFileError([Issue(shown, None, "", f"cannot read the file: {err.strerror or err}")]) from None
    if len(raw) > MAX_BYTES:
        line = raw[:MAX_BYTES].count(b"\n") + 1
        raise ProblemFileError([Issue(shown, line, "", f"the file is larger than {MAX_BYTES // 2**20} MiB "
                                                       f"(the limit is passed on this line); problem files "
                                                       f"are at most {MAX_BYTES // 2**20} MiB")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        column = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        raise ProblemFileError([Issue(shown, line, "", f"not UTF-8 text: byte 0x{raw[err.start]:02x} at "
                                                       f"column {column} cannot be decoded; save the file "
                                                       f"as UTF-8")]) from None
    if sources is not None:
        sources[path] = raw
    try:
        return load_yaml(text)
    except YamlIssues as err:
        raise ProblemFileError([Issue(shown, i.line, i.field, i.message) for i in err.issues]) from None
    except yaml.YAMLError as err:
        raise ProblemFileError([_syntax_issue(shown, err, text)]) from None
    except RecursionError:  # (not expected: check_limits caps the nesting first)
        raise ProblemFileError([Issue(shown, None, "", "not valid YAML: nested too deeply")]) from None


def _syntax_issue(shown: str, err: yaml.YAMLError, text: str) -> Issue:
    """Where the YAML went wrong: the line of an unclosed bracket or quote, not the line after."""
    if isinstance(err, yaml.reader.ReaderError):  # a character YAML does not allow, e.g. NUL
        line = text[:err.position].count("\n") + 1
        return Issue(shown, line, "", f"not valid YAML: the character {chr(err.character)!r} "
                                      f"(U+{err.character:04X}) is not allowed in a YAML file")
    mark = getattr(err, "problem_mark", None)
    context, context_mark = getattr(err, "context", None) or "", getattr(err, "context_mark", None)
    reason = getattr(err, "problem", None) or str(err)
    if context_mark is not None and mark is not None and context_mark.line < mark.line and (
            "flow" in context or "quoted" in context):
        opened = {"flow sequence": "[", "flow mapping": "{"}.get(context.split("parsing a ")[-1], "quote")
        what = f"the {opened} opened here" if opened == "quote" else f"the '{opened}' opened here"
        return Issue(shown, context_mark.line + 1, "", f"not valid YAML: {what} is not closed "
                                                        f"({reason} on line {mark.line + 1})")
    # a quoted text that ran on swallows lines until a later quote, then the next token is a stray
    # scalar: point at the line where it began
    quote = _unclosed_quote(text, mark.line + 1) if mark and "'<scalar>'" in reason else None
    if quote is not None:  # a quoted text runs on until the next quote, lines later
        return Issue(shown, quote, "", f"not valid YAML: the \" opened here seems not to be closed "
                                       f"({reason} on line {mark.line + 1})")
    return Issue(shown, mark.line + 1 if mark else None, "", f"not valid YAML: {reason}")


def _unclosed_quote(text: str, before: int) -> int | None:
    """The first line before line ``before`` with an odd number of double quotes (outside
    comments), or None: where a quoted text that swallowed the following lines began."""
    for number, line in enumerate(text.splitlines()[:before - 1], start=1):
        body = line.split(" #")[0] if not line.lstrip().startswith("#") else ""
        if (body.count('"') - body.count('\\"')) % 2 == 1:
            return number
    return None


def _slug(c: Checker, value: Any, path: str) -> str:
    if not isinstance(value, str) or not SLUG.match(value):
        c.fail(path, f"expected a slug (lower-case letters, digits and -); got {value!r}")
        return ""
    return value


def problem_name_issue(stem: Any) -> str:
    """Why ``stem`` cannot name a problem file (the rule `new` applies), or '' if it can."""
    if not isinstance(stem, str) or not SLUG.match(stem) or stem == Path(HANDOUTS_FILE).stem:
        return (f"expected the name of a file in problems/ without .yml: lower-case letters, digits "
                f"and - (e.g. 002-small-tanh-network); got {stem!r}")
    return ""


def load_problem(path: Path, root: Path, strict: bool = True,
                 sources: dict[Path, bytes] | None = None, handout: str | None = None) -> Problem:
    """Load and validate one problem file; raise ProblemFileError listing every mistake.

    ``sources``, if given, receives the exact bytes read (so a cache key matches what was parsed).
    ``handout``, if given, is the id of the handout that lists the file: its `handout:` must match.
    """
    shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    data, lines = _read(path, shown, sources)
    if isinstance(data, dict) and data.get("kind") == "demo":
        problem, issues = validate_demo_problem(data, lines, shown, path.stem, strict)
    elif isinstance(data, dict) and data.get("kind") == "expression":
        problem, issues = validate_expression_problem(data, lines, shown, path.stem, strict)
    else:
        problem, issues = validate_problem(data, lines, shown, path.stem, strict)
    if problem is not None and handout is not None and problem.handout != handout:
        issues = [Issue(shown, line_of(lines, "handout"), "handout",
                        f"expected {handout!r} (it is listed under that handout); got {problem.handout!r}")]
        problem = None
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
    listed: dict[str, str] = {}  # file name -> where it is listed
    for i, raw in enumerate(entries):
        p = f"handouts[{i}]"
        d = c.mapping(raw, p, HANDOUT_KEYS)
        handout_id = c.text(d.get("id"), f"{p}.id", default="")
        problems = []
        stems = d.get("problems", []) or []
        if not isinstance(stems, list):
            c.fail(f"{p}.problems", f"expected a list of problem names; got {_describe(stems)}")
            stems = []
        for j, stem in enumerate(stems):
            where = f"{p}.problems[{j}]"
            why = problem_name_issue(stem)
            if why:  # never a path: a name with / or .. would read files outside problems/
                c.fail(where, why)
                listed.setdefault(f"{stem}.yml", "")  # (so it is not also reported as not listed)
                continue
            file = problems_dir / f"{stem}.yml"
            if file.name in listed:
                c.fail(where, f"{stem} is listed twice (also at {listed[file.name]}); list each problem once")
                continue
            listed[file.name] = f"line {line_of(lines, where)}"
            if not file.is_file():
                c.fail(where, f"expected a file problems/{stem}.yml; it does not exist")
                continue
            try:
                problems.append(load_problem(file, root, strict, sources, handout=handout_id))
            except ProblemFileError as err:
                issues.extend(err.issues)
        handouts.append(Handout(
            id=handout_id, slug=_slug(c, d.get("slug"), f"{p}.slug"),
            title=c.text(d.get("title"), f"{p}.title"), file=c.text(d.get("file", ""), f"{p}.file", default=""),
            summary=c.text(d.get("summary", ""), f"{p}.summary", default=""), problems=tuple(problems),
            addition=d.get("addition", False) is True))
    for file in sorted(problems_dir.glob("*.yml")):
        if file.name != HANDOUTS_FILE and file.name not in listed:
            c.fail("handouts", f"problems/{file.name} is not listed under any handout's problems")
    if c.issues or issues:
        raise ProblemFileError(c.issues + issues)
    return tuple(handouts)
