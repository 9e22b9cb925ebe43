"""The drawings (generator/render/dot.py + svg.py), read back from the GENERATED files: the numbers
printed on the graphs are the numbers of the written answers, each chain-rule question's
highlighted path is the expected sequence of entries with the factors of its product on the
edges, an edited weight changes the drawings accordingly, and a big network collapses to a
small layer diagram. Nothing here asks the generator's memory: every check parses an SVG or a
Markdown page as written."""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from conftest import ROOT_DIR, copy_project
from generator.pipeline import build

SVG = "{http://www.w3.org/2000/svg}"
HANDOUT = "002-chain-rule-and-neural-networks"
STEM = "002-neural-networks-are-fun"
PAGE = Path("handouts") / HANDOUT / f"{STEM}.md"
ASSETS = Path("handouts") / HANDOUT / STEM

NUMBER = r"-?\d+(?:\.\d+)?(?:e-?\d+)?"


# ---------------------------------------------------------------- reading the generated files


def number(text: str) -> float:
    """A printed number: 0.006693, -1.987, 1.67e-5 (graphs) or 1.67 \\times 10^{-5} (pages)."""
    text = text.strip().replace("−", "-")
    m = re.fullmatch(r"(-?[\d.]+) \\times 10\^\{(-?\d+)\}", text)
    if m:
        return float(f"{m.group(1)}e{m.group(2)}")
    return float(text)


def page_numbers(text: str) -> list[float]:
    """Every number of a LaTeX fragment, in order, with 1.2 \\times 10^{-5} read as one."""
    text = re.sub(r"(-?[\d.]+) \\times 10\^\{(-?\d+)\}", r"\1e\2", text)
    text = re.sub(r"\\left\(|\\right\)", "", text)
    return [float(n) for n in re.findall(NUMBER, text)]


class Drawing:
    """One SVG file: its nodes (id -> class, texts) and edges (id -> class, tail, head, texts)."""

    def __init__(self, path: Path):
        self.path = path
        self.text = path.read_text(encoding="utf-8")
        root = ET.fromstring(self.text)
        self.nodes: dict[str, tuple[str, list[str]]] = {}
        self.edges: dict[str, tuple[str, str, str, list[str]]] = {}
        for g in root.iter(f"{SVG}g"):
            cls = g.get("class", "").split()
            texts = [t.text for t in g.iter(f"{SVG}text") if t.text and t.text.strip()]
            if "node" in cls:
                self.nodes[g.get("id")] = (" ".join(cls), texts)
            elif "edge" in cls:
                tail, head = g.find(f"{SVG}title").text.split("->")
                self.edges[g.get("id")] = (" ".join(cls), tail, head, texts)

    def value(self, node_id: str) -> float:
        """An element node's value: the line after its symbol (the gradient comes last)."""
        cls, texts = self.nodes[node_id]
        return number(texts[-1] if "target" in cls.split() else texts[-2])

    def grad(self, node_id: str) -> float:
        return number(self.nodes[node_id][1][-1])

    def block_line(self, node_id: str, word: str) -> list[float]:
        """The numbers on a block node's 'value ...' or 'grad ...' lines (a matrix has several)."""
        texts = self.nodes[node_id][1]
        start = next(i for i, t in enumerate(texts) if t.startswith(word + " "))
        lines = [texts[start][len(word) + 1:]]
        for t in texts[start + 1:]:  # a matrix's further rows, a long vector's further lines
            if not re.match(r"\s*\[?-?\d", t):
                break
            lines.append(t)
        return [float(n) for line in lines for n in re.findall(NUMBER, line)]

    def path_edges(self) -> list[tuple[str, str, float]]:
        """The highlighted edges: (tail, head, label)."""
        return [(tail, head, number(texts[0])) for cls, tail, head, texts in self.edges.values()
                if "path" in cls.split()]


