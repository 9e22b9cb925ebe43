"""Fixtures: the built site served on 127.0.0.1, one headless Chromium, and pages that record
every console error, failed request and request leaving the site (those are blocked).

Chromium is Debian's /usr/bin/chromium (`make test` installs it through
scripts/ensure-system.sh); Playwright's Python package brings only its Node driver.
Never run `playwright install`.
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest

from .support import (ACTION_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS, NOT_BUILT, SITE, SITE_BUILT,
                      VIEWPORT, Tracker, wait_for_math)


def pytest_collection_modifyitems(config, items):
    if SITE_BUILT:
        return
    here = Path(__file__).resolve().parent
    skip = pytest.mark.skip(reason=NOT_BUILT)
    for item in items:
        if here in Path(item.path).resolve().parents:
            item.add_marker(skip)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@pytest.fixture(scope="session")
def site_url():
    """http://127.0.0.1:PORT/ serving the site (a free port chosen by the OS), for the session."""
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def http_context(browser):
    """One browser context for the pages loaded over HTTP (a context costs far more than a page).
    Every document starts with empty storage, so each page opens in the light scheme."""
    context = browser.new_context(viewport=VIEWPORT, color_scheme="light", service_workers="block")
    context.add_init_script("try { localStorage.clear(); sessionStorage.clear() } catch (e) {}")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture(scope="session")
def http_tab(http_context):
    """The tab the HTTP tests navigate (a new tab per test costs a third of a page load more);
    each test gets it with screen media and without the handlers of earlier tests."""
    tabs = [http_context.new_page()]

    def get():
        if tabs[-1].is_closed():
            tabs.append(http_context.new_page())
        return tabs[-1]

    yield get
    for tab in tabs:
        if not tab.is_closed():
            tab.close()


@pytest.fixture
def open_page(browser, http_context, http_tab, site_url):
    """``open_page(path, file=False)`` -> (page, tracker): the tab showing ``path`` (relative to
    the site) loaded over HTTP, or from disk with ``file=True`` (in a context of its own), once
    its math is rendered. The tracker records what went wrong and blocks every request that
    leaves the site. Opening a second HTTP page in one test opens it in a new tab."""
    contexts, tabs, attached = [], [], []

    def open_(path: str = "index.html", *, file: bool = False):
        if file:
            context = browser.new_context(viewport=VIEWPORT, color_scheme="light",
                                          service_workers="block")
            context.set_default_timeout(ACTION_TIMEOUT_MS)
            contexts.append(context)
            page = context.new_page()
        elif not any(p is http_tab() for p, _ in attached):
            page = http_tab()
        else:
            page = http_context.new_page()
            tabs.append(page)
        tracker = Tracker(allowed_origin=None if file else site_url.rstrip("/"))
        attached.append((page, tracker.attach(page)))
        url = (SITE / path).as_uri() if file else site_url + path
        page.goto(url, wait_until="load")
        wait_for_math(page)
        return page, tracker

    yield open_
    for page, detach in attached:
        if not page.is_closed():
            detach()
    for page in tabs:
        page.close()
    for context in contexts:
        context.close()
    http_tab().emulate_media(media="screen")
