"""Every chain-rule figure is true to its question and its caption, on every network page.

For each question whose solution shows a path figure, the question in the problem file says
which entry the derivative is taken with respect to (``wrt``) and of what (``of``, else the
loss). The page's one full element graph (element-graph.svg) gives every dependency; from it,
this test finds every path between those two entries itself and requires the figure to draw
exactly those edges, all highlighted, and nothing else. The red numbers are gradients of the
loss, so only a figure whose paths end at the loss may show them, and the caption must name the
end the figure shows. Each page draws its full graphs once.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from conftest import ROOT_DIR
from test_drawings import Drawing

GRAD_RED = "#b91c1c"
HANDOUTS = yaml.safe_load((ROOT_DIR / "problems" / "handouts.yml").read_text(encoding="utf-8"))["handouts"]
NETWORK_PAGES = [(h["slug"], stem) for h in HANDOUTS for stem in h["problems"]
                 if "network" in yaml.safe_load((ROOT_DIR / "problems" / f"{stem}.yml").read_text(encoding="utf-8"))]


def element(ref: str, folded: bool) -> str:
    """A problem file's entry reference as the drawing's node id: W2[1,2] -> e_W2_0_1 (rows from
    1; weight columns from 0 when the bias is folded into column 0, else from 1), h2[1] -> e_h2_0_0."""
    m = re.fullmatch(r"(\w+)\[(\d+)(?:,(\d+))?\]", ref.replace(" ", ""))
    assert m, ref
    name, row, col = m.group(1), int(m.group(2)) - 1, m.group(3)
    column = 0 if col is None else int(col) - (0 if folded else 1)
    return f"e_{name}_{row}_{column}"


def paths_between(edges: set[tuple[str, str]], start: str, end: str) -> set[tuple[str, str]]:
    """The edges that lie on some path from ``start`` to ``end``."""
    succ: dict[str, list[str]] = {}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
    reaches: dict[str, bool] = {}

    def reach(n: str) -> bool:
        if n not in reaches:
            reaches[n] = n == end or any(reach(m) for m in succ.get(n, []))
        return reaches[n]

    forward, todo = {start}, [start]
    while todo:
        n = todo.pop()
        for m in succ.get(n, []):
            if m not in forward:
                forward.add(m)
                todo.append(m)
    return {(a, b) for a, b in edges if a in forward and reach(b)}


def sections(page: str) -> dict[str, str]:
    parts = re.split(r"^## Question (.+?) \{#.*$", page, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def red_nodes(drawing: Drawing) -> set[str]:
    """The nodes that print a number in the gradient's red."""
    return {node for node, body in re.findall(r'<g id="(e_\w+)" class="node[^"]*">(.*?)</g>', drawing.text, re.S)
            if f'fill="{GRAD_RED}"' in body}


@pytest.mark.parametrize("slug,stem", NETWORK_PAGES, ids=[s for _, s in NETWORK_PAGES])
def test_each_page_draws_its_full_graphs_once(slug, stem):
    page = (ROOT_DIR / "docs" / "handouts" / slug / f"{stem}.md").read_text(encoding="utf-8")
    for file in ("computation-graph.svg", "element-graph.svg"):
        assert page.count(f"/{file})") <= 1, f"{stem}: {file} drawn {page.count(f'/{file})')} times"


def figures_of(slug: str, stem: str):
    """(question, figure file, caption, drawing, full edges, folded) for every path figure."""
    data = yaml.safe_load((ROOT_DIR / "problems" / f"{stem}.yml").read_text(encoding="utf-8"))
    folded = data["network"].get("bias") == "folded"
    docs = ROOT_DIR / "docs" / "handouts" / slug
    page = sections((docs / f"{stem}.md").read_text(encoding="utf-8"))
    full = docs / stem / "element-graph.svg"
    out = []
    for q in data["questions"]:
        figs = re.findall(r"\]\(([^)]*/path-[^)]+\.svg)\)(?: <figcaption markdown>(.*?)</figcaption>)?",
                          page[str(q["number"])])
        for file, caption in figs:
            edges = {(t, h) for _, t, h, _ in Drawing(full).edges.values()}
            out.append((q, docs / file, caption, Drawing(docs / file), edges, folded))
    return out