class Page:
    """The generated Markdown page, split into its question sections."""

    def __init__(self, path: Path):
        self.text = path.read_text(encoding="utf-8")
        parts = re.split(r"^## Question (\S+).*$", self.text, flags=re.M)
        self.sections = dict(zip(parts[1::2], parts[2::2]))

    def answer(self, number_: str) -> float:
        """The final number of a question: its **Answer.** line, else the last aligned row."""
        section = self.sections[number_]
        m = re.search(r"\*\*Answer\.\*\* \\\((.*)\\\)", section)
        if m:
            return page_numbers(m.group(1))[-1]
        rows = re.findall(r"^\s*(.*?)\s*(?:\\\\)?$", section.split("\\end{aligned}")[0], flags=re.M)
        return page_numbers([r for r in rows if r][-1])[-1]

    def factors(self, number_: str) -> list[float]:
        """The numeric row of a gradient's chain-rule product, as written (output first)."""
        def bare(line: str) -> str:
            return re.sub(r"\\(?:left|right|cdot|approx)", "", line)

        rows = [line for line in self.sections[number_].splitlines()
                if "\\cdot" in line and not re.search(r"[A-Za-z]", bare(line))]
        assert len(rows) == 1, rows
        return page_numbers(rows[0])

    def figures(self, number_: str | None = None) -> list[tuple[str, str, str]]:
        """(alt, file, caption) of each figure, in a question's section or in the whole page."""
        text = self.sections[number_] if number_ else self.text
        return re.findall(r"!\[([^\]]*)\]\(([^)]+)\)(?: <figcaption markdown>(.*?)</figcaption>)?", text)


def docs_of(root: Path) -> tuple[Page, Path]:
    return Page(root / "docs" / PAGE), root / "docs" / ASSETS


@pytest.fixture(scope="module")
def committed():
    """The page and drawings as committed under docs/ (test_determinism checks they are current)."""
    return docs_of(ROOT_DIR)


@pytest.fixture(scope="module")
def problem():
    return yaml.safe_load((ROOT_DIR / "problems" / f"{STEM}.yml").read_text(encoding="utf-8"))


def eid(name: str, row: int, col: int = 0) -> str:
    return f"e_{name}_{row}_{col}"


# ---------------------------------------------------------------- the numbers on the graphs


def test_every_drawing_is_there(committed):
    _, assets = committed
    names = sorted(p.name for p in assets.glob("*.svg"))
    assert names == ["computation-graph.svg", "element-graph.svg", "network.svg",
                     "path-W1-0-2.svg", "path-W2-0-1.svg"]


def test_element_graph_values_are_the_written_answers(committed):
    page, assets = committed
    g = Drawing(assets / "element-graph.svg")
    assert g.value(eid("yhat", 0)) == page.answer("3.1.7")  # ŷ ≈ 0.006693
    assert g.value(eid("loss", 0)) == page.answer("3.1.9")  # ℓ ≈ 0.9867
    assert g.value(eid("b", 0)) == page.answer("3.1.6") == -5
    a = page_numbers(re.search(r"\*\*Answer\.\*\* \\\((.*)\\\)", page.sections["3.1.4"]).group(1))
    assert [g.value(eid("a", 0)), g.value(eid("a", 1))] == a == [3, -2]
    z = page_numbers(re.search(r"\*\*Answer\.\*\* \\\((.*)\\\)", page.sections["3.1.5"]).group(1))
    assert [g.value(eid("z", 0)), g.value(eid("z", 1))] == z == [3, 0]
    assert g.value(eid("x", 1)) == 5 and g.value(eid("y", 0)) == 1
    assert g.value(eid("W1", 0, 2)) == -1 and g.value(eid("W2", 0, 1)) == -2  # the given weights


def test_element_graph_gradients_are_the_written_answers(committed):
    page, assets = committed
    g = Drawing(assets / "element-graph.svg")
    assert g.grad(eid("W2", 0, 1)) == page.answer("3.2.5")  # dJ/dW_{2,1,1} ≈ -0.03962
    assert g.grad(eid("W1", 0, 2)) == page.answer("3.2.10")  # dJ/dW_{1,1,2} ≈ 0.1321
    assert g.grad(eid("yhat", 0)) == page.answer("3.2.2")  # dJ/dŷ = dℓ/dŷ, as J = ℓ
    assert g.grad(eid("loss", 0)) == 1
    assert len(g.nodes[eid("y", 0)][1]) == 2  # the target: symbol and value, no gradient


