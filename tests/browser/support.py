"""What the browser tests share: where the site is, which pages it has, and page checks.

The site is site/ (built by `make site`, which `make test` runs first), or the folder named
by the environment variable SITE_DIR (e.g. a deliberately broken copy). Screenshots and the
print PDF go to tests/artifacts/ (git-ignored), or to ARTIFACTS_DIR.
"""

from __future__ import annotations

import html.parser
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from built_pages import read_page
from hooks.katex_hook import math_render_mode

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("SITE_DIR", ROOT / "site")).resolve()
ARTIFACTS = Path(os.environ.get("ARTIFACTS_DIR", ROOT / "tests" / "artifacts"))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 900}  # wide enough for Material's navigation sidebar
MATH_TIMEOUT_MS = 5_000
ACTION_TIMEOUT_MS = 15_000  # a click or a page load that hangs fails in 15 s, not Playwright's 30

SITE_BUILT = (SITE / "index.html").is_file()
NOT_BUILT = f"{SITE} has no index.html: the site is not built; run `make site` (or `make test`)"


def html_pages() -> list[str]:
    """Every page of the site, relative to it (posix): *.html except 404.html and assets/."""
    if not SITE_BUILT:
        return []
    pages = []
    for path in sorted(SITE.rglob("*.html")):
        rel = path.relative_to(SITE).as_posix()
        if rel == "404.html" or rel.split("/")[0] in {"assets", "search"}:
            continue
        pages.append(rel)
    return pages


# Practice pages (generator/render/practice.py): handouts/<handout>/<problem>-practice.html; their
# answers are checked by test_browser_practice.py. Only the chosen variant is loaded
# (hooks/defer_hook.py), so the page-by-page checks go through them too.
PRACTICE_PAGES = [p for p in html_pages() if p.endswith("-practice.html")]
# A handout's answer key (answers.html, generator/render/print_pages.py) is its worked pages'
# content once more, every solution in the page (never deferred: it is printed): up to 45,000
# DOM nodes. It is a page like the others for the page-by-page checks (load, math, axe, phone),
# with SHOW_ALL_BLOCKS_JS first where a check goes through all of it; test_browser_print.py
# prints it.
ANSWER_KEYS = [p for p in html_pages() if re.fullmatch(r"handouts/[^/]+/answers\.html", p)]
PAGES = html_pages()
# Problem pages: handouts/<handout>/<problem>.html (a handout's own page is its index.html).
# A handout's print pages (questions.html, answers.html; generator/render/print_pages.py) sit
# beside its problem pages but are not problem pages.
PRINT_PAGES = [p for p in PAGES if re.fullmatch(r"handouts/[^/]+/questions\.html", p)] + ANSWER_KEYS
PROBLEM_PAGES = [p for p in PAGES if re.fullmatch(r"handouts/[^/]+/[^/]+\.html", p)
                 and not p.endswith("/index.html") and p not in PRINT_PAGES + PRACTICE_PAGES]


def main_problem_page() -> str | None:
    """The problem page the screenshots and the navigation test use: "Neural Networks Are Fun"
    (the one with a network and a computation graph) if it is built, else the first one."""
    for page in PROBLEM_PAGES:
        if page.endswith("/002-neural-networks-are-fun.html"):
            return page
    return PROBLEM_PAGES[0] if PROBLEM_PAGES else None


def source(page: str) -> str:
    """The page's HTML with the bodies the build deferred put back (tests/built_pages.py)."""
    return read_page(SITE / page)


def has_math(page: str) -> bool:
    return 'class="arithmatex"' in source(page)


def has_graphs(page: str) -> bool:
    """An <img> of an SVG file or an inline <svg> in the page's content (before any script ran),
    not counting the SVGs of KaTeX's rendered math (tall brackets, when rendered at build time)."""
    text = source(page)
    return (bool(re.search(r"""<img\b[^>]*\bsrc=["'][^"']+\.svg["']""", text))
            or _SvgOutsideMath.found(_article(text)))


