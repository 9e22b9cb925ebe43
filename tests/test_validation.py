"""generator/problem/: every mistake in a problem file is reported with file, line, field and
what was expected, and the CLI stops without a traceback and without touching docs/.

tests/broken/<name>.yml is tests/data/minimal.yml with one mistake, on the line marked BROKEN.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT_DIR, TESTS, snapshot, write_problem
from generator.errors import ProblemFileError
from generator.graph.ops import ACTIVATIONS
from generator.problem.load import load_handouts, load_problem

BROKEN = TESTS / "broken"
MINIMAL = TESTS / "data" / "minimal.yml"
ACTIVATION_NAMES = ", ".join(sorted(ACTIVATIONS))  # the op table's names, as the message lists them
TOP_KEYS = ("handout, intro, kind, learning_rate, network, questions, rounding, section, step_notation, "
            "symbols, title, values, variants, vectors, weight_notation")

# file -> (field path, message); the file name and line number are added by the test
EXPECTED = {
    "unknown-activation": ("network.layers[1].activation",
                           f"expected one of {ACTIVATION_NAMES}; got 'sigmiod'"),
    "unknown-key": ("learning_rat", f"unknown key 'learning_rat'; expected one of {TOP_KEYS}"),
    "wrong-weight-shape": ("values.W2", "expected shape 1x3; got 1x2"),
    "non-number-weight": ("values.W2[0][1]", "expected a number; got 'abc'"),
    "nan-weight": ("values.W2[0][1]", "expected a finite number; got .nan"),
    "missing-value": ("values", "missing required key 'W2' (shape 1x3)"),
    "unknown-quantity": ("questions[0].of",
                         "expected a quantity of this problem (x, y, loss, a, z, W1, b, yhat, W2); got 'q'"),
    "index-out-of-range": ("questions[2].wrt",
                           "expected W2[i,j] with i in 1..1 and j in 0..2; got 'W2[1,9]'"),
    "bad-yaml-syntax": ("", "not valid YAML: mapping values are not allowed here"),
    "local-not-direct-input": ("questions[1].wrt",
                               "expected a direct input of yhat (b); got 'W2'; "
                               "use ask: gradient for a derivative through several ops"),
    "update-without-learning-rate": ("questions[3].ask",
                                     "an update needs 'learning_rate' at the top of the file"),
    "whole-matrix-derivative": ("questions[2].wrt",
                                "expected one entry such as W2[1,1] (W2 is 1x3); got 'W2'"),
    "rule-not-an-activation": ("questions[1].rule",
                               "expected with ask: local, of an entry of a layer's activation output and "
                               "wrt its input (the rule is that activation's derivative)"),
    "rule-not-a-letter": ("questions[1].rule",
                          "expected one lower-case letter naming the input, such as x; got 'sigma(x)'"),
}


def marked_line(path: Path) -> int:
    """The 1-based line holding the BROKEN marker (the header comment names it too)."""
    lines = [i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if "# BROKEN" in text]
    assert len(lines) == 1, f"{path.name} must mark exactly one line"
    return lines[0]


def test_minimal_base_is_valid():
    problem = load_problem(MINIMAL, TESTS)
    assert problem.title == "Minimal"
    assert len(problem.questions) == 4


def test_every_broken_file_has_an_expectation():
    assert sorted(p.stem for p in BROKEN.glob("*.yml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_file_reports_exact_issue(name):
    path = BROKEN / f"{name}.yml"
    with pytest.raises(ProblemFileError) as err:
        load_problem(path, TESTS)
    issues = err.value.issues
    assert len(issues) == 1, [str(i) for i in issues]
    field, message = EXPECTED[name]
    line = marked_line(path)
    shown = f"broken/{name}.yml"
    issue = issues[0]
    assert (issue.file, issue.line, issue.field, issue.message) == (shown, line, field, message)
    expected = f"{shown}:{line}: {field}: {message}" if field else f"{shown}:{line}: {message}"
    assert str(issue) == expected
    assert str(err.value) == expected


def test_path_outside_root_is_shown_in_full(tmp_path):
    path = BROKEN / "nan-weight.yml"
    with pytest.raises(ProblemFileError) as err:
        load_problem(path, tmp_path)
    assert err.value.issues[0].file == str(path)


def test_unknown_key_is_accepted_when_not_strict():
    problem = load_problem(BROKEN / "unknown-key.yml", TESTS, strict=False)
    assert problem.learning_rate == 2


def test_all_mistakes_of_a_file_are_collected(tmp_path):
    data = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    data["values"]["W2"] = [[1, "abc", 2]]
    data["questions"][0]["of"] = "q"
    data["rounding"] = 0
    path = write_problem(tmp_path, data)
    with pytest.raises(ProblemFileError) as err:
        load_problem(path, tmp_path)
    fields = [i.field for i in err.value.issues]
    assert sorted(fields) == ["questions[0].of", "rounding", "values.W2[0][1]"]
    assert all(i.file == "problem.yml" and i.line for i in err.value.issues)


def test_empty_file_is_reported(tmp_path):
    path = tmp_path / "empty.yml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ProblemFileError) as err:
        load_problem(path, tmp_path)
    assert "the file is empty" in str(err.value)


def test_duplicate_question_number_is_reported(tmp_path):
    data = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    data["questions"][1]["number"] = "1"
    with pytest.raises(ProblemFileError) as err:
        load_problem(write_problem(tmp_path, data), tmp_path)
    assert [(i.field, i.message) for i in err.value.issues] == [
        ("questions[1].number", "expected a number not used before; got '1' again")]


def test_fraction_text_is_read_exactly(tmp_path):
    from fractions import Fraction
    data = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    data["values"]["W2"] = [[1, "-1/3", 0.1]]
    problem = load_problem(write_problem(tmp_path, data), tmp_path)
    assert problem.values["W2"] == ((Fraction(1), Fraction(-1, 3), Fraction(1, 10)),)


def test_samples_are_rows_in_the_file_and_columns_in_the_problem(tmp_path):
    data = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    data["values"]["x"] = [[2, 5], [1, -1], [0, 3]]
    data["values"]["y"] = [1, 0, 1]
    problem = load_problem(write_problem(tmp_path, data), tmp_path)
    assert [[float(v) for v in row] for row in problem.values["x"]] == [[2, 1, 0], [5, -1, 3]]
    assert [[float(v) for v in row] for row in problem.values["y"]] == [[1, 0, 1]]


# ---------------------------------------------------------------- the handout index


def test_problem_file_not_listed_in_handouts_is_reported(project_copy):
    root = project_copy()
    (root / "problems" / "stray.yml").write_bytes(MINIMAL.read_bytes())
    with pytest.raises(ProblemFileError) as err:
        load_handouts(root / "problems", root)
    assert "problems/handouts.yml" in str(err.value)
    assert "problems/stray.yml is not listed under any handout's problems" in str(err.value)


def test_missing_listed_problem_file_is_reported(project_copy):
    root = project_copy()
    data = yaml.safe_load((root / "problems" / "handouts.yml").read_text(encoding="utf-8"))
    data["handouts"][0]["problems"] = ["does-not-exist"]
    (root / "problems" / "handouts.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ProblemFileError) as err:
        load_handouts(root / "problems", root)
    assert "expected a file problems/does-not-exist.yml; it does not exist" in str(err.value)


# ---------------------------------------------------------------- the command line


def run_cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", "--root", str(root), *args],
                          cwd=ROOT_DIR, capture_output=True, text=True, timeout=120)


def real_problem_name() -> str:
    handouts = yaml.safe_load((ROOT_DIR / "problems" / "handouts.yml").read_text(encoding="utf-8"))
    return next(p for h in handouts["handouts"] for p in (h.get("problems") or []))


@pytest.mark.parametrize("broken", ["unknown-activation", "bad-yaml-syntax", "nan-weight"])
def test_cli_build_strict_fails_cleanly_and_writes_nothing(project_copy, broken):
    root = project_copy()
    stem = real_problem_name()
    target = root / "problems" / f"{stem}.yml"
    text = (BROKEN / f"{broken}.yml").read_text(encoding="utf-8")
    target.write_text(text, encoding="utf-8")
    before = snapshot(root / "docs")
    result = run_cli(root, "build", "--strict")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    line = marked_line(target)
    field, message = EXPECTED[broken]
    where = f"problems/{stem}.yml:{line}: " + (f"{field}: " if field else "")
    assert f"{where}{message}" in result.stderr
    assert "nothing was written" in result.stderr
    assert snapshot(root / "docs") == before


def test_cli_check_reports_and_writes_nothing(project_copy):
    root = project_copy()
    before = snapshot(root / "docs")
    result = run_cli(root, "check", "--strict")
    assert result.returncode == 0, result.stderr
    assert "all answers verified" in result.stdout
    assert snapshot(root / "docs") == before


def test_cli_without_strict_accepts_an_unknown_key(project_copy):
    root = project_copy()
    stem = real_problem_name()
    path = root / "problems" / f"{stem}.yml"
    path.write_text(path.read_text(encoding="utf-8") + "\nextra_note: tolerated without --strict\n",
                    encoding="utf-8")
    assert run_cli(root, "check").returncode == 0
    strict = run_cli(root, "check", "--strict")
    assert strict.returncode == 1
    assert f"problems/{stem}.yml:" in strict.stderr and "extra_note" in strict.stderr


def test_numbers_in_text_fields_are_kept_as_written(tmp_path):
    """Unquoted, YAML reads 3.10 as the float 3.1 and 002 as the integer 2; the file meant text."""
    text = MINIMAL.read_text(encoding="utf-8").replace('number: "1"', "number: 3.10").replace(
        'handout: "002"', "handout: 002")
    path = tmp_path / "p.yml"
    path.write_text(text, encoding="utf-8")
    problem = load_problem(path, tmp_path)
    assert problem.questions[0].number == "3.10"
    assert problem.handout == "002"


def test_a_decimal_is_read_exactly_as_written(tmp_path):
    text = MINIMAL.read_text(encoding="utf-8").replace("[1, -2, 2]", "[0.1, 1.0e-300, 2.50]")
    path = tmp_path / "p.yml"
    path.write_text(text, encoding="utf-8")
    from fractions import Fraction
    assert load_problem(path, tmp_path).values["W2"][0] == (Fraction(1, 10), Fraction(1, 10**300), Fraction(5, 2))
