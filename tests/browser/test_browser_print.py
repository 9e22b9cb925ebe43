"""The print pages of each handout (question sheet and answer key, linked from the handout's
index) and `make pdf` (scripts/print_pdf.py), which prints them with the headless Chromium.

Every handout is printed once (both PDFs, by the code `make pdf` runs) and the PDFs are read
back with pypdf, line by line with their positions on the page:

- every page is numbered ("page i of n");
- the sheet asks every question the key answers, and shows no solution;
- in the key, each question's heading is on the page where its solution's title is, above it,
  and the solution's first lines follow the title on that page (a question never sits alone at
  the foot of a page);
- no formula is wider than the printed column (measured in the browser, in print media, at the
  column's width);
- the sheet has the numbers each problem gives (every formula of its worked page's "Given"
  section) and no drawing from a solution.
"""

from __future__ import annotations

import re
import sys
from html import unescape

import pytest

from .support import ROOT, SITE, SITE_BUILT, assert_none, source

sys.path.insert(0, str(ROOT / "scripts"))
import print_pdf  # noqa: E402  (scripts/ is not a package)

HANDOUTS = sorted(p.parent.name for p in SITE.glob("handouts/*/questions.html")) if SITE_BUILT else []
A4_COLUMN_PX = round((210 - 28) / 25.4 * 96)  # A4 less the script's 14 mm margins, at 96 px/in
HEADING = re.compile(r"^Question (\S.*?)\s*$")
SOLUTION = re.compile(r"^Solution to Question (\S.*?)\s*$")


def test_every_handout_with_problems_has_print_pages_linked_from_its_index():
    assert HANDOUTS, "no handouts/*/questions.html in the site"
    for handout in HANDOUTS:
        index = (SITE / "handouts" / handout / "index.html").read_text(encoding="utf-8")
        assert 'href="questions.html"' in index and 'href="answers.html"' in index, handout


# Display or inline formulas ending past the right edge of the box that holds them (the column,
# or a solution's box inside it), measured on the page as `make pdf` prints it (print media, the
# column's width, formulas fitted).
WIDE_JS = """() => {
  const edge = el => { const box = el.parentElement, cs = getComputedStyle(box);
    return box.getBoundingClientRect().right - parseFloat(cs.paddingRight) - parseFloat(cs.borderRightWidth); };
  const W = document.documentElement.clientWidth;
  return [...document.querySelectorAll('.md-content .arithmatex')].map(a => {
      const right = Math.max(0, ...[...a.querySelectorAll('.katex-html .base')].map(k => k.getBoundingClientRect().right));
      return [right, Math.min(W, edge(a)), a]; })
    .filter(([right, limit]) => right > limit + 1)
    .map(([right, limit, a]) => Math.round(right) + ' px, its box ends at ' + Math.round(limit) + ' px: '
         + a.querySelector('annotation').textContent.trim().slice(0, 60)); }"""


@pytest.fixture(scope="module")
def printed(browser, tmp_path_factory):
    """Every handout printed by `make pdf`'s code: (the folder of the PDFs, the formulas wider
    than the column on each printed page, by "handout/sheet")."""
    out = tmp_path_factory.mktemp("pdf")
    wide = {}

    def inspect(page, sheet):
        width = page.evaluate("document.documentElement.clientWidth")
        wide[f"{sheet.parent.name}/{sheet.name}"] = (
            [f"laid out {width} px wide, not the column's {A4_COLUMN_PX} px: formulas fitted to "
             f"the wrong width"] if width != A4_COLUMN_PX
            else [f"formula ends at {w}" for w in page.evaluate(WIDE_JS)])

    print_pdf.print_handouts(SITE, out, browser=browser, inspect=inspect)
    return out, wide


@pytest.fixture(scope="module")
def pdfs(printed):
    return printed[0]


def _mult(m, n):
    """Product of two PDF matrices [a b c d e f]."""
    return [m[0] * n[0] + m[1] * n[2], m[0] * n[1] + m[1] * n[3],
            m[2] * n[0] + m[3] * n[2], m[2] * n[1] + m[3] * n[3],
            m[4] * n[0] + m[5] * n[2] + n[4], m[4] * n[1] + m[5] * n[3] + n[5]]


def _lines(path) -> list[list[tuple[float, str]]]:
    """Each page's lines of text, top to bottom: (height above the page's foot in pt, text)."""
    from pypdf import PdfReader

    pages = []
    for page in PdfReader(str(path)).pages:
        runs: dict[int, list[tuple[float, str]]] = {}

        def visit(text, cm, tm, font, size, runs=runs):
            if text.strip():
                m = _mult(tm, cm)
                runs.setdefault(round(m[5]), []).append((m[4], text))

        page.extract_text(visitor_text=visit)
        pages.append([(y, " ".join("".join(t for _, t in sorted(parts)).split()))
                      for y, parts in sorted(runs.items(), reverse=True)])
    return pages


