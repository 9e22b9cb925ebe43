"""Print pages of a handout, made from its worked pages: a question sheet and an answer key.

Both come from the Markdown of the handout's problem pages (one source: a number or a drawing
is never written twice). The question sheet has each problem's statement with the instance's
numbers, the drawings of the statement that show no result (a drawing with gradients is an
answer), and its questions; no solution, no check. The answer key has every problem in full
with each solution unfolded. They sit beside the problem pages, so drawings keep their paths,
and are left out of the site search (the worked pages are what a search should find).
`make pdf` prints them; the site never needs it. Neither shows the practice link (a button
means nothing on paper).

The answer key is also read on screen, and it is a handout's heaviest page (every solution
open): each problem's statement and each question with its solution is a block of its own
(class ``print-block``), which the stylesheet lays out only when it nears the screen
(content-visibility: auto; every block is laid out when printing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..problem.spec import Handout
from .site import ANSWER_KEY, QUESTION_SHEET, handout_dir

QUESTION = re.compile(r"^## Question (?P<number>.+?) \{#(?P<id>q-[\w-]+)[^}]*\}\s*$")
FOLD = re.compile(r'^\?\?\? success "(?P<title>Solution[^"]*)"\s*$')
FRONT_MATTER = """---
search:
  exclude: true
hide:
  - navigation
  - toc
---

"""


@dataclass(frozen=True)
class Question:
    number: str
    id: str
    text: str  # the question as the page states it (Markdown)
    fold_title: str
    solution: str  # the solution's Markdown, indented by four spaces as under the fold


@dataclass(frozen=True)
class WorkedPage:
    slug: str
    title: str
    preface: str  # everything between the title and the first question
    questions: tuple[Question, ...]


def read_page(slug: str, markdown: str) -> WorkedPage:
    """A problem page split into its title, what precedes the questions, and the questions."""
    lines = markdown.splitlines()
    if not lines or not lines[0].startswith("# "):
        raise ValueError(f"{slug}.md: a problem page starts with its '# ' title")
    title = lines[0][2:].strip()
    starts = [i for i, line in enumerate(lines) if QUESTION.match(line)]
    preface = "\n".join(lines[1:starts[0] if starts else len(lines)]).strip()
    questions = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        block = lines[start:end]
        m = QUESTION.match(block[0])
        fold = next((i for i, line in enumerate(block) if FOLD.match(line)), None)
        if fold is None:
            raise ValueError(f"{slug}.md: question {m['number']} has no folded solution")
        questions.append(Question(m["number"], m["id"], "\n".join(block[1:fold]).strip(),
                                  FOLD.match(block[fold])["title"], "\n".join(block[fold + 1:]).rstrip()))
    return WorkedPage(slug, title, preface, tuple(questions))


def render_print_pages(handouts: tuple[Handout, ...], files: dict[str, bytes]) -> dict[str, bytes]:
    """The question sheet and the answer key of each handout with problems, from the problem
    pages in ``files`` (paths under docs/ -> bytes)."""
    out: dict[str, bytes] = {}
    for h in handouts:
        if not h.problems:
            continue
        base = handout_dir(h)
        pages = [read_page(p.slug, files[f"{base}/{p.slug}.md"].decode("utf-8")) for p in h.problems]
        out[f"{base}/{QUESTION_SHEET}"] = question_sheet(h, pages).encode("utf-8")
        out[f"{base}/{ANSWER_KEY}"] = answer_key(h, pages).encode("utf-8")
    return out


def question_sheet(h: Handout, pages: list[WorkedPage]) -> str:
    parts = [FRONT_MATTER, f"# {h.id}: {h.title} — questions\n",
             f"The questions of the handout with this site's numbers, ready to print (no "
             f"solutions). The answers: [answer key]({ANSWER_KEY}).\n"]
    for page in pages:
        parts.append(f"## {page.title} {{#{page.slug}}}\n")
        parts.append(_statement(page.preface, page.slug) + "\n")
        for q in page.questions:
            parts.append(_question_block(page.slug, q) + "\n")
    return _wrapped("\n".join(parts))


def answer_key(h: Handout, pages: list[WorkedPage]) -> str:
    parts = [FRONT_MATTER, f"# {h.id}: {h.title} — answer key\n",
             f"Every question of the handout with its worked solution, ready to print. The "
             f"questions alone: [question sheet]({QUESTION_SHEET}).\n"]
    for page in pages:
        parts.append(f"## {page.title} {{#{page.slug}}}\n")
        parts.append(_block(_demoted(_linked(_without_practice_link(page.preface), page.slug))))
        for q in page.questions:
            parts.append(_block(_question_block(page.slug, q) + "\n"
                                + f'!!! success "{q.fold_title}"\n' + _linked(q.solution, page.slug)))
    return _wrapped("\n".join(parts))


def _block(markdown: str) -> str:
    """A part of the answer key laid out on screen only near the viewport (extra.css)."""
    return f'<div class="print-block" markdown>\n\n{markdown.strip()}\n\n</div>\n'


# The practice page's button (render/page.py): "[Try new numbers](x-practice.md){.md-button}: ..."
PRACTICE_LINK = re.compile(r"^\[[^\]\n]+\]\([^)\s]+-practice\.md\)\{\.md-button\}")


def _without_practice_link(preface: str) -> str:
    """The preface without the paragraph of the practice link (the rest kept as written)."""
    return re.sub(PRACTICE_LINK.pattern + r".*(?:\n.+)*\n*", "", preface, flags=re.M)


def _question_block(slug: str, q: Question) -> str:
    """A question's heading and text in one block that a printed page never splits."""
    return (f'<div class="print-question" markdown>\n\n### Question {q.number} {{#{slug}-{q.id}}}\n\n'
            f"{_linked(q.text, slug)}\n\n</div>\n")


