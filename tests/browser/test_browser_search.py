"""Site search, typed into the search box as a reader would: the results link to existing pages,
among them the problem pages that contain the words."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from .support import PROBLEM_PAGES, SITE, SITE_BUILT, assert_none, pages_mentioning

LINKS = ".md-search-result__item a.md-search-result__link"

# (words, required): a required search must find a problem page on today's site; the others
# (words the issue asks for whose problems are not written yet) are skipped until a problem
# page contains them, and then tested like the rest. Add words here.
SEARCHES = [
    ("sigmoid", True),
    ("chain rule", True),
    ("loss", True),
    ("quotient rule", False),
    ("delta", False),
]


@pytest.mark.parametrize("words,required", SEARCHES, ids=[w for w, _ in SEARCHES])
def test_search_finds_the_problem_pages(open_page, site_url, words, required):
    expected = pages_mentioning(words, PROBLEM_PAGES) if SITE_BUILT else []
    if not expected:
        if required:
            pytest.fail(f"no problem page contains {words!r}: choose another word")
        pytest.skip(f"page not generated yet: no problem page contains {words!r}")

    page, tracker = open_page("index.html")
    box = page.locator(".md-search__input")
    box.click()
    box.press_sequentially(words, delay=10)  # real key strokes: the search listens to keyup
    page.wait_for_selector(".md-search-result__item", timeout=10_000)
    # results follow the typing; give the last query's results time to replace earlier ones
    try:
        page.wait_for_function(f"""expected => [...document.querySelectorAll('{LINKS}')]
            .some(a => expected.includes(new URL(a.href).pathname.replace(/^\\//, '')))""",
                               arg=expected, timeout=5_000)
    except PlaywrightTimeoutError:
        pass  # the assertions below say what was found instead
    hrefs = page.eval_on_selector_all(LINKS, "as => as.map(a => a.href)")
    targets = []
    for href in hrefs:
        parts = urlsplit(href)
        assert parts.netloc == urlsplit(site_url).netloc, href
        path = parts.path.lstrip("/")
        assert (SITE / path).is_file(), f"search result links to a missing page: {href}"
        targets.append(path)
    assert set(targets) & set(expected), \
        f"results {sorted(set(targets))} link to none of the pages with {words!r}: {expected}"

    assert_none(tracker.problems())
