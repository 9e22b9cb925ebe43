"""The site opened from disk (file://, no server, no network), navigation between pages, and
screenshots of the home page and the problem page in both colour schemes."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest

from .support import (ARTIFACTS, PROBLEM_PAGES, SITE, assert_none, graph_problems,
                      main_problem_page, math_problems, switch_to_dark, wait_for_math)

PROBLEM = main_problem_page()


def _site_path(url: str) -> str:
    """The page's path relative to the site, for an http:// or a file:// URL."""
    path = unquote(urlsplit(url).path)
    root = SITE.as_posix().rstrip("/") + "/"
    return path[len(root):] if path.startswith(root) else path.lstrip("/")


def _click_link_to(page, target: str) -> None:
    """Click the first visible link (content or navigation) to ``target``, wait for the page."""
    link = page.locator(f"a[href$='{target.rsplit('/', 1)[-1]}']").filter(visible=True).first
    link.click()
    page.wait_for_url(lambda url: _site_path(url) == target, timeout=10_000)
    page.wait_for_load_state("load")
    wait_for_math(page)


@pytest.mark.skipif(PROBLEM is None, reason="no problem page in the site")
def test_site_opened_from_disk_renders_math_and_navigates(open_page):
    page, tracker = open_page("index.html", file=True)
    assert page.url.startswith("file://")
    assert_none(math_problems(page), "home page from disk")

    _click_link_to(page, PROBLEM)
    assert page.url.startswith("file://") and _site_path(page.url) == PROBLEM
    assert_none(math_problems(page), "problem page from disk")
    count, problems = graph_problems(page)
    assert_none(problems, "graphs from disk")

    # search from disk too (the offline plugin's inlined index and iframe-worker's shim)
    box = page.locator(".md-search__input")
    box.click()
    box.press_sequentially("chain rule", delay=10)
    page.wait_for_selector(".md-search-result__item", timeout=10_000)
    assert_none(tracker.problems())  # and not one request left file://


@pytest.mark.skipif(PROBLEM is None, reason="no problem page in the site")
def test_navigating_between_pages_keeps_math_rendered(open_page):
    page, tracker = open_page("index.html")
    features = page.evaluate("JSON.parse(document.getElementById('__config').textContent).features")
    instant = "navigation.instant" in features
    page.evaluate("window.__sameDocument = true")
    for target in (PROBLEM, "notation.html"):
        _click_link_to(page, target)
        assert_none(math_problems(page), target)
        # with instant navigation the document survives and only its content is swapped
        assert page.evaluate("window.__sameDocument === true") is instant, target
    assert_none(tracker.problems())


@pytest.mark.skipif(PROBLEM is None, reason="no problem page in the site")
def test_screenshots_of_home_and_problem_page_light_and_dark(open_page):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    written = []
    for name, path in (("home", "index.html"), ("problem", PROBLEM)):
        page, tracker = open_page(path)
        page.evaluate("document.fonts.ready.then(() => true)")
        for scheme in ("light", "dark"):
            if scheme == "dark":
                switch_to_dark(page)
            out = ARTIFACTS / f"{name}-{scheme}.png"
            page.screenshot(path=str(out), full_page=True)
            written.append(out)
        assert_none(tracker.problems())
    assert all(p.stat().st_size > 10_000 for p in written), written


def test_every_problem_page_is_reachable_from_the_home_page():
    home = (SITE / "index.html").read_text(encoding="utf-8")
    missing = [p for p in PROBLEM_PAGES if f'href="{p}' not in home]
    assert_none(missing, "problem pages not linked from the home page")
