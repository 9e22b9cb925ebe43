"""Every page of the built site in Chromium: it loads cleanly, its formulas are rendered, its
graphs are visible in the light and the dark scheme, its solutions fold and unfold, and it
prints with every solution shown and without the header and navigation."""

from __future__ import annotations

import pytest

from .support import (ARTIFACTS, PAGES, PROBLEM_PAGES, assert_none, graph_problems, has_details,
                      has_graphs, has_math, main_problem_page, math_problems, switch_to_dark)

MATH_PAGES = [p for p in PAGES if has_math(p)]
GRAPH_PAGES = [p for p in PAGES if has_graphs(p)]
DETAIL_PAGES = [p for p in PAGES if has_details(p)]


def test_the_site_has_pages_math_graphs_and_solutions():
    """Guards the parametrized tests below against silently testing nothing."""
    assert "index.html" in PAGES
    assert PROBLEM_PAGES, "no problem page (handouts/<handout>/<problem>.html)"
    assert MATH_PAGES and GRAPH_PAGES and DETAIL_PAGES


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_without_errors_and_renders_its_math(open_page, path):
    page, tracker = open_page(path)
    assert page.locator(".md-content h1").count() >= 1, "no page title"
    math = math_problems(page)
    if path not in MATH_PAGES:  # no formula to render, but nothing raw may be left either
        math = [p for p in math if not p.startswith("no rendered formula")]
    assert_none(tracker.problems() + math)


@pytest.mark.parametrize("path", GRAPH_PAGES)
def test_graphs_are_visible_in_light_and_dark_scheme(open_page, path):
    page, tracker = open_page(path)
    count, problems = graph_problems(page)
    assert count > 0, "the page references an SVG graph but none is in its content"
    assert_none(problems, "light scheme")

    switch_to_dark(page)
    count_dark, problems = graph_problems(page)
    assert count_dark == count
    assert_none(problems, "dark (slate) scheme")
    # the drawings have black text: in the dark scheme they keep their white card
    backgrounds = page.eval_on_selector_all(
        ".md-content img[src$='.svg']", "els => els.map(e => getComputedStyle(e).backgroundColor)")
    assert all(b == "rgb(255, 255, 255)" for b in backgrounds), backgrounds
    assert_none(tracker.problems())


# For each <details>: is it open, and the sizes of its content (every child but the summary
# that has text or a picture; the generator may leave an empty <p> around a figure).
DETAILS_STATE_JS = """() => [...document.querySelectorAll('.md-content details')].map(d => ({
  open: d.open,
  sizes: [...d.children]
    .filter(c => c.tagName !== 'SUMMARY' && (c.textContent.trim() || c.querySelector('img, svg')))
    .map(c => { const r = c.getBoundingClientRect();
                // closed <details> hide their content with content-visibility, which keeps its
                // layout box: checkVisibility() tells whether it is rendered
                return c.checkVisibility() ? r.width * r.height : 0; }),
}))"""


@pytest.mark.parametrize("path", DETAIL_PAGES)
def test_solutions_are_collapsed_and_open_on_click(open_page, path):
    page, tracker = open_page(path)
    before = page.evaluate(DETAILS_STATE_JS)
    n = len(before)
    assert n > 0
    assert [i + 1 for i, d in enumerate(before) if d["open"]] == [], \
        "solutions must be folded when the page loads"
    assert [i + 1 for i, d in enumerate(before) if any(before[i]["sizes"])] == [], \
        "solution content is shown before it is opened"
    assert all(d["sizes"] for d in before), "a solution without content"

    # the first and the last solution are opened with real mouse clicks on their summary, the
    # others with a click event on it (the same toggle, without scrolling to each one)
    summaries = page.locator(".md-content details > summary")
    summaries.first.click()
    if n > 1:
        summaries.last.click()
    page.evaluate("""() => [...document.querySelectorAll('.md-content details')].slice(1, -1)
        .forEach(d => d.querySelector(':scope > summary').click())""")
    page.wait_for_function("""() => [...document.querySelectorAll('.md-content details')]
        .every(d => d.open)""", timeout=5_000)
    after = page.evaluate(DETAILS_STATE_JS)
    assert [i + 1 for i, d in enumerate(after) if not all(d["sizes"])] == [], \
        "solutions whose content is still hidden after a click"
    # the math inside the opened solutions is laid out (rendered while folded, shown now)
    sizes = page.eval_on_selector_all(".md-content details .katex",
                                      "ks => ks.map(k => k.getBoundingClientRect().width)")
    assert all(w > 0 for w in sizes)
    assert_none(tracker.problems())


@pytest.mark.parametrize("path", [p for p in PROBLEM_PAGES if p in DETAIL_PAGES])
def test_print_shows_every_solution_without_header_and_navigation(open_page, path):
    page, tracker = open_page(path)
    page.emulate_media(media="print")
    hidden = page.evaluate("""() => ['.md-header', '.md-sidebar--primary', '.md-sidebar--secondary',
        '.md-footer'].filter(s => document.querySelector(s))
        .map(s => [s, getComputedStyle(document.querySelector(s)).display])""")
    assert hidden and all(display == "none" for _, display in hidden), hidden
    folded = page.evaluate("""() => [...document.querySelectorAll('.md-content details')]
        .map((d, i) => [d, `solution ${i + 1} ("${d.querySelector('summary').textContent.trim()}")`])
        .filter(([d]) => [...d.children]
            .filter(c => c.tagName !== 'SUMMARY' && (c.textContent.trim() || c.querySelector('img, svg')))
            .some(c => !c.checkVisibility() || c.getBoundingClientRect().height === 0))
        .map(([, name]) => name)""")
    assert_none(folded, "solutions still folded when printing")
    assert page.evaluate("() => [...document.querySelectorAll('details')].some(d => d.open)") is False, \
        "the print stylesheet alone must show the solutions (no script opened them)"
    if path == main_problem_page():
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.pdf(path=str(ARTIFACTS / "problem-print.pdf"), format="A4")
    assert_none(tracker.problems())
