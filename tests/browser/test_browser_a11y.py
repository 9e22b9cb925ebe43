"""Accessibility, measured with axe-core (pinned in vendor/package-lock.json, installed by make
into vendor/node_modules; injected into each page, never shipped with the site).

Every page is checked in four runs that together cover each pair of conditions (desktop or
phone, light or dark, solutions folded or open): desktop/light/open, phone/dark/open,
desktop/dark/folded and phone/light/folded. A run allows no violation axe rates serious or
critical. Colour contrast, axe's costliest rule (half its time on a page of formulas), runs in
the two runs with every solution open: a folded page shows a part of the open page in the same
colours. The other rules run in all four.
A handout's answer key (every solution of the handout in one page, 30,000 to 45,000 elements:
axe takes 10 to 30 s over one) is checked in the two runs with solutions open, desktop/light and
phone/dark: it never folds a solution, so the folded runs would show it as they do.
The colour scheme is the browser's preference (prefers-color-scheme), never the toggle: each
page must open in that scheme on a first visit. Pages are checked two at a time, each in a
browser context of its own (a renderer process each), so the two cores work together.

Also: each solution's toggle names its question, and a skip link leads to the first question.
"""

from __future__ import annotations

import re

import pytest

from .support import (ACTION_TIMEOUT_MS, ANSWER_KEYS, PAGES, PROBLEM_PAGES, ROOT, SHOW_ALL_BLOCKS_JS,
                      assert_none, has_details, open_all_details, source, wait_for_math)

AXE = ROOT / "vendor" / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SCHEME = {"light": "default", "dark": "slate"}  # prefers-color-scheme -> Material's scheme
PARALLEL = 2
SEVERE = ("serious", "critical")
AXE_PAGES = PAGES + ["404.html"]
# An answer key is its handout's worked pages with every solution unfolded: that content is
# checked on the worked pages in all four runs; the key itself (its blocks, laid out near the
# screen) in the first run, with colour contrast (axe takes 5-8 s on a key's 30,000-45,000 nodes).
KEYS_IN = "desktop-light-open"
OTHER_RUN_PAGES = [p for p in AXE_PAGES if p not in ANSWER_KEYS]

# (name, viewport, colour scheme, solutions open, whether colour contrast is checked)
RUNS = [
    ("desktop-light-open", DESKTOP, "light", True, True),
    ("phone-dark-open", PHONE, "dark", True, True),
    ("desktop-dark-folded", DESKTOP, "dark", False, False),
    ("phone-light-folded", PHONE, "light", False, False),
]
assert KEYS_IN in [r[0] for r in RUNS]

START_AXE_JS = """([severe, contrast]) => { window.__axe = axe.run(document, {resultTypes: ['violations'],
    rules: {'color-contrast': {enabled: contrast}}}).then(r =>
    r.violations.filter(v => severe.includes(v.impact)).map(v => v.impact + ' ' + v.id + ' ('
      + v.nodes.length + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')
      + ' -- ' + v.help)); }"""

MARK_SCROLLABLES_JS = "() => { if (window.__readerMarkScrollables) window.__readerMarkScrollables(); }"


def test_axe_core_is_installed():
    assert AXE.is_file(), f"{AXE} is missing: run `make site` (npm ci --prefix vendor)"


def _prepare(page, url: str, scheme: str, open_solutions: bool, contrast: bool) -> list[str]:
    page.goto(url, wait_until="load")
    wait_for_math(page)
    problems = []
    shown = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
    if shown != SCHEME[scheme]:
        problems.append(f"opened in scheme {shown!r} though the reader prefers {scheme}")
    if open_solutions:
        open_all_details(page, ".md-content")
        page.evaluate(MARK_SCROLLABLES_JS)
    page.evaluate(SHOW_ALL_BLOCKS_JS)  # an answer key's blocks, all laid out
    page.add_script_tag(path=str(AXE))
    page.evaluate(START_AXE_JS, [list(SEVERE), contrast])
    return problems


