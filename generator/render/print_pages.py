"""Print pages of a handout, made from its worked pages: a question sheet and an answer key.

Both come from the Markdown of the handout's problem pages (one source: a number or a drawing
is never written twice). The question sheet has each problem's statement with the instance's
numbers, the drawings of the statement that show no result (a drawing with gradients is an
answer), and its questions; no solution, no check. The answer key has every problem in full
with each solution unfolded. They sit beside the problem pages, so drawings keep their paths,
and are left out of the site search (the worked pages are what a search should find).
`make pdf` prints them; the site never needs it.
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
        parts.append(_demoted(_linked(page.preface, page.slug)) + "\n")
        for q in page.questions:
            parts.append(_question_block(page.slug, q) + "\n")
            parts.append(f'!!! success "{q.fold_title}"\n' + _linked(q.solution, page.slug) + "\n")
    return _wrapped("\n".join(parts))


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
        if block.startswith(("!!! ", "??? ")):
            continue
        if block.startswith("<figure"):
            if re.search(r"gradient", block, re.I):
                if kept and re.search(r"\b(below|drawn)\b", kept[-1]) and not kept[-1].startswith("#"):
                    kept.pop()  # the sentence that introduces the drawing
                continue
        kept.append(block)
    return _demoted(_linked("\n\n".join(kept), slug))


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
    links within the page pointing at them: {#q-1} -> {#slug-q-1}, (#q-1) -> (#slug-q-1)."""
    markdown = re.sub(r"\{#([A-Za-z][\w-]*)\}", rf"{{#{slug}-\1}}", markdown)
    return re.sub(r"\]\(#([A-Za-z][\w-]*)\)", rf"](#{slug}-\1)", markdown)
