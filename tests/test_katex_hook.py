"""hooks/katex_hook.py: math rendered at build time with the pinned KaTeX (one node process
per build), a TeX error stops the build naming page and formula, the output is deterministic,
and MATH_RENDER=browser leaves the pages as they were."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from mkdocs.exceptions import PluginError

from conftest import ROOT_DIR
from hooks import katex_hook
from hooks.katex_hook import Formula, KatexRenderer, find_formulas, math_render_mode

pytestmark = pytest.mark.skipif(not (katex_hook.KATEX_DIR / "package.json").is_file(),
                                reason="KaTeX is not installed in vendor/: run `make site`")

GOOD_PAGE = r"""# Good

Inline \(x^2 < \frac{1}{2}\) and `\(code\)`, and a display:

\[
\begin{aligned} a &= b \\ c &= d \end{aligned}
\]
"""
BAD_PAGE = r"""# Bad

Fine \(y\), broken \(\frac{1}{\) and \(\notacommand x\).
"""

# A small mkdocs project using the real hook (by absolute path); the default theme builds fast.
MKDOCS_YML = f"""site_name: katex hook test
use_directory_urls: false
markdown_extensions:
  - pymdownx.arithmatex:
      generic: true
hooks:
  - {ROOT_DIR / "hooks" / "katex_hook.py"}
extra_javascript:
  - assets/javascripts/katex-init.js
  - assets/katex/katex.min.js
  - assets/katex/contrib/auto-render.min.js
  - assets/javascripts/other.js
"""


def make_project(root: Path, pages: dict[str, str]) -> Path:
    (root / "docs").mkdir(parents=True)
    (root / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    for name, text in pages.items():
        (root / "docs" / name).write_text(text, encoding="utf-8")
    return root


def mkdocs_build(root: Path, mode: str | None, site: str = "site") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "MATH_RENDER"}
    if mode is not None:
        env["MATH_RENDER"] = mode
    env["NO_MKDOCS_2_WARNING"] = "1"
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q",
                           "-f", str(root / "mkdocs.yml"), "--site-dir", str(root / site)],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)


# --- Finding the formulas of a page -------------------------------------------------------------


def test_find_formulas_reads_inline_and_display_math_and_unescapes_html():
    page = ('<p><span class="arithmatex">\\(a &lt; b\\)</span> <code>\\(no\\)</code></p>'
            '<div class="arithmatex">\\[\nx &amp; y\n\\]</div>')
    found = find_formulas(page)
    assert [(f.tex, f.display) for f in found] == [("a < b", False), ("\nx & y\n", True)]
    assert [page[f.start:f.end] for f in found] == ["\\(a &lt; b\\)", "\\[\nx &amp; y\n\\]"]


def test_find_formulas_rejects_an_element_without_delimiters():
    with pytest.raises(ValueError, match="without"):
        find_formulas('<span class="arithmatex">x^2</span>')


# --- The renderer -------------------------------------------------------------------------------


def test_renderer_renders_inline_and_display_and_reports_errors():
    renderer = KatexRenderer()
    try:
        results = renderer.render([Formula(0, 0, "", "x^2", False), Formula(0, 0, "", "x^2", True),
                                   Formula(0, 0, "", "\\frac{1}{", False)])
    finally:
        assert renderer.stop() == ""
    assert results[0]["html"].startswith('<span class="katex">')
    assert results[1]["html"].startswith('<span class="katex-display">')
    assert "KaTeX parse error" in results[2]["error"]


def test_rendering_is_the_same_in_two_processes():
    formulas = [Formula(0, 0, "", tex, display) for tex, display in
                [("\\sigma(z) = \\frac{1}{1 + e^{-z}}", False), ("\\begin{bmatrix} 1 & 2 \\end{bmatrix}", True)]]
    first, second = KatexRenderer(), KatexRenderer()
    try:
        assert first.render(formulas) == second.render(formulas)
    finally:
        first.stop()
        second.stop()


def test_missing_node_is_reported_with_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no node on PATH
    with pytest.raises(PluginError, match="sudo apt-get install -y nodejs"):
        KatexRenderer().start()


def test_unknown_mode_is_an_error(monkeypatch):
    monkeypatch.setenv("MATH_RENDER", "server")
    with pytest.raises(PluginError, match="expected one of build, browser"):
        math_render_mode()


def test_default_mode_is_build(monkeypatch):
    monkeypatch.delenv("MATH_RENDER", raising=False)
    assert math_render_mode() == "build"


# --- mkdocs builds with the hook ------------------------------------------------------------------


def test_a_tex_error_fails_the_build_naming_page_and_formula(tmp_path):
    root = make_project(tmp_path, {"index.md": GOOD_PAGE, "bad.md": BAD_PAGE})
    run = mkdocs_build(root, "build")
    assert run.returncode != 0
    assert "docs/bad.md: \\(\\frac{1}{\\)" in run.stderr
    assert "docs/bad.md: \\(\\notacommand x\\)" in run.stderr
    assert "KaTeX cannot render 2 formula(s)" in run.stderr
    assert "index.md" not in run.stderr and "Traceback" not in run.stderr


def test_build_mode_ships_rendered_math_without_katex_scripts_deterministically(tmp_path):
    root = make_project(tmp_path, {"index.md": GOOD_PAGE})
    first, second = mkdocs_build(root, "build", "site1"), mkdocs_build(root, None, "site2")
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    page = (root / "site1" / "index.html").read_text(encoding="utf-8")
    assert page.count('class="arithmatex"><span><span class="katex">') == 1
    assert page.count('class="arithmatex"><span><span class="katex-display">') == 1
    assert "\\(x" not in page and "\\[" not in page and "<code>\\(code\\)</code>" in page
    for script in ("katex-init.js", "katex.min.js", "auto-render.min.js"):
        assert script not in page
    assert "assets/javascripts/other.js" in page  # other scripts stay
    # the default mode is build, and the page is the same byte for byte (but for the build
    # date the default theme writes into a comment at the end)
    again = (root / "site2" / "index.html").read_text(encoding="utf-8")
    assert without_build_date(again) == without_build_date(page)


def without_build_date(page: str) -> str:
    return re.sub(r"Build Date UTC : [^\n]*", "", page)


def test_browser_mode_leaves_the_page_to_auto_render(tmp_path):
    root = make_project(tmp_path, {"index.md": GOOD_PAGE, "bad.md": BAD_PAGE})
    run = mkdocs_build(root, "browser")
    assert run.returncode == 0, run.stderr  # TeX errors show in the page, as before
    page = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert '<span class="arithmatex">\\(x^2 &lt; \\frac{1}{2}\\)</span>' in page
    assert 'class="katex"' not in page
    for script in ("katex-init.js", "katex.min.js", "auto-render.min.js"):
        assert script in page


# --- The formula cache ------------------------------------------------------------------------------


def cache_files(root: Path) -> list[Path]:
    return sorted((root / ".build-cache").glob("katex-*.json"))


def test_a_rebuild_takes_known_formulas_from_the_cache(tmp_path):
    """The first build fills .build-cache/katex-*.json; a rebuild serves what is in it (here an
    entry replaced by a marker shows up in the page: node was not asked) and renders only new
    formulas."""
    root = make_project(tmp_path, {"index.md": GOOD_PAGE})
    assert mkdocs_build(root, "build", "site1").returncode == 0
    [cache] = cache_files(root)
    known = json.loads(cache.read_text(encoding="utf-8"))
    assert set(known) == {"inline:x^2 < \\frac{1}{2}", "display:\n\\begin{aligned} a &= b \\\\ c &= d \\end{aligned}\n"}
    known["inline:x^2 < \\frac{1}{2}"] = {"html": '<span class="katex">MARKER</span>', "warnings": []}
    cache.write_text(json.dumps(known), encoding="utf-8")
    (root / "docs" / "index.md").write_text(GOOD_PAGE + "\nNew: \\(y_1\\).\n", encoding="utf-8")
    run = mkdocs_build(root, "build", "site2")
    assert run.returncode == 0, run.stderr
    page = (root / "site2" / "index.html").read_text(encoding="utf-8")
    assert "MARKER" in page  # from the cache
    assert '<annotation encoding="application/x-tex">y_1</annotation>' in page  # rendered by node
    assert "katex-display" in page
    assert "inline:y_1" in json.loads(cache.read_text(encoding="utf-8"))


def test_rejected_formulas_are_not_cached_and_fail_every_build(tmp_path):
    root = make_project(tmp_path, {"bad.md": BAD_PAGE})
    for site in ("site1", "site2"):
        run = mkdocs_build(root, "build", site)
        assert run.returncode != 0 and "KaTeX cannot render 2 formula(s)" in run.stderr
    for path in cache_files(root):  # (a failed build keeps no cache)
        assert "frac{1}{" not in path.read_text(encoding="utf-8")


def test_another_render_script_or_katex_starts_another_cache(tmp_path):
    script = tmp_path / "katex-render.js"
    script.write_bytes(katex_hook.RENDER_SCRIPT.read_bytes())
    same = katex_hook.FormulaCache(tmp_path, script=script)
    assert same.path == katex_hook.FormulaCache(tmp_path).path
    script.write_bytes(katex_hook.RENDER_SCRIPT.read_bytes().replace(b"#cc0000", b"#cc0001"))
    assert katex_hook.FormulaCache(tmp_path, script=script).path != same.path