def test_block_graph_values_are_the_written_answers(committed):
    page, assets = committed
    g = Drawing(assets / "computation-graph.svg")
    assert g.block_line("n_yhat", "value") == [page.answer("3.1.7")]
    assert g.block_line("n_loss", "value") == [page.answer("3.1.9")]
    assert g.block_line("n_a", "value") == [3, -2]
    assert g.block_line("n_W1", "value") == [2, 3, -1, -1, -3, 1]  # the given matrix, row by row
    assert g.block_line("n_W2", "grad")[1] == page.answer("3.2.5")
    assert g.block_line("n_W1", "grad")[2] == page.answer("3.2.10")
    assert g.block_line("n_yhat", "grad") == [page.answer("3.2.2")]
    # inputs, target, parameters and intermediate results are drawn differently
    kinds = {node: cls.split()[1] for node, (cls, _) in g.nodes.items()}
    assert kinds == {"n_x": "input", "n_W1": "param", "n_a": "op", "n_z": "op", "n_W2": "param",
                     "n_b": "op", "n_yhat": "op", "n_y": "target", "n_loss": "objective"}
    fills = {kind: set() for kind in kinds.values()}
    for block in re.findall(r'<g id="(n_\w+)" class="node[^"]*">\s*<title>[^<]*</title>\s*<(?:path|polygon) fill="([^"]+)" stroke="([^"]+)"', g.text):
        fills[kinds[block[0]]].add(block[1:])
    styles = [next(iter(fills[k])) for k in ("input", "target", "param", "op", "objective")]
    assert all(len(fills[k]) == 1 for k in fills) and len(set(styles)) == 5


def test_labels_use_the_page_notation(committed):
    _, assets = committed
    g = Drawing(assets / "element-graph.svg")
    assert g.nodes[eid("W1", 0, 2)][1][:2] == ["W", "1,1,2"]  # W_{1,1,2}: the subscript as its own text
    assert g.nodes[eid("a", 0)][1][:2] == ["a", "1"]
    assert g.nodes[eid("yhat", 0)][1][0] == "y\u0302"  # ŷ
    assert g.nodes[eid("loss", 0)][1][0] == "ℓ"
    # subscripts are placed and sized explicitly: browsers ignore baseline-shift on <text>
    assert "baseline-shift" not in g.text
    group = re.search(r'<g id="e_W1_0_2".*?</g>', g.text, re.S).group(0)
    w, sub = re.findall(r'<text [^>]*y="([-\d.]+)"[^>]*font-size="([\d.]+)"[^>]*>(?:W|1,1,2)</text>', group)
    assert float(sub[0]) > float(w[0]) and float(sub[1]) < float(w[1])


# ---------------------------------------------------------------- the highlighted chain-rule paths


EXPECTED_PATHS = {
    "W2[1,1]": ("path-W2-0-1.svg", [eid("W2", 0, 1), eid("b", 0), eid("yhat", 0), eid("loss", 0)]),
    "W1[1,2]": ("path-W1-0-2.svg", [eid("W1", 0, 2), eid("a", 0), eid("z", 0), eid("b", 0),
                                    eid("yhat", 0), eid("loss", 0)]),
}


def chain_questions(problem) -> list[dict]:
    return [q for q in problem["questions"] if q["ask"] in ("chain", "gradient")]


def walk(edges: list[tuple[str, str, float]], start: str) -> list[str]:
    """Follow the highlighted edges from ``start``; they must form one simple path."""
    nxt = {}
    for tail, head, _ in edges:
        assert tail not in nxt, f"{tail} has two highlighted out-edges"
        nxt[tail] = head
    order = [start]
    while order[-1] in nxt:
        order.append(nxt[order[-1]])
    assert len(order) == len(edges) + 1, "highlighted edges that are not on the path"
    return order


def test_each_chain_question_shows_its_highlighted_path(committed, problem):
    page, assets = committed
    questions = chain_questions(problem)
    assert [q["number"] for q in questions] == ["3.2.1", "3.2.5", "3.2.6", "3.2.10"]
    for q in questions:
        file, expected = EXPECTED_PATHS[q["wrt"]]
        figures = page.figures(q["number"])
        assert [Path(f).name for _, f, _ in figures] == [file], q["number"]
        g = Drawing(assets / file)
        edges = g.path_edges()
        assert walk(edges, expected[0]) == expected
        highlighted = [n for n, (cls, _) in g.nodes.items() if "path" in cls.split()]
        assert sorted(highlighted) == sorted(expected)
        # the sub-graph of the path only: no other entry, no other edge
        assert sorted(g.nodes) == sorted(expected) and len(g.edges) == len(expected) - 1