def _wrapped(markdown: str) -> str:
    return markdown.rstrip() + "\n"


# A statement's blocks: admonitions (the "Verified" box) and drawings of results are answers.
BLOCK_SPLIT = re.compile(r"\n\s*\n")


def _statement(preface: str, slug: str) -> str:
    """The preface of a problem page as a statement: its text and its Given section, without
    admonitions, drawings that show gradients (and the sentence introducing one), or the worked
    sections that may follow."""
    blocks = _blocks(preface)
    kept: list[str] = []
    for block in blocks:
        if block.startswith("## ") and not block.startswith("## Given"):
            break  # a worked section before the questions (e.g. the backward pass in general)
        if block.startswith(("!!! ", "??? ")) or PRACTICE_LINK.match(block):
            continue
        if block.startswith("<figure"):
            if re.search(r"gradient", block, re.I):
                if kept and _introduces_drawing(kept[-1]):
                    kept.pop()  # the sentence that introduces the drawing
                continue
        kept.append(block)
    return _demoted(_linked("\n\n".join(kept), slug))


def _introduces_drawing(block: str) -> bool:
    """A paragraph of prose about the drawing after it ("The computation graph below is drawn
    ...", "The same computation one number at a time: a node per entry ..."): no heading,
    list or bold lead-in, and it says the drawing is below, or it has no formula and speaks of
    a graph or its nodes."""
    if block.startswith(("#", "-", "*", "<")):
        return False
    if re.search(r"\b(below|drawn)\b", block):
        return True
    return "\\(" not in block and "\\[" not in block and bool(re.search(r"\b(graph|nodes?)\b", block))


def _blocks(markdown: str) -> list[str]:
    """Top-level blocks: paragraphs, headings, figures (kept whole), admonitions with their body."""
    blocks: list[str] = []
    for chunk in BLOCK_SPLIT.split(markdown.strip()):
        if not chunk.strip():
            continue
        continues_figure = blocks and blocks[-1].startswith("<figure") and "</figure>" not in blocks[-1]
        indented_body = blocks and blocks[-1].startswith(("!!! ", "??? ")) and chunk.startswith("    ")
        if continues_figure or indented_body:
            blocks[-1] += "\n\n" + chunk
        else:
            blocks.append(chunk)
    return blocks


def _demoted(markdown: str) -> str:
    """Headings one level down (the handout page's problems are its sections), ids kept unique."""
    return re.sub(r"^(#{2,5}) ", r"#\1 ", markdown, flags=re.M)


def _linked(markdown: str, slug: str) -> str:
    """Ids of the page prefixed with its slug (one print page holds several problem pages), and
    links within the page pointing at them: {#q-1} -> {#slug-q-1}, (#q-1) -> (#slug-q-1); so are
    footnote labels, [^q-1] -> [^slug-q-1]."""
    markdown = re.sub(r"\{#([A-Za-z][\w-]*)\}", rf"{{#{slug}-\1}}", markdown)
    markdown = re.sub(r"\[\^([\w-]+)\]", rf"[^{slug}-\1]", markdown)
    return re.sub(r"\]\(#([A-Za-z][\w-]*)\)", rf"](#{slug}-\1)", markdown)
