"""The light/dark toggle (overrides/partials/palette.html, its inline script, palette.js).

- A first visit opens in the reader's system scheme (prefers-color-scheme) before anything of
  the page's content exists, so nothing is restyled later (the content is recorded as it is
  inserted, by a MutationObserver that runs before the page's own scripts).
- Until the reader chooses, the page follows the system setting as it changes.
- The toggle (a click, or Enter on it) switches the scheme, shows the toggle back, and the choice
  holds on every other page and over the system setting.
- The color-scheme meta tag (scroll bars, form controls) and the theme-color tag (a phone
  browser's toolbar) follow the scheme.

Each test has a browser context of its own with empty storage (the shared HTTP context clears
the storage at every page, so a remembered choice could not be seen there).
"""

from __future__ import annotations

import pytest

from .support import (ACTION_TIMEOUT_MS, PROBLEM_PAGES, VIEWPORT, Tracker, assert_none,
                      main_problem_page)

SCHEME = {"light": "default", "dark": "slate"}
# Which toggle is shown: the one that switches away from the scheme in use.
TOGGLE_TITLE = {"default": "Switch to dark mode", "slate": "Switch to light mode"}

# The body's scheme when the page's content (the article) is first inserted, before any script
# of the page after the header has run.
RECORD_SCHEME_AT_CONTENT_JS = """
window.__schemeAtContent = null;
new MutationObserver((records, observer) => {
  if (document.querySelector('article')) {
    window.__schemeAtContent = document.body.getAttribute('data-md-color-scheme');
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""

STATE_JS = """() => ({
  scheme: document.body.getAttribute('data-md-color-scheme'),
  atContent: window.__schemeAtContent,
  shown: [...document.querySelectorAll('form[data-palette] label')].filter(l => !l.hidden)
           .map(l => l.getAttribute('title')),
  colorScheme: (document.querySelector('meta[name=color-scheme]') || {}).content,
  themeColor: (document.querySelector('meta[name=theme-color]') || {}).content,
  header: getComputedStyle(document.querySelector('[data-md-component=header]')).backgroundColor,
})"""


def _hex(rgb: str) -> str:
    parts = rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3]
    return "#" + "".join(f"{int(float(p)):02x}" for p in parts)


@pytest.fixture
def fresh(browser, site_url):
    """``fresh(system)`` -> (page, tracker): a tab in a new context (empty storage) whose system
    colour scheme is ``system``."""
    made = []

    def open_(system: str):
        context = browser.new_context(viewport=VIEWPORT, color_scheme=system, service_workers="block")
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.add_init_script(RECORD_SCHEME_AT_CONTENT_JS)
        made.append(context)
        page = context.new_page()
        tracker = Tracker(allowed_origin=site_url.rstrip("/"))
        tracker.attach(page)
        return page, tracker

    yield open_
    for context in made:
        context.close()


def _state(page) -> dict:
    page.wait_for_function("() => document.querySelector('meta[name=theme-color]')")
    return page.evaluate(STATE_JS)


def _assert_scheme(state: dict, scheme: str, what: str) -> None:
    problems = []
    if state["scheme"] != scheme:
        problems.append(f"the page is in scheme {state['scheme']!r}, not {scheme!r}")
    if state["shown"] != [TOGGLE_TITLE[scheme]]:
        problems.append(f"the toggle shown is {state['shown']}, not [{TOGGLE_TITLE[scheme]!r}]")
    want_meta = "dark" if scheme == "slate" else "light"
    if state["colorScheme"] != want_meta:
        problems.append(f"meta color-scheme is {state['colorScheme']!r}, not {want_meta!r}")
    if state["themeColor"] != _hex(state["header"]):
        problems.append(f"meta theme-color is {state['themeColor']!r}, the header is {_hex(state['header'])}")
    assert_none(problems, what)


@pytest.mark.parametrize("system", ["light", "dark"])
def test_a_first_visit_opens_in_the_system_scheme_before_the_content_exists(fresh, site_url, system):
    page, tracker = fresh(system)
    page.goto(site_url + (main_problem_page() or "index.html"), wait_until="load")
    state = _state(page)
    assert state["atContent"] == SCHEME[system], (
        f"when the content was inserted the page was in scheme {state['atContent']!r}, "
        f"not the reader's {SCHEME[system]!r}: it is restyled after it is drawn")
    _assert_scheme(state, SCHEME[system], f"first visit, system {system}")
    assert_none(tracker.problems())


def test_until_the_reader_chooses_the_page_follows_the_system_setting(fresh, site_url):
    page, tracker = fresh("light")
    page.goto(site_url + "index.html", wait_until="load")
    page.emulate_media(color_scheme="dark")
    page.wait_for_selector("body[data-md-color-scheme='slate']")
    _assert_scheme(_state(page), "slate", "after the system turned dark")
    page.emulate_media(color_scheme="light")
    page.wait_for_selector("body[data-md-color-scheme='default']")
    _assert_scheme(_state(page), "default", "after the system turned light again")
    assert_none(tracker.problems())


def test_the_readers_choice_holds_on_other_pages_and_over_the_system_setting(fresh, site_url):
    pages = ["index.html", next((p for p in PROBLEM_PAGES), "notation.html"), "notation.html"]
    page, tracker = fresh("light")
    page.goto(site_url + pages[0], wait_until="load")
    page.click("label[title='Switch to dark mode']")
    page.wait_for_selector("body[data-md-color-scheme='slate']")
    page.wait_for_function("() => !document.body.hasAttribute('data-md-color-switching')")
    _assert_scheme(_state(page), "slate", "after the toggle was clicked")
    for path in pages[1:]:
        page.goto(site_url + path, wait_until="load")
        state = _state(page)
        assert state["atContent"] == "slate", f"{path}: content inserted in scheme {state['atContent']!r}"
        _assert_scheme(state, "slate", f"{path}, after the reader chose dark")
    page.emulate_media(color_scheme="light")  # the system's setting changes: the choice stays
    page.wait_for_timeout(200)
    _assert_scheme(_state(page), "slate", "the reader chose dark, then the system turned light")
    page.click("label[title='Switch to light mode']")
    page.wait_for_selector("body[data-md-color-scheme='default']")
    page.goto(site_url + pages[0], wait_until="load")
    _assert_scheme(_state(page), "default", "after the reader chose light again")
    assert_none(tracker.problems())


def test_enter_on_the_toggle_switches_the_scheme(fresh, site_url):
    page, tracker = fresh("light")
    page.goto(site_url + "index.html", wait_until="load")
    page.focus("input[name=__palette]:checked")
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-md-color-scheme='slate']")
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == TOGGLE_TITLE["slate"], f"after Enter the focus is on {focused!r}"
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-md-color-scheme='default']")
    assert_none(tracker.problems())