def test_edge_labels_are_the_factors_of_the_written_product(committed):
    page, assets = committed
    for number_, wrt in (("3.2.5", "W2[1,1]"), ("3.2.10", "W1[1,2]")):
        file, expected = EXPECTED_PATHS[wrt]
        labels = {(t, h): v for t, h, v in Drawing(assets / file).path_edges()}
        along = [labels[(a, b)] for a, b in zip(expected, expected[1:])]  # parameter up to J
        written = page.factors(number_)  # J down to the parameter
        assert along == written[::-1], number_
    # and each factor is the answer of its own local-derivative question
    labels = {(t, h): v for t, h, v in Drawing(assets / "path-W1-0-2.svg").path_edges()}
    assert labels[(eid("yhat", 0), eid("loss", 0))] == page.answer("3.2.2")
    assert labels[(eid("b", 0), eid("yhat", 0))] == page.answer("3.2.3")
    assert labels[(eid("z", 0), eid("b", 0))] == page.answer("3.2.7") == -2
    assert labels[(eid("a", 0), eid("z", 0))] == page.answer("3.2.8") == 1
    assert labels[(eid("W1", 0, 2), eid("a", 0))] == page.answer("3.2.9") == 5
    labels = {(t, h): v for t, h, v in Drawing(assets / "path-W2-0-1.svg").path_edges()}
    assert labels[(eid("W2", 0, 1), eid("b", 0))] == page.answer("3.2.4") == 3


# ---------------------------------------------------------------- figures: alt text and legend


def test_graph_figures_have_alt_text_and_link_the_legend(committed):
    page, _ = committed
    figures = page.figures()
    assert figures
    for alt, file, caption in figures:
        assert len(alt) > 30 and "[" not in alt, file
        if Path(file).name != "network.svg":
            assert "](../../graph-legend.md)" in caption, file
    assert (ROOT_DIR / "docs" / "graph-legend.md").is_file()
    path_alt = next(alt for alt, file, _ in figures if file.endswith("path-W1-0-2.svg"))
    assert "W₁,₁,₂ → a₁ → z₁ → b → y\u0302 → ℓ" in path_alt


def test_layer_diagram_shows_units_bias_units_and_weights(committed):
    _, assets = committed
    g = Drawing(assets / "network.svg")
    units = [n for n in g.nodes if n.startswith("u")]
    assert sorted(units) == ["u0_0", "u0_1", "u0_2", "u1_0", "u1_1", "u1_2", "u2_1"]
    assert all("bias" in g.nodes[u][0] for u in ("u0_0", "u1_0"))
    weights = {e: number(texts[0]) for e, (_, _, _, texts) in g.edges.items() if e.startswith("w")}
    assert weights == {"w1_0_0": 2, "w1_0_1": 3, "w1_0_2": -1, "w1_1_0": -1, "w1_1_1": -3, "w1_1_2": 1,
                       "w2_0_0": 1, "w2_0_1": -2, "w2_0_2": 2}
    # one colour per receiving unit, the label in the colour of its edge
    colours = {}
    for e in weights:
        stroke = re.search(rf'<g id="{e}" class="edge">.*?stroke="([^"]+)".*?<text[^>]*fill="([^"]+)"', g.text, re.S)
        assert stroke.group(1) == stroke.group(2)
        colours.setdefault(e.rsplit("_", 1)[0], set()).add(stroke.group(1))
    assert all(len(c) == 1 for c in colours.values())
    assert colours["w1_0"] != colours["w1_1"]


# ---------------------------------------------------------------- an edited weight


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    """A copy of the project built before and after W_{2,1,1} changes from -2 to -3."""
    root = copy_project(tmp_path_factory.mktemp("drawings") / "project")
    build(root, strict=True, force=True)
    before = {p.name: p.read_bytes() for p in (root / "docs" / ASSETS).glob("*.svg")}
    problem_file = root / "problems" / f"{STEM}.yml"
    text = problem_file.read_text(encoding="utf-8")
    assert "- [1, -2, 2]" in text
    problem_file.write_text(text.replace("- [1, -2, 2]", "- [1, -3, 2]", 1), encoding="utf-8")
    build(root, strict=True, force=True)
    return root, before


def test_editing_a_weight_changes_the_drawings(edited):
    root, before = edited
    page, assets = docs_of(root)
    g = Drawing(assets / "element-graph.svg")
    assert g.value(eid("W2", 0, 1)) == -3
    assert g.value(eid("b", 0)) == page.answer("3.1.6") == 1 - 3 * 3  # b = 1 + (-3)(3) + 2(0)
    assert g.value(eid("yhat", 0)) == page.answer("3.1.7") == pytest.approx(0.0003354, abs=1e-7)
    assert g.value(eid("loss", 0)) == page.answer("3.1.9")
    assert g.grad(eid("W2", 0, 1)) == page.answer("3.2.5")
    assert g.grad(eid("W1", 0, 2)) == page.answer("3.2.10")
    labels = {(t, h): v for t, h, v in Drawing(assets / "path-W1-0-2.svg").path_edges()}
    assert labels[(eid("z", 0), eid("b", 0))] == page.answer("3.2.7") == -3  # dB/dz_1 = W_{2,1,1}
    along = [labels[(a, b)] for a, b in zip(EXPECTED_PATHS["W1[1,2]"][1], EXPECTED_PATHS["W1[1,2]"][1][1:])]
    assert along == page.factors("3.2.10")[::-1]
    network = Drawing(assets / "network.svg")
    assert number(network.edges["w2_0_1"][3][0]) == -3
    after = {p.name: p.read_bytes() for p in assets.glob("*.svg")}
    assert after.keys() == before.keys()
    assert all(after[name] != before[name] for name in after)  # every drawing shows W_{2,1,1}


