"""Lighter pages and 404.html:

- drawings inside folded solutions are not fetched when the page loads, and load when their
  solution is opened (hooks/pages_hook.py marks them loading="lazy");
- 404.html opened from disk is styled and every resource it asks for exists (its links are
  relative to the site's folder, not to the server's root).
"""

from __future__ import annotations

import re

from .support import PROBLEM_PAGES, SITE, assert_none, source

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
