"""The home page and one index page per handout, listing their problems and questions."""

from __future__ import annotations

import json
import re

from ..graph.ops import ACTIVATIONS
from ..problem.spec import Handout
from .numbers import count
from .plaintext import INLINE, first_words

HOME_INTRO = """\
# Backprop, worked

Worked solutions to the questions of the course handouts on derivatives and backpropagation:
small networks with concrete numbers, and for each question every forward value, every local
derivative, every chain-rule product and every gradient-descent step written out. Try each
question first: its solution is folded under it (click **Solution** to open it; printing a
page shows every solution).

## How every number was checked

No answer on these pages was worked out by hand. Each page is generated from a problem file
(the network, its numbers and the questions), and before a page is written the generator:

- computes every answer in **float64** with numpy and, for small networks, also **exactly**
  with sympy (fractions, \\(e^{5}\\), ...), and requires the two to agree to 12 digits;
- compares **every derivative** it prints, and every entry of the gradient of \\(J\\), with a
  central finite difference \\(\\frac{f(\\theta + h) - f(\\theta - h)}{2h}\\), to a relative error
  of \\(10^{-6}\\) (an absolute \\(10^{-9}\\) for tiny derivatives; at a kink of an activation,
  the matching one-sided difference);
- draws the network and its computation graph with Graphviz from the same computation.

A disagreement stops the build, so a page that exists passed all of its checks; its green
**Verified** box says how many. Where a handout's own formula or solution is wrong, the page
says so.

## Reading the pages

- [Notation](notation.md): the symbols (\\(W_{l,i,j}\\), \\(\\tilde{\\mathbf{x}}\\), \\(\\delta\\),
  ...), which way round derivative matrices are written (numerator or denominator layout), and
  the conventions at kinks ({conventions}), and how numbers are rounded.
- [Writing a problem](writing-a-problem.md): add or change a problem.
- The site works offline: from any static web server, or by opening `site/index.html` from
  disk; search works in both. The light/dark switch is at the top of every page.
"""


def anchor(number: str) -> str:
    """The id of a question's heading, e.g. '3.1.4' -> 'q-3-1-4', '1(a)' -> 'q-1-a'."""
    return "q-" + re.sub(r"[^0-9a-z]+", "-", number.lower()).strip("-")


def question_heading(number: str, text: str) -> str:
    """A question's heading: 'Question 3' on the page, its anchor, and in the table of contents
    (plain text, no math) the question's first words: 'Question 3: What are the partial ...'."""
    label = f"Question {number}: {first_words(text)}".replace("&", "&amp;").replace('"', "&quot;")
    return f'## Question {number} {{#{anchor(number)} data-toc-label="{label}"}}'


QUESTION_SHEET = "questions.md"  # a handout's print pages (render/print_pages.py), beside its index
ANSWER_KEY = "answers.md"


def solution_fold(number: str) -> str:
    """The folded admonition holding a question's solution; its summary names the question, so
    a screen reader's list of toggles reads "Solution to Question 3.2.5", not "Solution" 17 times."""
    return f'??? success "Solution to Question {number}"'


def handout_dir(handout: Handout) -> str:
    """The folder of a handout's pages, relative to docs/."""
    return f"handouts/{handout.slug}"


ADDITION = ("An addition: these problems are not from a course handout. They carry the same methods "
            "to what courses teach next (classification losses, softmax, leaky ReLU, weight decay), "
            "and are solved and checked like the rest.")


def heading(h: Handout) -> str:
    """A handout's title as the site lists it: '002: Chain rule ...', or an addition's own title."""
    return f"{h.title} (addition)" if h.addition else f"{h.id}: {h.title}"


def render_home(handouts: tuple[Handout, ...]) -> str:
    """docs/index.md: what the site is and the handouts with their problems."""
    conventions = ", ".join(f"\\({op.convention}\\)" for op in ACTIVATIONS.values() if op.kinks)
    parts = [HOME_INTRO.replace("{conventions}", conventions), "## Handouts\n"]
    for h in handouts:
        parts.append(f"### [{heading(h)}]({handout_dir(h)}/index.md)\n\n{h.summary}\n")
        if h.problems:
            parts.append("\n".join(f"- [{p.title}]({handout_dir(h)}/{p.slug}.md) "
                                   f"(section {p.section}, {count(len(p.questions), 'question')})"
                                   for p in h.problems) + "\n")
        else:
            parts.append("*No worked problems yet.*\n")
    return "\n".join(parts)


def render_handout(h: Handout) -> str:
    """docs/handouts/<slug>/index.md: the handout's problems and a link to every question."""
    source = (f"*{ADDITION}*\n" if h.addition else f"Source file: `{h.file}`.\n")
    parts = [f"# {heading(h)}\n", f"{h.summary}\n", source]
    if not h.problems:
        parts.append("*No worked problems yet.*\n")
    else:
        parts.append(f"To print: the [question sheet]({QUESTION_SHEET}) (every question, with this "
                     f"site's numbers, no solutions) and the [answer key]({ANSWER_KEY}) (every "
                     f"solution).\n")
    for p in h.problems:
        parts.append(f"## [{p.title}]({p.slug}.md)\n\nSection {p.section}.\n")
        parts.append("\n".join(
            f"- [Question {q.number}]({p.slug}.md#{anchor(q.number)})"
            f"{' (added by this site)' if getattr(q, 'addition', False) else ''}: "
            f"{_first_sentence(q.text)}" for q in p.questions) + "\n")
    return "\n".join(parts)


def _first_sentence(text: str, limit: int = 160) -> str:
    """The first sentence of a question as Markdown, at most about ``limit`` characters, cut
    between words and never inside a formula \\( ... \\)."""
    text = " ".join(text.split())
    pieces = []  # (is_math, text)
    end = 0
    for m in INLINE.finditer(text):
        pieces += [(False, text[end:m.start()]), (True, m.group(0))]
        end = m.end()
    pieces.append((False, text[end:]))
    out, length = "", 0
    for is_math, piece in pieces:
        if is_math:
            if length + len(piece) > limit and out:
                return out.rstrip(" ,;(") + " …"
            out, length = out + piece, length + len(piece)
            continue
        stop = re.search(r"[?.!](\s|$)", piece)
        if stop:
            piece = piece[:stop.start() + 1]
        if length + len(piece) > limit:
            cut = piece.rfind(" ", 0, max(0, limit - length))
            return (out + piece[:max(cut, 0)]).rstrip(" ,;(") + " …"
        out, length = out + piece, length + len(piece)
        if stop:
            return out
    return out


def nav(handouts: tuple[Handout, ...]) -> str:
    """The handouts' part of the site navigation, in handout order (mkdocs `nav` entries, as
    JSON): each handout under its title, its index page first, then its problems in order."""
    entries = [{heading(h): [f"{handout_dir(h)}/index.md"]
                + [f"{handout_dir(h)}/{p.slug}.md" for p in h.problems]} for h in handouts]
    return json.dumps(entries, indent=1, ensure_ascii=False) + "\n"
