"""Lighter pages and 404.html:

- the body of a folded solution, and each practice variant, is not in the page: it arrives when
  opened or chosen (hooks/defer_hook.py, parts.js), over http and from disk (the DOM nodes of
  every page on load are counted in test_browser_pages.py, its bytes in test_deferred_parts.py);

- drawings inside folded solutions are not fetched when the page loads, and load when their
  solution is opened (hooks/pages_hook.py marks them loading="lazy");
- 404.html opened from disk is styled and every resource it asks for exists (its links are
  relative to the site's folder, not to the server's root).
"""

from __future__ import annotations

import re

import pytest

from .support import PRACTICE_PAGES, PROBLEM_PAGES, SITE, assert_none, source

PAGE = next((p for p in PROBLEM_PAGES if p.endswith("002-neural-networks-are-fun.html")), None)


def _svgs_in_solutions(path: str) -> list[str]:
    text = source(path)
    folded = "".join(re.findall(r"<details\b.*?</details>", text, flags=re.S))
    outside = re.sub(r"<details\b.*?</details>", "", text, flags=re.S)
    inside = set(re.findall(r'<img\b[^>]*\bsrc="([^"]+\.svg)"', folded))
    return sorted(inside - set(re.findall(r'<img\b[^>]*\bsrc="([^"]+\.svg)"', outside)))


def test_drawings_in_folded_solutions_load_when_opened(open_page):
    assert PAGE, "no 002-neural-networks-are-fun page"
    folded = _svgs_in_solutions(PAGE)
    assert folded, f"{PAGE} has no drawing inside a solution"
    page, tracker = open_page(PAGE)
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url))
    page.reload(wait_until="load")
    page.wait_for_timeout(500)
    early = [src for src in folded if any(u.endswith("/" + src) for u in fetched)]
    assert not early, f"fetched on load though inside folded solutions: {early}"
    # open the solution holding the first one: its drawing arrives
    details = page.locator(f"details:has(img[src='{folded[0]}'])").first
    details.locator("summary").click()
    page.wait_for_function(f"""() => [...document.querySelectorAll("img[src='{folded[0]}']")]
        .some(i => i.complete && i.naturalWidth > 0)""", timeout=10_000)
    assert_none(tracker.problems())


def test_404_page_works_from_disk(open_page):
    page, tracker = open_page("404.html", file=True)
    styled = page.evaluate("""() => ({header: getComputedStyle(document.querySelector('.md-header')).position,
        sheets: [...document.styleSheets].filter(s => s.href && s.href.includes('main')).length,
        links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))
            .filter(h => h.startsWith('/'))})""")
    assert styled["sheets"] >= 1 and styled["header"] == "sticky", styled
    assert styled["links"] == [], f"links from the server's root: {styled['links'][:5]}"
    home = page.locator(".md-header a.md-logo, .md-header__button.md-logo").first
    home.click()
    page.wait_for_load_state("load")
    assert page.url == (SITE / "index.html").as_uri()
    assert_none(tracker.problems())


WORKED = next((p for p in PROBLEM_PAGES if p.endswith("003-single-sample.html")), None)
PRACTICE = next((p for p in PRACTICE_PAGES if p.endswith("003-single-sample-practice.html")), None)
# the part scripts the page has added (a resource timing entry is not kept for file://)
PARTS = "() => [...document.scripts].map(s => s.src).filter(n => n.includes('.parts/'))"


@pytest.mark.parametrize("file", [False, True], ids=["http", "file"])
def test_a_folded_solution_arrives_when_opened(open_page, file):
    assert WORKED, "no 003-single-sample page"
    page, tracker = open_page(WORKED, file=file)
    assert page.evaluate(PARTS) == [], "a solution's body was fetched before it was opened"
    first = page.locator("details.success[data-part-src]").first
    assert first.locator(".katex").count() == 0
    first.locator("summary").click()
    page.wait_for_selector("details.success[data-part-loaded]", timeout=20_000)
    assert first.locator(".katex").count() > 0 and first.locator(".part-placeholder").count() == 0
    assert [n.rsplit("/", 1)[-1] for n in page.evaluate(PARTS)] == ["1.js"]
    page.evaluate("async () => { await document.fonts.ready; }")
    assert_none(tracker.problems())


def test_practice_loads_only_the_chosen_variant(open_page):
    assert PRACTICE, "no 003-single-sample practice page"
    page, tracker = open_page(PRACTICE + "?v=5")
    page.wait_for_selector('.practice-variant[data-v="5"][data-part-loaded]', timeout=20_000)
    assert page.locator(".practice-variant[data-part-loaded]").count() == 1
    loaded = page.evaluate(PARTS)
    assert len(loaded) == 1, loaded
    variant = page.locator('.practice-variant[data-v="5"]')
    assert variant.locator(".practice-answer").count() > 0
    # its worked solutions are folded and deferred in turn
    solution = variant.locator("details.practice-solution[data-part-src]").first
    solution.locator("summary").click()
    page.wait_for_selector('.practice-variant[data-v="5"] details.practice-solution[data-part-loaded]',
                           timeout=20_000)
    assert len(page.evaluate(PARTS)) == 2
    page.evaluate("async () => { await document.fonts.ready; }")
    assert_none(tracker.problems())
