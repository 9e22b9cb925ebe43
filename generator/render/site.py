"""The home page and one index page per handout, listing their problems and questions."""

from __future__ import annotations

from ..problem.spec import Handout

HOME_INTRO = """\
# Backprop, worked

Worked solutions to the questions of five course handouts on derivatives and
backpropagation. Try each question first: every solution is folded under its question.

Every page is generated from an editable problem file. The generator computes each answer
twice, exactly with sympy and in float64 with numpy, draws the computation graphs with
Graphviz, and compares every derivative it prints with a central finite difference before it
writes the page; a disagreement stops the build. Where a handout's own formula or solution is
wrong, the page says so. See [Writing a problem](writing-a-problem.md) to add or change one.
"""


def handout_dir(handout: Handout) -> str:
    """The folder of a handout's pages, relative to docs/."""
    return f"handouts/{handout.slug}"


def render_home(handouts: tuple[Handout, ...]) -> str:
    """docs/index.md: what the site is and the handouts with their problems."""
    parts = [HOME_INTRO, "## Handouts\n"]
    for h in handouts:
        parts.append(f"### [{h.id}: {h.title}]({handout_dir(h)}/index.md)\n\n{h.summary}\n")
        if h.problems:
            parts.append("\n".join(f"- [{p.title}]({handout_dir(h)}/{p.slug}.md) "
                                   f"(section {p.section}, {len(p.questions)} questions)"
                                   for p in h.problems) + "\n")
        else:
            parts.append("*No worked problems yet.*\n")
    return "\n".join(parts)


def render_handout(h: Handout) -> str:
    """docs/handouts/<slug>/index.md: the handout's problems and a link to every question."""
    parts = [f"# {h.id}: {h.title}\n", f"{h.summary}\n", f"Source file: `{h.file}`.\n"]
    if not h.problems:
        parts.append("*No worked problems yet.*\n")
    for p in h.problems:
        parts.append(f"## [{p.title}]({p.slug}.md)\n\nSection {p.section}.\n")
        parts.append("\n".join(
            f"- [Question {q.number}]({p.slug}.md#question-{q.number.replace('.', '')}): "
            f"{_first_sentence(q.text)}" for q in p.questions) + "\n")
    return "\n".join(parts)


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    cut = text.find("? ")
    return text[: cut + 1] if 0 < cut < 160 else (text if len(text) <= 160 else text[:157] + "...")
