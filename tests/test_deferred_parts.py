"""Folded solutions and practice variants leave the page (hooks/defer_hook.py) and come back
whole: the hook on a made-up page, then every built page of site/.

The pages are read back with tests/built_pages.py, written from the part format, not with the
hook's code."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

from built_pages import part_body, whole
from hooks import defer_hook
from test_site import SITE, pytestmark  # noqa: F401  (fail, with the reason, when site/ is stale)

# half of what issue 13 measured on the largest page (1.63 MiB)
MAX_PAGE_BYTES = int(1.63 * 2**20 / 2)
ATTRS = re.compile(r' data-part="[^"]*" data-part-src="[^"]*"')


def _body(words: int) -> str:
    return "<p>" + " ".join(f"w{i}" for i in range(words)) + "</p>\n"


ARTICLE = (
    '<article class="md-content__inner">\n<h1>A page</h1>\n'
    '<details class="success">\n<summary>Solution to Question 1</summary>\n'
    + _body(600) + '<details class="info">\n<summary>How</summary>\n' + _body(10) + '</details>\n'
    + '</details>\n'
    '<details class="success">\n<summary>Solution to Question 2</summary>\n' + _body(5) + '</details>\n'
    '<div class="practice"><section class="practice-variant" data-v="1" hidden>\n' + _body(400)
    + '<details class="practice-solution">\n<summary>Worked solution</summary>\n' + _body(700)
    + '</details>\n</section>\n'
    '<section class="practice-variant" data-v="2" hidden>\n' + _body(500) + '</section></div>\n'
    '</article>')
PAGE = f"<html><body>{ARTICLE}</body></html>"


def _hooked(tmp_path: Path, with_answer_key: bool = True) -> tuple[str, Path]:
    docs, site = tmp_path / "docs", tmp_path / "site"
    (docs / "handouts" / "h").mkdir(parents=True)
    if with_answer_key:
        (docs / "handouts" / "h" / "answers.md").write_text("# Answers\n", encoding="utf-8")
    page = SimpleNamespace(file=SimpleNamespace(dest_uri="handouts/h/p.html", src_uri="handouts/h/p.md"))
    config = SimpleNamespace(docs_dir=str(docs), site_dir=str(site))
    return defer_hook.on_post_page(PAGE, page, config), site / "handouts" / "h"


def test_deferred_bodies_leave_the_page_and_come_back_whole(tmp_path):
    out, folder = _hooked(tmp_path)
    assert len(out) < len(PAGE) / 3, "the big bodies are still in the page"
    assert "w599" not in out and "w699" not in out and "w499" not in out
    # the small solution stays: its script would cost more than it saves
    assert "Solution to Question 2</summary>\n<p>w0 w1 w2 w3 w4</p>" in out
    # summaries stay, so a reader sees what to open
    assert out.count("<summary>") == 2
    assert ATTRS.sub("", whole(out, folder)) == PAGE
    # one script per body, numbered in document order (a variant's worked solution after it)
    assert sorted(p.name for p in (folder / "p.parts").iterdir()) == ["1.js", "2.js", "3.js", "4.js"]
    assert "w699" in part_body(folder, "p.parts/3.js", "3")
    assert 'data-part="3"' in part_body(folder, "p.parts/2.js", "2")


def test_placeholder_says_where_every_solution_prints(tmp_path):
    out, _ = _hooked(tmp_path)
    first = out[out.index('data-part="1"'):out.index('data-part="2"')]
    assert '<a href="answers.html">' in first and "Loading" in first
    out, _ = _hooked(tmp_path / "no-key", with_answer_key=False)
    assert "answers.html" not in out


def test_built_pages_hold_no_folded_body_and_every_part_exists():
    referenced, problems = set(), []
    pages = sorted(SITE.rglob("*.html"))
    for path in pages:
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r'<details class="(?:success|practice-solution)"[^>]*>', text):
            if "data-part-src" not in m.group(0):
                end = text.index("</details>", m.end())
                if len(text[m.end():end].encode()) >= defer_hook.MIN_BYTES:
                    problems.append(f"{path.relative_to(SITE)}: a folded body left in the page")
        try:
            full = whole(text, path.parent)  # fails on a missing or malformed part
        except (OSError, AssertionError) as err:
            problems.append(f"{path.relative_to(SITE)}: {err}")
            continue
        referenced |= {(path.parent / src).resolve() for src in re.findall(r'data-part-src="([^"]+)"', full)}
        for href in re.findall(r'class="part-print">[^<]*<a href="([^"]+)"', full):
            if not (path.parent / href).is_file():
                problems.append(f"{path.relative_to(SITE)}: the placeholder links to a missing {href}")
    scripts = {p.resolve() for p in SITE.rglob("*.parts/*.js")}
    assert referenced, "no page defers anything: is hooks/defer_hook.py in mkdocs.yml?"
    problems += [f"orphan part script {p.relative_to(SITE.resolve())}" for p in sorted(scripts - referenced)]
    assert not problems, "\n".join(problems[:20])


def test_every_reading_page_weighs_at_most_half_the_old_largest():
    """Issue 13: the largest page (1.63 MiB) at least halved. The answer keys are print
    documents holding every solution of a handout (their weight: tests/browser/test_browser_weight.py)."""
    heavy = [f"{p.relative_to(SITE)}: {p.stat().st_size:,} bytes" for p in sorted(SITE.rglob("*.html"))
             if p.name != "answers.html" and p.stat().st_size > MAX_PAGE_BYTES]
    assert not heavy, f"over {MAX_PAGE_BYTES:,} bytes:\n" + "\n".join(heavy)
