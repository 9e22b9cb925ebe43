"""Site search, typed into the search box as a reader would: the results link to existing pages,
among them the problem pages that contain the words."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from .support import PROBLEM_PAGES, SITE, SITE_BUILT, assert_none, pages_mentioning, search_index_docs

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


# --- Where a student's query lands ------------------------------------------------------------

H000, H001 = "handouts/000-derivatives-and-backprop-worksheet/", "handouts/001-worksheet-official-solution/"
H002, H003 = "handouts/002-chain-rule-and-neural-networks/", "handouts/003-relu-network-homework/"
H004 = "handouts/004-delta-recursion-tasks/"
DERIVATIVES = {H000 + "000-derivatives-of-simple-functions.html", H001 + "001-derivatives-official-solution.html"}
SUM_OF_SIGMOIDS = {H000 + "000-sum-of-activations.html", H001 + "001-sum-of-activations.html"}
NETWORKS_ARE_FUN = {H002 + "002-neural-networks-are-fun.html"}
AUTHORS = ("writing-a-problem.html", "writing-a-problem/")  # the authors' pages
LOGISTIC_REGRESSION = {"handouts/extra-beyond-the-handouts/extra-logistic-regression.html"}

# (what a student types, the pages the first result may be on, a page that must be listed too).
# Math is searched as it reads (σ′, W2,1,1), and by synonyms (logistic, gradient, rectifier).
STUDENT_QUERIES = [
    ("sigmoid derivative", DERIVATIVES | SUM_OF_SIGMOIDS, H000 + "000-derivatives-of-simple-functions.html"),
    ("σ′", DERIVATIVES | SUM_OF_SIGMOIDS, None),
    ("logistic", DERIVATIVES | SUM_OF_SIGMOIDS | LOGISTIC_REGRESSION, None),
    ("tanh", {H000 + "000-two-layer-cost.html", H001 + "001-two-layer-cost.html"} | DERIVATIVES,
     H000 + "000-derivatives-of-simple-functions.html"),
    ("W2,1,1", NETWORKS_ARE_FUN, None),
    ("ReLU at 0", {H004 + "004-relu-derivative-claim.html", "notation.html"} | DERIVATIVES, None),
    ("convention", {"notation.html"}, None),
    ("rectifier", NETWORKS_ARE_FUN | DERIVATIVES | {H003 + "003-single-sample.html"}, None),
    ("learning rate", {H000 + "000-two-layer-identity.html", H001 + "001-two-layer-identity.html"}, None),
    ("gradient descent", {H000 + "000-two-layer-identity.html", H001 + "001-two-layer-identity.html"}, None),
    ("batch", {H003 + "003-batch.html"}, None),
    ("transpose", {H002 + "002-chain-rule-layouts.html"}, None),
    ("numerator layout", {H002 + "002-chain-rule-layouts.html"}, "notation.html"),
    ("quotient rule", {H002 + "002-chain-rule-is-all-you-need.html"}, None),
    ("delta", {H004 + "004-delta-recursion.html"}, None),
    ("exponential blow-up", {H004 + "004-exponential-blowup.html"}, None),
    ("cross entropy", NETWORKS_ARE_FUN | LOGISTIC_REGRESSION, None),
    ("computation graph", {"graph-legend.html"}, None),
    ("bias", {"notation.html"} | NETWORKS_ARE_FUN | {H003 + "003-batch.html", H003 + "003-single-sample.html"}, None),
]

RESULTS_JS = f"""() => [...document.querySelectorAll('{LINKS}')]
    .map(a => new URL(a.href).pathname.replace(/^\\//, ''))"""


def _results(page, words: str) -> list[str]:
    """The pages the results link to, in order (one entry per result), once they stop changing."""
    box = page.locator(".md-search__input")
    box.fill("")
    box.press_sequentially(words, delay=5)
    box.press("End")  # a key up: text typed as σ (inserted, no key) does not start a search
    last, stable = None, 0
    for _ in range(50):
        page.wait_for_timeout(100)
        now = page.evaluate(RESULTS_JS)
        stable = stable + 1 if now and now == last else 0
        if stable >= 3:
            break
        last = now
    return page.evaluate(RESULTS_JS)


def test_student_queries_land_on_the_worked_pages(open_page):
    """Each query's first result is on one of the pages that answer it, the page that must be
    listed is listed, and the authors' page "Writing a problem" is never first."""
    page, tracker = open_page("index.html")
    page.locator(".md-search__input").click()
    problems = []
    for words, first, listed in STUDENT_QUERIES:
        missing = sorted(p for p in first | {listed} - {None} if not (SITE / p).is_file())
        if missing:
            problems.append(f"{words!r}: expected pages not built: {missing}")
            continue
        results = _results(page, words)
        pages = list(dict.fromkeys(results))
        if not pages:
            problems.append(f"{words!r}: no result")
            continue
        if pages[0] not in first:
            problems.append(f"{words!r}: first result on {pages[0]}, expected one of {sorted(first)}"
                            f" (pages listed: {pages[:5]})")
        if listed and listed not in pages:
            problems.append(f"{words!r}: {listed} not among the results {pages}")
        if pages[0].startswith(AUTHORS):
            problems.append(f"{words!r}: the authors' page is the first result")
    assert len(STUDENT_QUERIES) >= 15
    assert_none(problems + tracker.problems(), "student queries")


def test_search_index_holds_math_as_text_not_tex():
    """Formulas are indexed as readable text, e.g. W2,1,1 and σ′: no \\(..\\) or \\[..\\] outside
    code. (TeX a page shows raw, outside any formula, is the raw-TeX test's business.)"""
    docs = search_index_docs()
    formula = re.compile(r"\\\(.*?\\\)|\\\[.*?\\\]", re.S)
    raw = [f"{d['location']}: {formula.search(text).group(0)[:80]}" for d in docs
           if formula.search(text := re.sub(r"<code>.*?</code>", "", d["text"], flags=re.S))]
    assert_none(raw, "index entries with TeX")
    text = " ".join(d["text"] for d in docs)
    for written in ("W2,1,1", "σ′(x)", "∂J/∂"):
        assert written in text, f"{written!r} is not in the search index"
