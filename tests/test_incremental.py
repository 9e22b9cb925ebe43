"""Incremental builds (generator/pipeline.py + cache.py): only problems whose inputs changed are
solved again, the output is byte-identical to a full build, every file is still validated on
every run, and the console says what happened to each problem."""

from __future__ import annotations

import json
import re

import shutil

import pytest
import yaml

from conftest import copy_project, snapshot
from generator import cli, pipeline, produce
from generator.cache import CACHE_DIR, ENTRIES, STATE
from generator.errors import ProblemFileError, VerificationError
from generator.pipeline import REGENERATED, REUSED, UNCHANGED, run
from generator.scaffold import new_problem

REAL = "002-neural-networks-are-fun"
SECOND = "002-second"


@pytest.fixture
def project(tmp_path):
    """A copy of the project with a second problem (from the `new` template) under handout 002."""
    root = copy_project(tmp_path / "project")
    _keep_only(root, REAL)
    new_problem(root, SECOND, "002", "A second problem")
    return root


def _keep_only(root, stem: str) -> None:
    """Trim the copy to one listed problem, so these tests do not depend on the site's content."""
    index = root / "problems" / "handouts.yml"
    data = yaml.safe_load(index.read_text(encoding="utf-8"))
    for handout in data["handouts"]:
        handout["problems"] = [p for p in handout["problems"] if p == stem]
    index.write_text("# trimmed for a test\n" + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    for f in (root / "problems").glob("*.yml"):
        if f.name not in ("handouts.yml", f"{stem}.yml"):
            f.unlink()


def statuses(result) -> dict[str, tuple[str, str]]:
    return {p.stem: (p.status, p.reason) for p in result.problems}


def edit(root, stem, old, new):
    path = root / "problems" / f"{stem}.yml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def full_build_tree(tmp_path, root) -> dict[str, bytes]:
    """docs/ as a from-scratch build (no cache, no generated files) of the same problems makes it."""
    other = tmp_path / "fresh"
    copy_project(other)
    shutil.rmtree(other / "problems")
    (other / "problems").mkdir()
    for f in (root / "problems").iterdir():
        (other / "problems" / f.name).write_bytes(f.read_bytes())
    run(other, force=True)
    return snapshot(other / "docs")


def test_second_build_solves_nothing_and_writes_nothing(project):
    first = run(project)
    assert statuses(first) == {REAL: (REGENERATED, "no earlier build in the cache"),
                               SECOND: (REGENERATED, "no earlier build in the cache")}
    second = run(project)
    assert statuses(second) == {REAL: (UNCHANGED, ""), SECOND: (UNCHANGED, "")}
    assert second.report.written == [] and second.report.removed == []


def test_only_the_edited_problem_is_solved_again(project, tmp_path, monkeypatch):
    run(project)
    edit(project, SECOND, "b2: 0.5", "b2: 0.25")
    solved = []
    real_solve = produce.solve
    monkeypatch.setattr(produce, "solve", lambda p: solved.append(p.slug) or real_solve(p))
    result = run(project)
    assert solved == [SECOND]
    assert statuses(result) == {REAL: (UNCHANGED, ""), SECOND: (REGENERATED, "problem file changed")}
    base = f"handouts/002-chain-rule-and-neural-networks/{SECOND}"
    assert f"{base}.md" in result.report.written and f"{base}/network.svg" in result.report.written
    # its page, its practice page (render/practice.py), its drawings, and the handout's print
    # pages, made from its problem pages (render/print_pages.py)
    prints = {f"handouts/002-chain-rule-and-neural-networks/{p}" for p in ("questions.md", "answers.md")}
    assert all(w in (f"{base}.md", f"{base}-practice.md") or w.startswith(f"{base}/") or w in prints
               for w in result.report.written)
    assert snapshot(project / "docs") == full_build_tree(tmp_path, project)


def test_incremental_output_is_byte_identical_to_a_full_build(project, tmp_path):
    run(project)
    edit(project, REAL, "- [1, -2, 2]", "- [1, -2, 3]")
    edit(project, SECOND, 'title: "A second problem"', 'title: "Renamed"')
    run(project)
    assert snapshot(project / "docs") == full_build_tree(tmp_path, project)


def test_reverting_an_edit_reuses_the_earlier_rendering(project, tmp_path):
    run(project)
    before = snapshot(project / "docs")
    edit(project, SECOND, "b2: 0.5", "b2: 0.25")
    run(project)
    edit(project, SECOND, "b2: 0.25", "b2: 0.5")
    result = run(project)
    assert statuses(result)[SECOND] == (REUSED, "problem file changed; rendered before")
    assert snapshot(project / "docs") == before


def test_handouts_change_solves_every_problem_again(project):
    run(project)
    index = project / "problems" / "handouts.yml"
    index.write_text(index.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    result = run(project)
    assert statuses(result) == {REAL: (REGENERATED, "handouts.yml changed"),
                                SECOND: (REGENERATED, "handouts.yml changed")}


def test_generator_change_solves_every_problem_again(project, monkeypatch):
    run(project)
    monkeypatch.setattr(pipeline, "generator_hash", lambda: "0" * 64)
    result = run(project)
    assert {s for s, _ in statuses(result).values()} == {REGENERATED}
    assert all(r == "generator changed" for _, r in statuses(result).values())


def test_force_ignores_the_cache(project):
    run(project)
    result = run(project, force=True)
    assert statuses(result) == {REAL: (REGENERATED, "--force"), SECOND: (REGENERATED, "--force")}
    assert result.report.written == []


def test_damaged_cache_entry_is_rebuilt(project, tmp_path):
    run(project)
    for entry in (project / CACHE_DIR / ENTRIES).glob("*.json"):
        data = json.loads(entry.read_text(encoding="utf-8"))
        data["files"] = {k: v + "tampered" for k, v in data["files"].items()}
        entry.write_text(json.dumps(data), encoding="utf-8")
    result = run(project)
    assert statuses(result) == {REAL: (REGENERATED, "cache entry missing"),
                                SECOND: (REGENERATED, "cache entry missing")}
    assert snapshot(project / "docs") == full_build_tree(tmp_path, project)


def test_unreadable_cache_state_is_ignored(project):
    run(project)
    (project / CACHE_DIR / STATE).write_text("{not json", encoding="utf-8")
    result = run(project)
    assert {s for s, _ in statuses(result).values()} == {REUSED}
    assert result.report.written == []


def test_edited_generated_page_is_restored_from_the_cache(project):
    run(project)
    page = project / "docs" / "handouts" / "002-chain-rule-and-neural-networks" / f"{REAL}.md"
    good = page.read_bytes()
    page.write_text("hand edit\n", encoding="utf-8")
    result = run(project)
    assert statuses(result)[REAL] == (UNCHANGED, "")
    assert page.read_bytes() == good


def test_every_file_is_validated_even_when_cached(project):
    """A cached problem is still checked: --strict rejects an unknown key the cache never saw."""
    edit(project, REAL, "rounding: 4", "rounding: 4\nextra_note: tolerated without --strict")
    run(project, strict=False)
    assert statuses(run(project, strict=False))[REAL] == (UNCHANGED, "")
    with pytest.raises(ProblemFileError) as err:
        run(project, strict=True)
    assert f"problems/{REAL}.yml" in str(err.value) and "extra_note" in str(err.value)


def test_a_failed_build_writes_nothing_not_even_the_cache(project, monkeypatch):
    run(project)
    docs, cache = snapshot(project / "docs"), snapshot(project / CACHE_DIR)
    edit(project, SECOND, "b2: 0.5", "b2: 0.25")

    def fail(problem):
        raise VerificationError("a derivative disagrees with its finite difference")

    monkeypatch.setattr(produce, "solve", fail)
    with pytest.raises(VerificationError):
        run(project)
    assert snapshot(project / "docs") == docs
    assert snapshot(project / CACHE_DIR) == cache


def test_check_reads_the_cache_but_writes_nothing(project):
    run(project)
    docs, cache = snapshot(project / "docs"), snapshot(project / CACHE_DIR)
    edit(project, SECOND, "b2: 0.5", "b2: 0.25")
    result = run(project, write=False)
    assert result.report is None
    assert statuses(result) == {REAL: (UNCHANGED, ""), SECOND: (REGENERATED, "problem file changed")}
    assert snapshot(project / "docs") == docs
    assert snapshot(project / CACHE_DIR) == cache


def test_cache_keeps_a_bounded_number_of_entries(project, monkeypatch):
    monkeypatch.setattr(pipeline, "KEEP", 1)
    for rate in ("0.2", "0.3", "0.4", "0.5"):
        edit(project, SECOND, "learning_rate: ", f"learning_rate: {rate} #")
        run(project)
    entries = list((project / CACHE_DIR / ENTRIES).glob("*.json"))
    assert len(entries) == 3  # the two in use + KEEP older ones


# ---------------------------------------------------------------- the console


def test_console_reports_each_problem(project, capsys):
    assert cli.main(["--root", str(project), "build", "--strict"]) == 0
    edit(project, SECOND, "b2: 0.5", "b2: 0.25")
    assert cli.main(["--root", str(project), "build", "--strict"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert f"  regenerated {SECOND} (problem file changed)" in out
    assert f"  unchanged   {REAL}" in out
    summary = [line for line in out if line.startswith("generated ")][-1]
    assert re.match(r"generated 2 problem\(s\) \(1 regenerated, 1 from the cache\): \d+ file\(s\) written, "
                    r"\d+ unchanged, 0 removed in \d+\.\d s$", summary), summary


def test_progress_lines_on_a_long_run(project, capsys, monkeypatch):
    monkeypatch.setattr(cli, "LONG_RUN", 0.0)  # every run counts as long
    assert cli.main(["--root", str(project), "build"]) == 0
    out = capsys.readouterr().out
    assert f"[1/2] solving {REAL} ..." in out and f"[2/2] solving {SECOND} ..." in out


def test_no_progress_lines_on_a_short_run_without_a_terminal(project, capsys):
    for stem in (REAL, SECOND):  # a short run: without practice variants (each is solved too)
        path = project / "problems" / f"{stem}.yml"
        path.write_text(path.read_text(encoding="utf-8") + "variants:\n  count: 0\n", encoding="utf-8")
    assert cli.main(["--root", str(project), "build"]) == 0
    assert "solving" not in capsys.readouterr().out


def test_force_flag(project, capsys):
    cli.main(["--root", str(project), "build"])
    assert cli.main(["--root", str(project), "build", "--force"]) == 0
    out = capsys.readouterr().out
    assert f"  regenerated {REAL} (--force)" in out


def test_cache_keys_only_on_the_code_that_shapes_pages(tmp_path):
    """A comment in the command line or the bookkeeping leaves every cached page valid; one in a
    renderer or solver invalidates them."""
    import shutil

    from generator import cache

    src = tmp_path / "generator"
    shutil.copytree(cache.GENERATOR_DIR, src, ignore=shutil.ignore_patterns("__pycache__"))
    before = cache.generator_hash.__wrapped__(src)
    for name in ("cli.py", "pipeline.py", "output.py", "scaffold.py"):
        (src / name).write_text((src / name).read_text() + "\n# a comment\n")
    assert cache.generator_hash.__wrapped__(src) == before
    (src / "render" / "page.py").write_text((src / "render" / "page.py").read_text() + "\n# a comment\n")
    assert cache.generator_hash.__wrapped__(src) != before