ALL_FIGURES = [(slug, stem, f) for slug, stem in NETWORK_PAGES for f in figures_of(slug, stem)]


def test_there_are_path_figures_to_check():
    assert len(ALL_FIGURES) >= 10
    assert any(f[0].get("of") for _, _, f in ALL_FIGURES)  # some paths end below the loss


@pytest.mark.parametrize("slug,stem,figure", ALL_FIGURES,
                         ids=[f"{stem}-Q{f[0]['number']}" for _, stem, f in ALL_FIGURES])
def test_path_figure_draws_exactly_the_paths_its_question_asks_about(slug, stem, figure):
    q, file, caption, drawing, full, folded = figure
    sinks = {h for _, h in full} - {t for t, _ in full}
    assert len(sinks) == 1, sinks  # the loss
    start = element(q["wrt"], folded)
    end = element(q["of"], folded) if q.get("of") else sinks.pop()
    expected = paths_between(full, start, end)
    assert expected, f"Q{q['number']}: no path from {start} to {end}"
    drawn = {(t, h) for _, t, h, _ in drawing.edges.values()}
    highlighted = {(t, h) for t, h, _ in drawing.path_edges()}
    assert drawn == highlighted == expected, f"{stem} Q{q['number']} ({file.name})"
    assert set(drawing.nodes) == {n for e in expected for n in e}


@pytest.mark.parametrize("slug,stem,figure", ALL_FIGURES,
                         ids=[f"{stem}-Q{f[0]['number']}" for _, stem, f in ALL_FIGURES])
def test_red_numbers_and_caption_say_what_the_figure_shows(slug, stem, figure):
    q, file, caption, drawing, full, folded = figure
    to = re.search(r"to \\\((.*?)\\\)", caption)
    assert to, caption
    losses = {c for other in ALL_FIGURES if other[1] == stem and not other[2][0].get("of")
              for c in re.findall(r"to \\\((.*?)\\\)", other[2][2])[:1]}
    if q.get("of"):  # a derivative of an inner entry: the loss's gradients are not its numbers
        assert not red_nodes(drawing), f"Q{q['number']}: red gradients of the loss on a path to {q['of']}"
        assert "in red" not in caption
        assert to.group(1) not in losses, f"Q{q['number']}: the caption claims the path to the loss"
    else:
        assert red_nodes(drawing) == set(drawing.nodes)  # each box: dl/d(entry)
        assert "in red" in caption and "\\partial" in caption
        assert len(losses) == 1


FUNCTION_NAMES = {"sin", "cos", "tan", "sinh", "cosh", "tanh", "exp", "log", "ln", "max", "min", "ReLU"}


def test_drawing_labels_hold_no_tex():
    """No label of any drawing is TeX or a TeX command's bare name (a '1^top' label drew the
    superscript 'top'): the names are those the problem files use."""
    commands = {name for f in (ROOT_DIR / "problems").glob("*.yml")
                for name in re.findall(r"\\\\?([A-Za-z]{2,})", f.read_text(encoding="utf-8"))
                if re.search(rf"\\{name}\b", f.read_text(encoding="utf-8"))} - FUNCTION_NAMES
    assert {"top", "frac", "partial"} <= commands
    bad = []
    for svg in sorted((ROOT_DIR / "docs" / "handouts").rglob("*.svg")):
        for text in re.findall(r"<text[^>]*>([^<]*)</text>", svg.read_text(encoding="utf-8")):
            words = set(re.findall(r"[A-Za-z]+", text))
            if "\\" in text or re.search(r"[_^]\{|[{}]", text) or (words and words <= commands):
                bad.append(f"{svg.relative_to(ROOT_DIR)}: {text!r}")
    assert not bad, "\n".join(bad[:10])