def test_a_rebuild_gives_the_same_bytes(edited):
    root, _ = edited
    assets = root / "docs" / ASSETS
    first = {p.name: p.read_bytes() for p in assets.glob("*.svg")}
    _, report = build(root, strict=True, force=True)
    assert {p.name: p.read_bytes() for p in assets.glob("*.svg")} == first
    assert not [w for w in report.written if w.endswith(".svg")]


# ---------------------------------------------------------------- a big network


def big_problem():
    """784 inputs, 128 ReLU units, 10 sigmoid outputs (folded bias): 101,770 parameters."""
    from generator.problem.spec import Layer, Network, Problem, Question

    rng = random.Random(784)

    def matrix(rows: int, cols: int, scale: int) -> tuple[tuple[Fraction, ...], ...]:
        return tuple(tuple(Fraction(rng.randint(-scale, scale), 1000) for _ in range(cols))
                     for _ in range(rows))

    net = Network(input_name="x", input_size=784, target_name="y",
                  layers=(Layer(128, "relu", "a", "z", "W1", "b1"),
                          Layer(10, "sigmoid", "b", "yhat", "W2", "b2")),
                  bias="folded", loss="half_squared_error", loss_name="loss")
    values = {"x": matrix(784, 1, 1000), "y": tuple((Fraction(i % 2),) for i in range(10)),
              "W1": matrix(128, 785, 36), "W2": matrix(10, 129, 88)}
    questions = (Question(number="1", text="Draw the network.", ask="network_drawing"),
                 Question(number="2", text="Draw its computation graph.", ask="computation_graph"))
    return Problem(path="big.yml", slug="big", title="A 784-128-10 network", handout="002",
                   section="1", intro="", network=net, values=values, learning_rate=None,
                   significant_figures=4, symbols={}, questions=questions)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """The big network's drawings, rendered twice to files, and its page."""
    from generator.render import dot
    from generator.render.page import render_page
    from generator.render.svg import to_svg
    from generator.solve.solution import solve

    solution = solve(big_problem())
    out = tmp_path_factory.mktemp("big")
    runs = []
    for run in ("first", "second"):
        (out / run).mkdir()
        files = {name: to_svg(text) for name, text in dot.drawings(solution).items()}
        for name, svg in files.items():
            (out / run / name).write_text(svg, encoding="utf-8")
        runs.append(out / run)
    (out / "big.md").write_text(render_page(solution, "big", "Handout"), encoding="utf-8")
    return runs, out / "big.md"


def test_big_network_collapses_to_one_block_per_layer(big):
    (first, _), _ = big
    g = Drawing(first / "network.svg")
    assert 2 <= len(g.nodes) <= 10
    texts = ["".join(texts) for _, texts in g.nodes.values()]
    assert any("layer 1: 128 units, relu" in t for t in texts)
    assert any("layer 2: 10 units, sigmoid" in t for t in texts)
    assert any("784" in t for t in texts)
    edge_texts = ["".join(texts) for *_, texts in g.edges.values()]
    assert any("128×785" in t for t in edge_texts) and any("10×129" in t for t in edge_texts)
    assert len(g.edges) == 2


def test_big_network_graph_stays_small(big):
    (first, _), page = big
    assert sorted(p.name for p in first.glob("*.svg")) == ["computation-graph.svg", "network.svg"]
    g = Drawing(first / "computation-graph.svg")
    assert len(g.nodes) <= 10
    assert "784×1" in " ".join(g.nodes["n_x"][1])  # a large array shows its shape only
    text = page.read_text(encoding="utf-8")
    assert "element-graph.svg" not in text and "path-" not in text
    assert "Too many units to draw one by one" in text


def test_big_network_drawings_are_byte_identical(big):
    (first, second), _ = big
    for svg in sorted(first.glob("*.svg")):
        assert svg.read_bytes() == (second / svg.name).read_bytes(), svg.name
        assert "<!--" not in svg.read_text(encoding="utf-8")