def _footer(pages, i: int) -> tuple[float, str] | None:
    """The numbered footer of page ``i`` (1-based) of ``pages``, if any."""
    return next(((y, t) for y, t in pages[i - 1] if t.endswith(f"page {i} of {len(pages)}")), None)


@pytest.mark.parametrize("handout", HANDOUTS)
def test_make_pdf_prints_a_numbered_question_sheet_and_answer_key(pdfs, handout):
    questions = _lines(pdfs / f"{handout}-questions.pdf")
    answers = _lines(pdfs / f"{handout}-answers.pdf")
    problems = []
    for name, pages in (("questions", questions), ("answers", answers)):
        problems += [f"{name}: page {i} is not numbered 'page {i} of {len(pages)}'"
                     for i in range(1, len(pages) + 1) if _footer(pages, i) is None]
    asked = [m[1] for page in questions for _, t in page if (m := HEADING.match(t))]
    if not asked:
        problems.append("the question sheet has no question")
    problems += [f"questions: page {i} shows a solution: {t}" for i, page in enumerate(questions, 1)
                 for _, t in page if SOLUTION.match(t)]
    # in the key: the heading above its solution's title on one page, the solution's first
    # lines below the title on that page too
    headings, solved = {}, []
    for i, page in enumerate(answers, 1):
        footer = _footer(answers, i)
        bottom = footer[0] if footer else 0
        for k, (y, t) in enumerate(page):
            if m := HEADING.match(t):
                headings[m[1]] = (i, y)  # the last one: question numbers repeat across problems
            elif m := SOLUTION.match(t):
                q = m[1]
                solved.append(q)
                heading = headings.get(q)
                if heading is None or heading[0] != i:
                    problems.append(f"answers: Question {q} is on page {heading and heading[0]}, "
                                    f"its solution starts on page {i}")
                elif heading[1] <= y:
                    problems.append(f"answers: page {i}: Question {q} is below its solution's title")
                if not any(bottom < y2 < y for y2, _ in page[k + 1:]):
                    problems.append(f"answers: page {i}: the solution to Question {q} is only its "
                                    f"title at the foot of the page")
    if sorted(solved) != sorted(asked):
        problems.append(f"the key's solutions {sorted(solved)} are not the sheet's questions {sorted(asked)}")
    assert_none(problems, handout)


def test_no_formula_is_wider_than_the_printed_column(printed):
    wide = printed[1]
    assert sorted(wide) == sorted(f"{h}/{s}" for h in HANDOUTS for s in ("questions.html", "answers.html"))
    assert_none([f"{sheet}: {w}" for sheet, found in sorted(wide.items()) for w in found])


# The sheet's problems: its h2 headings carry the problem pages' slugs (print_pages.py).
PROBLEM_ID = re.compile(r'<h2 id="([\w-]+)">')
ANNOTATION = re.compile(r'<annotation encoding="application/x-tex">(.*?)</annotation>', re.S)
IMG_SRC = re.compile(r'<img\b[^>]*\bsrc="([^"]+\.svg)"')
SOLUTION_TITLE = '<p class="admonition-title">Solution to Question'


def _given_numbers(worked: str) -> set[str]:
    """The formulas with a number in a worked page's "Given" section, up to its first box or
    drawing (what the page checked, and drawings of results, are not givens)."""
    start = re.search(r'<h2 id="given">', worked)
    if not start:
        return set()
    end = re.compile(r'<h[12][ >]|<div class="admonition|<details|<figure').search(worked, start.end())
    return {m for m in _math(worked[start.end():end.start() if end else len(worked)]) if re.search(r"\d", m)}


def _math(html_text: str) -> set[str]:
    return {" ".join(unescape(t).split()) for t in ANNOTATION.findall(html_text)}


@pytest.mark.parametrize("handout", HANDOUTS)
def test_the_question_sheet_has_each_problems_numbers_and_no_solution_drawing(handout):
    sheet = source(f"handouts/{handout}/questions.html")
    key = source(f"handouts/{handout}/answers.html")
    sheet_math = _math(sheet)
    # the drawings of the solutions, as the answer key shows them (every solution, in the page)
    in_solutions = {src for block in key.split(SOLUTION_TITLE)[1:]
                    for src in IMG_SRC.findall(block.split('<div class="print-block">')[0])}
    problems, givens = [], 0
    for slug in PROBLEM_ID.findall(sheet):
        worked = SITE / "handouts" / handout / f"{slug}.html"
        if not worked.is_file():
            continue  # a heading of the sheet's own, not a problem
        given = _given_numbers(worked.read_text(encoding="utf-8"))
        givens += len(given)
        problems += [f"{slug}: the given {g[:60]!r} is not on the sheet" for g in sorted(given - sheet_math)]
    problems += [f"the sheet shows {src}, a drawing of a solution"
                 for src in sorted(set(IMG_SRC.findall(sheet)) & in_solutions)]
    if not givens:
        problems.append("no problem of the sheet has a Given section with numbers")
    if SOLUTION_TITLE in sheet or "Solution to Question" in sheet:
        problems.append("the sheet has a solution")
    assert_none(problems, handout)