class _SvgOutsideMath(html.parser.HTMLParser):
    """Whether an <svg> starts outside every .arithmatex element."""

    def __init__(self) -> None:
        super().__init__()
        self.math_depth = 0  # open elements, counted from the outermost .arithmatex
        self.svg = False

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        if self.math_depth or "arithmatex" in (dict(attrs).get("class") or "").split():
            self.math_depth += 1
        elif tag == "svg":
            self.svg = True

    def handle_endtag(self, tag):
        if self.math_depth and tag not in self.VOID:
            self.math_depth -= 1

    @classmethod
    def found(cls, text: str) -> bool:
        parser = cls()
        parser.feed(text)
        return parser.svg


def has_details(page: str) -> bool:
    return "<details" in _article(source(page))


def _article(text: str) -> str:
    start = text.find("<article")
    return text[start:text.find("</article>", start)] if start >= 0 else ""


def search_index_docs() -> list[dict]:
    """The documents of the site's search index (search/search_index.json)."""
    return json.loads((SITE / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]


def index_location_to_page(location: str) -> str:
    """'handouts/x/y.html#q-1' -> 'handouts/x/y.html'; '' (the home page) -> 'index.html'."""
    page = location.split("#")[0]
    return page or "index.html"


def pages_mentioning(phrase: str, pages: list[str]) -> list[str]:
    """Those of ``pages`` whose indexed title or text has ``phrase`` as whole words, outside
    formulas (case-insensitive): the words a reader can search for. TeX such as \\delta in
    \\(...\\) is not a word the search finds."""
    pattern = re.compile(r"\b" + r"\s+".join(map(re.escape, phrase.split())) + r"\b", re.I)
    found = set()
    for doc in search_index_docs():
        text = f"{doc.get('title', '')} {doc.get('text', '')}"
        text = re.sub(r"\\\(.*?\\\)|\\\[.*?\\\]", " ", text, flags=re.S)  # formulas
        text = re.sub(r"<[^>]+>", " ", text)
        if pattern.search(text):
            found.add(index_location_to_page(doc["location"]))
    return [p for p in pages if p in found]


# --- Checks run inside the page ---------------------------------------------------------------

# Where the site's math is rendered: at build time (hooks/katex_hook.py; the default) the
# pages arrive with it rendered and load no KaTeX script; in the browser KaTeX's auto-render
# renders it after the load (and shows a formula it cannot parse as a .katex-error span).
MATH_MODE = math_render_mode()

# Every arithmatex element has been processed by KaTeX (rendered, or replaced by an error).
MATH_PROCESSED_JS = """() => [...document.querySelectorAll('.arithmatex')]
    .every(e => e.querySelector('.katex, .katex-error'))"""

MATH_REPORT_JS = r"""() => {
  const unrendered = [...document.querySelectorAll('.arithmatex')]
    .filter(e => !e.querySelector('.katex'))
    .map(e => e.textContent.trim().slice(0, 80));
  const errors = [...document.querySelectorAll('.katex-error')]
    .map(e => (e.getAttribute('title') || '') + ' in ' + e.textContent.trim().slice(0, 80));
  // KaTeX shows an unknown command (\foo) as red text in errorColor (katex-init.js)
  const unknown = [...document.querySelectorAll('.katex-mathml mstyle[mathcolor="#cc0000"]')]
    .map(e => e.textContent.trim().slice(0, 80));
  // raw TeX delimiters left in the page's text (code blocks may show them on purpose)
  const skip = 'script, style, code, pre, textarea, .katex';
  const raw = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n; (n = walker.nextNode()); ) {
    const t = n.nodeValue;
    if ((t.includes('\\(') || t.includes('\\[')) && !n.parentElement.closest(skip))
      raw.push(t.trim().slice(0, 80));
  }
  return {katex: document.querySelectorAll('.katex').length, unrendered, errors, unknown, raw,
          script: typeof window.katex !== 'undefined' || typeof window.renderMathInElement !== 'undefined'};
}"""

GRAPHS_JS = """async () => {
  const content = document.querySelector('.md-content');
  const imgs = [...content.querySelectorAll('img')].filter(i => /\\.svg$/.test(i.getAttribute('src') || ''));
  const inline = [...content.querySelectorAll('svg')].filter(s =>
      !s.closest('.katex, .md-content__button, .headerlink, .md-icon, .twemoji')
      && !(s.parentElement && s.parentElement.closest('svg')));
  imgs.forEach(i => { i.loading = 'eager'; });  // drawings load lazily (hooks/pages_hook.py)
  await Promise.all(imgs.map(i => i.complete ? null
      : new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
  return [...imgs, ...inline].map(g => {
    const r = g.getBoundingClientRect(), cs = getComputedStyle(g);
    const img = g.tagName === 'IMG';
    return {what: img ? g.getAttribute('src') : 'inline <svg>', width: r.width, height: r.height,
            loaded: !img || (g.complete && g.naturalWidth > 0), visibility: cs.visibility,
            opacity: cs.opacity, background: cs.backgroundColor};
  });
}"""

# Open every <details> under `scope` and wait until the bodies the build deferred have arrived
# (hooks/defer_hook.py: a folded solution's body loads when it is opened; a practice variant's
# worked solutions are themselves folded and deferred, so this opens in rounds). Fails (throws)
# when a body does not arrive in time.
OPEN_ALL_DETAILS_JS = """async (scope) => {
  const waiting = () => [...document.querySelectorAll('[data-part-src]:not([data-part-loaded])')]
    .filter(el => el.tagName === 'DETAILS' ? el.open : !el.hidden);
  for (let round = 0; round < 5; round++) {
    const closed = [...document.querySelectorAll((scope || '') + ' details')].filter(d => !d.open);
    closed.forEach(d => d.open = true);
    await new Promise(r => setTimeout(r, 0));  // the toggle events, which start the loading
    const deadline = Date.now() + 20000;
    while (waiting().length) {
      if (Date.now() > deadline) throw new Error('deferred bodies did not arrive: '
          + waiting().map(el => el.getAttribute('data-part-src')).slice(0, 3).join(', '));
      await new Promise(r => setTimeout(r, 20));
    }
    if (!closed.length) break;
  }
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  await document.fonts.ready;  // fonts only the arrived math uses (else aborted when the page closes)
}"""


# The answer key's blocks are laid out only near the screen (content-visibility: auto, extra.css);
# a check of the whole page lays them all out first, as a reader who scrolled through it would
# have, and lets reader.js mark the wide formulas they hold.
SHOW_ALL_BLOCKS_JS = """() => { document.querySelectorAll('.print-block')
    .forEach(b => b.style.contentVisibility = 'visible');
  if (window.__readerMarkScrollables) window.__readerMarkScrollables(); }"""


def open_all_details(page, scope: str = "") -> None:
    """Open every <details> (under the CSS selector `scope`) with its deferred body loaded."""
    page.evaluate(OPEN_ALL_DETAILS_JS, scope)


@dataclass
class Tracker:
    """What went wrong while a page was open: console errors, uncaught exceptions, failed or
    blocked requests, HTTP errors."""
    allowed_origin: str | None  # "http://127.0.0.1:PORT", or None: file:// only
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in {"data", "blob", "about"}:
            return True
        if self.allowed_origin is None:
            return parts.scheme == "file"
        return (parts.scheme == "http" and parts.hostname == "127.0.0.1"
                and f"{parts.scheme}://{parts.netloc}" == self.allowed_origin)

    def attach(self, page):
        """Record ``page``'s troubles and block its requests outside the site; returns a
        function that undoes both."""
        def route(r):
            if self.allows(r.request.url):
                r.continue_()
            else:
                self.blocked.append(r.request.url)
                r.abort("blockedbyclient")

        def console(m):
            if m.type == "error":
                self.console_errors.append(f"{m.text} ({m.location.get('url', '')})")

        def response(r):
            if r.status >= 400:
                self.failed_requests.append(f"{r.url}: HTTP {r.status}")

        def request_failed(r):
            # the browser's own favicon fetch, cancelled by the browser (e.g. when the palette
            # switch re-links the icon): not a resource of the page; a missing favicon still
            # shows as an HTTP 404 response above
            if r.resource_type != "document" and r.url.endswith("/favicon.png") \
                    and r.failure == "net::ERR_ABORTED":
                return
            # a drawing still loading (lazily) when the test navigates on is cancelled by the
            # browser, not missing: a missing one shows as an HTTP 404 response above
            # (the same for the search worker and its index, fetched as the page starts)
            if r.resource_type != "document" and r.failure == "net::ERR_ABORTED":
                return
            self.failed_requests.append(f"{r.url}: {r.failure}")

        handlers = {
            "console": console,
            "pageerror": lambda e: self.console_errors.append(f"uncaught: {e}"),
            "requestfailed": request_failed,
            "response": response,
        }
        page.route("**/*", route)
        for event, handler in handlers.items():
            page.on(event, handler)

        def detach():
            page.unroute("**/*", route)
            for event, handler in handlers.items():
                page.remove_listener(event, handler)

        return detach

    def problems(self) -> list[str]:
        return ([f"request outside the site (blocked): {u}" for u in self.blocked]
                + [f"failed request: {u}" for u in self.failed_requests]
                + [f"console error: {m}" for m in self.console_errors])


def assert_none(problems: list[str], what: str = "") -> None:
    """Fail with every problem on its own line (pytest would shorten a list comparison)."""
    assert not problems, (f"{what}: " if what else "") + f"{len(problems)} problem(s):\n  " + \
        "\n  ".join(problems)


def wait_for_math(page) -> None:
    """Wait until KaTeX has processed every formula; a time-out is left to the assertions."""
    try:
        page.wait_for_function(MATH_PROCESSED_JS, timeout=MATH_TIMEOUT_MS)
    except Exception:  # playwright's TimeoutError: report what is (not) rendered instead
        pass


def math_problems(page) -> list[str]:
    """Why the math of the open page is not fully rendered ([] if it is)."""
    report = page.evaluate(MATH_REPORT_JS)
    problems = []
    if report["katex"] == 0:
        problems.append("no rendered formula (.katex) on a page with math")
    problems += [f"formula not rendered: {t}" for t in report["unrendered"]]
    problems += [f"KaTeX error (.katex-error): {t}" for t in report["errors"]]
    problems += [f"unknown TeX command: {t}" for t in report["unknown"]]
    problems += [f"raw TeX delimiter in the text: {t}" for t in report["raw"]]
    if MATH_MODE == "build" and report["script"]:
        problems.append("KaTeX's script is loaded, but the math is rendered at build time "
                        "(MATH_RENDER=build): the page should not need it")
    if MATH_MODE == "browser" and not report["script"]:
        problems.append("KaTeX's script is not loaded (MATH_RENDER=browser renders in the page)")
    return problems


def graph_problems(page) -> tuple[int, list[str]]:
    """(number of graphs, why some of them are not visible) for the open page, every <details>
    opened first so that graphs inside solutions are laid out too."""
    open_all_details(page)
    graphs = page.evaluate(GRAPHS_JS)
    problems = []
    for g in graphs:
        if not g["loaded"]:
            problems.append(f"{g['what']}: image did not load")
        if g["width"] <= 0 or g["height"] <= 0:
            problems.append(f"{g['what']}: zero size ({g['width']} x {g['height']})")
        if g["visibility"] != "visible" or float(g["opacity"]) == 0:
            problems.append(f"{g['what']}: invisible (visibility {g['visibility']}, opacity {g['opacity']})")
    return len(graphs), problems


def switch_to_dark(page) -> None:
    """Use the palette toggle in the header, as a reader would, and wait for the slate scheme."""
    page.click("label[for='__palette_1']")
    page.wait_for_selector("body[data-md-color-scheme='slate']", timeout=5_000)
