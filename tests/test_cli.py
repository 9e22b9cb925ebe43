"""The command line (generator/cli.py, generator/scaffold.py): a failed build leaves docs/
untouched and says what to fix on one screen; `check` writes nothing; `new` scaffolds a problem
and lists it in handouts.yml without disturbing the file; every subcommand has --help."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import ROOT_DIR, copy_project, snapshot
from generator.cache import CACHE_DIR
from generator.errors import GeneratorError
from generator.graph.ops import ACTIVATIONS
from generator.scaffold import add_to_handout, default_title, render_template, template_text

REAL = "002-neural-networks-are-fun"


def small_project(dest: Path) -> Path:
    """A copy of the project whose handouts list only the 002 network problem (fast to build)."""
    copy_project(dest)
    index = dest / "problems" / "handouts.yml"
    data = yaml.safe_load(index.read_text(encoding="utf-8"))
    for handout in data["handouts"]:
        handout["problems"] = [p for p in (handout.get("problems") or []) if p == REAL]
    index.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    for f in (dest / "problems").glob("*.yml"):
        if f.name not in ("handouts.yml", f"{REAL}.yml"):
            f.unlink()
    return dest


def run_cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", "--root", str(root), *args],
                          cwd=ROOT_DIR, capture_output=True, text=True, timeout=300)


def assert_one_screen(text: str) -> None:
    lines = text.splitlines()
    assert len(lines) <= 24, text
    assert "Traceback" not in text


# ---------------------------------------------------------------- a failed build


def test_broken_problem_fails_cleanly_and_leaves_docs_byte_identical(project_copy):
    root = project_copy()
    path = root / "problems" / f"{REAL}.yml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines, start=1) if "- [1, -2, 2]" in line)
    lines[number - 1] = lines[number - 1].replace("- [1, -2, 2]", "- [1, oops, 2]")
    path.write_text("".join(lines), encoding="utf-8")
    before = snapshot(root / "docs")
    result = run_cli(root, "build", "--strict")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert_one_screen(result.stderr)
    assert (f"problems/{REAL}.yml:{number}: values.W2[0][1]: expected a number; got 'oops'"
            in result.stderr), result.stderr
    assert "nothing was written" in result.stderr
    assert snapshot(root / "docs") == before
    assert not (root / CACHE_DIR).exists()


def test_several_mistakes_are_all_listed_on_one_screen(project_copy):
    root = project_copy()
    path = root / "problems" / f"{REAL}.yml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("activation: sigmoid", "activation: sigmiod").replace("rounding: 4", "rounding: 40")
    path.write_text(text, encoding="utf-8")
    before = snapshot(root / "docs")
    result = run_cli(root, "build", "--strict")
    assert result.returncode == 1
    assert_one_screen(result.stderr)
    assert "error: 2 problem(s) in the problem files; nothing was written:" in result.stderr
    assert f"network.layers[1].activation: expected one of {', '.join(sorted(ACTIVATIONS))}" in result.stderr
    assert "rounding: expected a whole number from 1 to 12; got 40" in result.stderr
    assert snapshot(root / "docs") == before


def test_check_writes_nothing(tmp_path):
    root = small_project(tmp_path / "project")
    before = snapshot(root)
    result = run_cli(root, "check", "--strict")
    assert result.returncode == 0, result.stderr
    assert "all answers verified" in result.stdout
    assert f"  regenerated {REAL} (no earlier build in the cache)" in result.stdout
    assert snapshot(root) == before  # neither docs/ nor .build-cache/
    assert not (root / CACHE_DIR).exists()


def test_build_twice_reports_unchanged(tmp_path):
    root = small_project(tmp_path / "project")
    assert run_cli(root, "build", "--strict").returncode == 0
    second = run_cli(root, "build", "--strict")
    assert second.returncode == 0
    assert f"  unchanged   {REAL}" in second.stdout.splitlines(), second.stdout
    assert "0 file(s) written" in second.stdout


# ---------------------------------------------------------------- --help


@pytest.mark.parametrize("command, words", [
    ([], ["build", "check", "new", "--root", "examples:"]),
    (["build"], ["docs/", "--strict", "--force", "cache"]),
    (["check"], ["write nothing", "--strict", "--force"]),
    (["new"], ["NAME", "--handout", "--title", "handouts.yml", "template"]),
])
def test_help(command, words):
    result = subprocess.run([sys.executable, "-m", "generator", *command, "--help"], cwd=ROOT_DIR,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for word in words:
        assert word in result.stdout, (command, word)


def test_console_script_is_registered():
    project = tomllib.loads((ROOT_DIR / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["backprop-gen"] == "generator.cli:main"
    assert "templates/*.yml" in project["tool"]["setuptools"]["package-data"]["generator"]


# ---------------------------------------------------------------- new


def test_new_creates_a_valid_problem_and_lists_it(tmp_path):
    root = small_project(tmp_path / "project")
    index = root / "problems" / "handouts.yml"
    old = index.read_text(encoding="utf-8")
    result = run_cli(root, "new", "002-small-net", "--handout", "002", "--title", "A small: net")
    assert result.returncode == 0, result.stderr
    created = root / "problems" / "002-small-net.yml"
    data = yaml.safe_load(created.read_text(encoding="utf-8"))
    assert data["title"] == "A small: net" and data["handout"] == "002"
    new = index.read_text(encoding="utf-8")
    # one line added, right after the handout's last problem; every other line (comments too) kept
    indent = re.search(rf"^( *)- {REAL}$", old, re.M).group(1)
    added = [line for line in new.splitlines() if line not in old.splitlines()]
    assert added == [f"{indent}- 002-small-net"]
    assert new.replace(f"{indent}- 002-small-net\n", "", 1) == old
    listed = yaml.safe_load(new)["handouts"]
    before = next(h for h in yaml.safe_load(old)["handouts"] if h["id"] == "002")["problems"]
    assert REAL in before
    assert next(h for h in listed if h["id"] == "002")["problems"] == before + ["002-small-net"]
    build = run_cli(root, "build", "--strict")
    assert build.returncode == 0, build.stderr
    assert "  regenerated 002-small-net" in build.stdout
    assert (root / "docs" / "handouts" / "002-chain-rule-and-neural-networks" / "002-small-net.md").is_file()


def handout_ids(root: Path) -> list[str]:
    return [str(h["id"]) for h in yaml.safe_load((root / "problems" / "handouts.yml").read_text(
        encoding="utf-8"))["handouts"]]


def test_new_under_a_handout_with_no_problems(project_copy):
    root = project_copy()
    index = root / "problems" / "handouts.yml"
    free = next(f"{i:03d}" for i in range(900, 1000) if f"{i:03d}" not in handout_ids(root))  # not a user's
    index.write_text(index.read_text(encoding="utf-8") + (
        f'  - id: "{free}"\n    slug: {free}-empty\n    title: Empty\n    file: none.txt\n'
        '    summary: A handout with no problems yet.\n    problems: []\n'), encoding="utf-8")
    old = index.read_text(encoding="utf-8")
    assert run_cli(root, "new", f"{free}-first", "--handout", free).returncode == 0
    new = index.read_text(encoding="utf-8")
    assert f"    problems:\n      - {free}-first\n" in new
    assert new.count("problems: []") == old.count("problems: []") - 1
    assert new.splitlines()[0] == old.splitlines()[0]  # the header comment survives
    assert yaml.safe_load((root / "problems" / f"{free}-first.yml").read_text())["title"] == "First"


@pytest.mark.parametrize("args, message", [
    (["new", REAL, "--handout", "002"], f"error: problems/{REAL}.yml already exists"),
    (["new", "002-x", "--handout", "9"], "error: unknown handout id '9'; expected one of {ids}"),
    (["new", "Bad_Name", "--handout", "002"], "error: expected NAME to be lower-case letters, digits and -"),
    (["new", "handouts", "--handout", "002"], "error: "),
])
def test_new_refuses_with_a_clear_message(project_copy, args, message):
    root = project_copy()
    before = snapshot(root / "problems")
    result = run_cli(root, *args)
    assert result.returncode == 1
    assert result.stderr.startswith(message.format(ids=", ".join(handout_ids(root)))), result.stderr
    assert_one_screen(result.stderr)
    assert snapshot(root / "problems") == before


def test_new_requires_the_handout_option(project_copy):
    result = run_cli(project_copy(), "new", "002-x")
    assert result.returncode == 2 and "--handout" in result.stderr


# ---------------------------------------------------------------- editing handouts.yml as text


BASE = """\
# the index
handouts:
  - id: "001"   # first
    slug: one
    title: One
    problems: []   # none yet
  - id: "002"
    slug: two
    title: Two
    problems:
      - a   # the first
      - b
    # a comment after the list
  - id: "003"
    slug: three
    title: Three
    problems: [c, d]
  - id: "004"
    slug: four
    title: Four
    problems:
  - id: "005"
    slug: five
    title: Five
