"""The print pages of each handout (question sheet and answer key, linked from the handout's
index) and `make pdf` (scripts/print_pdf.py), which prints them with the headless Chromium:
every PDF has numbered pages, a question is on the page where its solution starts, the sheet
holds no solution and the key holds every one, and no formula is wider than the printed column."""

from __future__ import annotations

import re
import sys

import pytest

from .support import ROOT, SITE, SITE_BUILT, assert_none

sys.path.insert(0, str(ROOT / "scripts"))
import print_pdf  # noqa: E402  (scripts/ is not a package)

HANDOUTS = sorted(p.parent.name for p in SITE.glob("handouts/*/questions.html")) if SITE_BUILT else []
# printed here (a PDF costs seconds): the handout with drawings in its statements and the one
# with the widest formulas; `make pdf` prints them all with the same code
PRINTED = [h for h in HANDOUTS if h.startswith(("002-", "003-"))]
A4_COLUMN_PX = round((210 - 28) / 25.4 * 96)  # A4 less the script's 14 mm margins, at 96 px/in
HEADING = re.compile(r"^Question (\S.*?)\s*$", re.M)
SOLUTION = re.compile(r"Solution to Question (\S.*?)\s*$", re.M)


def test_every_handout_with_problems_has_print_pages_linked_from_its_index():
    assert HANDOUTS, "no handouts/*/questions.html in the site"
    for handout in HANDOUTS:
        index = (SITE / "handouts" / handout / "index.html").read_text(encoding="utf-8")
        assert 'href="questions.html"' in index and 'href="answers.html"' in index, handout


@pytest.fixture(scope="module")
def pdfs(browser, tmp_path_factory):
    out = tmp_path_factory.mktemp("pdf")
    print_pdf.print_handouts(SITE, out, only=PRINTED, browser=browser)
    return out


def _pages(path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


def test_the_printed_handouts_are_there():
    assert len(PRINTED) == 2, f"expected handouts 002 and 003 among {HANDOUTS}"


@pytest.mark.parametrize("handout", PRINTED)
def test_make_pdf_prints_a_numbered_question_sheet_and_answer_key(pdfs, handout):
    questions, answers = _pages(pdfs / f"{handout}-questions.pdf"), _pages(pdfs / f"{handout}-answers.pdf")
    problems = []
    for name, pages in (("questions", questions), ("answers", answers)):
        n = len(pages)
        problems += [f"{name}: page {i} is not numbered 'page {i} of {n}'"
                     for i, text in enumerate(pages, 1) if f"page {i} of {n}" not in text]
    asked = [q for text in questions for q in HEADING.findall(text)]
    if not asked:
        problems.append("the question sheet has no question")
    if any(SOLUTION.search(text) for text in questions):
        problems.append("the question sheet shows a solution")
    # in the key, each question's heading is on the page where its solution starts
    heading_page, solution_page = {}, {}
    for i, text in enumerate(answers, 1):
        for q in HEADING.findall(text):
            heading_page.setdefault(q, i)
        for q in SOLUTION.findall(text):
            solution_page.setdefault(q, i)
    if sorted(solution_page) != sorted(set(asked)):
        problems.append(f"the key's solutions {sorted(solution_page)} are not the sheet's "
                        f"questions {sorted(set(asked))}")
    problems += [f"answers: Question {q} is on page {heading_page.get(q)}, its solution starts on "
                 f"page {p}" for q, p in solution_page.items() if heading_page.get(q) != p]
    assert_none(problems, handout)


@pytest.mark.parametrize("sheet", ["questions.html", "answers.html"])
def test_no_formula_is_wider_than_the_printed_column(browser, sheet):
    page = browser.new_page(viewport={"width": A4_COLUMN_PX, "height": 1000})
    problems = []
    try:
        for handout in HANDOUTS:
            page.goto((SITE / "handouts" / handout / sheet).as_uri(), wait_until="load")
            page.emulate_media(media="print")
            page.evaluate(print_pdf.PREPARE_JS)
            wide = page.evaluate("""() => { const W = document.documentElement.clientWidth;
                return [...document.querySelectorAll('.md-content .katex-html .base')]
                  .map(k => [k.getBoundingClientRect().right, k.closest('.arithmatex')])
                  .filter(([right]) => right > W + 1)
                  .filter(([, a], i, all) => all.findIndex(([, b]) => b === a) === i)
                  .map(([right, a]) => Math.round(right) + ' px: '
                       + a.querySelector('annotation').textContent.trim().slice(0, 60)); }""")
            problems += [f"{handout}/{sheet}: formula ends at {w} (column {A4_COLUMN_PX} px)" for w in wide]
    finally:
        page.close()
    assert_none(problems)