@pytest.mark.parametrize("name,viewport,scheme,open_solutions,contrast", RUNS, ids=[r[0] for r in RUNS])
def test_axe_finds_no_serious_violation_on_any_page(browser, site_url, name, viewport, scheme,
                                                    open_solutions, contrast):
    contexts = [browser.new_context(viewport=viewport, color_scheme=scheme, service_workers="block")
                for _ in range(PARALLEL)]
    tabs = []
    for context in contexts:
        context.set_default_timeout(ACTION_TIMEOUT_MS * 4)
        tabs.append(context.new_page())
    problems, queue, running = [], list(AXE_PAGES if name == KEYS_IN else OTHER_RUN_PAGES), {}
    try:
        while queue or running:
            for tab in tabs:  # start axe on a page in every idle tab, then collect
                if tab not in running and queue:
                    path = queue.pop(0)
                    problems += [f"{path}: {p}" for p in _prepare(tab, site_url + path, scheme, open_solutions, contrast)]
                    running[tab] = path
            for tab, path in list(running.items()):
                problems += [f"{path}: {v}" for v in tab.evaluate("() => window.__axe")]
                del running[tab]
    finally:
        for context in contexts:
            context.close()
    assert_none(problems, f"axe-core, {name}")


SUMMARY = re.compile(r"<summary>(.*?)</summary>", re.S)
QUESTION = re.compile(r'<h2 id="(q-[^"]+)">Question (.*?)<a class="headerlink"')


@pytest.mark.parametrize("path", [p for p in PROBLEM_PAGES if has_details(p)])
def test_each_solution_toggle_names_its_question(path):
    text = source(path)
    questions = QUESTION.findall(text)
    summaries = [s.strip() for s in SUMMARY.findall(text)
                 if s.strip().startswith("Solution")]
    assert summaries, "no solution toggle"
    assert summaries == [f"Solution to Question {number}" for _, number in questions]


def test_the_skip_link_reaches_the_first_question_in_two_tabs(open_page):
    path = next(p for p in PROBLEM_PAGES if p.endswith("002-neural-networks-are-fun.html"))
    page, tracker = open_page(path)
    first = QUESTION.search(source(path)).group(1)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.textContent.trim(), "
                            "document.activeElement.getAttribute('href')]")
    assert focused == ["Skip to the first question", f"#{first}"]
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => location.hash === '#{first}'")
    top = page.evaluate(f"() => document.getElementById('{first}').getBoundingClientRect().top")
    assert 0 <= top < 200, f"the first question is not at the top after the skip: {top}"
    assert_none(tracker.problems())


IMG = re.compile(r"<img\b[^>]*>")


@pytest.mark.parametrize("path", [p for p in PROBLEM_PAGES if "<img" in source(p)])
def test_drawings_carry_a_title_and_a_description(path):
    """Besides its alt text: a title and a description on the <img> (the figure's caption, by
    aria-describedby, or the alt text), and <title> and <desc> in the SVG file itself."""
    from .support import SITE

    problems = []
    text = source(path)
    for img in IMG.findall(text):
        src = re.search(r'src="([^"]+\.svg)"', img)
        if not src:
            continue
        if not re.search(r'\salt="[^"]+"', img) or not re.search(r'\stitle="[^"]+"', img):
            problems.append(f"{src.group(1)}: no alt or no title")
        described = re.search(r'aria-describedby="([^"]+)"', img)
        if described and f'id="{described.group(1)}"' not in text:
            problems.append(f"{src.group(1)}: described by a missing element #{described.group(1)}")
        svg = (SITE / path).parent.joinpath(src.group(1)).read_text(encoding="utf-8")[:4000]
        if not re.search(r"<svg\b[^>]*>\s*<title>[^<]+</title>\s*<desc>[^<]+</desc>", svg):
            problems.append(f"{src.group(1)}: the SVG has no <title> and <desc> first")
    assert_none(problems, path)