"""


@pytest.mark.parametrize("handout, expected", [
    ("001", ["001", ["new"]]),
    ("002", ["002", ["a", "b", "new"]]),
    ("003", ["003", ["c", "d", "new"]]),
    ("004", ["004", ["new"]]),
    ("005", ["005", ["new"]]),
])
def test_add_to_handout_keeps_comments_and_layout(handout, expected):
    new = add_to_handout(BASE, handout, "new")
    data = yaml.safe_load(new)
    entry = next(h for h in data["handouts"] if h["id"] == expected[0])
    assert entry["problems"] == expected[1]
    for comment in ["# the index", "# first", "# none yet", "# the first", "# a comment after the list"]:
        assert new.count(comment) == BASE.count(comment)
    others = [h for h in yaml.safe_load(BASE)["handouts"] if h["id"] != handout]
    assert [h for h in data["handouts"] if h["id"] != handout] == others


def test_add_to_handout_refuses_a_name_already_listed():
    with pytest.raises(GeneratorError, match="already listed under handout '002'"):
        add_to_handout(BASE, "003", "a")


def test_template_is_shipped_and_valid(tmp_path):
    from generator.problem.load import load_problem
    from generator.solve.solution import solve

    assert template_text().startswith("# yaml-language-server: $schema=problem.schema.json\n")
    path = tmp_path / "t.yml"
    path.write_text(render_template('Quotes " and \\ and: colons', "002"), encoding="utf-8")
    problem = load_problem(path, tmp_path)
    assert problem.title == 'Quotes " and \\ and: colons'
    assert len(problem.questions) == 5
    solve(problem)  # every check passes


@pytest.mark.parametrize("name, title", [("002-small-tanh-network", "Small tanh network"),
                                         ("relu", "Relu"), ("003-4-3-2-1", "4 3 2 1")])
def test_default_title(name, title):
    assert default_title(name) == title
