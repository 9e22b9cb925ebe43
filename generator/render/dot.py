"""Graphviz DOT text for the drawings of a solved problem; every id comes from a name.

The drawings only show what the solution computed: values and gradients come from
``Solution.values`` / ``Solution.grads``, and the numbers on a highlighted chain-rule path are the
``Factor.value`` of the solution's Chain answer (the same numbers as in the written product).
Nothing here differentiates.

- ``network``: the layer diagram (neurons, bias units, weights on the edges); a big network
  collapses to one block per layer, with the weight matrix's shape on the edge.
- ``computation_graph``: one node per vector or matrix (block graph), with shape, value, gradient.
- ``element_graph``: one node per scalar entry (small networks only), drawn once per page.
- ``path_graph``: only the entries on the paths of one chain-rule answer, each edge labelled with
  its local derivative (the sub-graph a solution shows).
- ``drawings``: every drawing of a solution, by file name.

Colours, shapes and the meaning of each line are explained once on docs/graph-legend.md; keep
the two in step.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from ..graph.model import Graph, Node
from ..graph.ops import op_for
from ..problem.spec import Problem
from ..solve.chain import Elem, Factor, successors
from .numbers import plain as plain_number
from .svg import layout
from .symbols import entry, fill

if TYPE_CHECKING:  # only for annotations: drawings() takes a solved problem
    from ..solve.solution import Chain, Solution

# file names of the drawings, relative to the page's asset folder
NETWORK_SVG = "network.svg"
GRAPH_SVG = "computation-graph.svg"
ELEMENT_SVG = "element-graph.svg"

PER_LINE = 3  # most entries of a column vector on one line of a block node
MAX_SHOWN = 16  # entries of a matrix a block node writes out (a 4 x 4 weight matrix); beyond, its shape
MAX_ELEMENTS = 40  # scalar entries (all nodes together) up to which the element graph is drawn
MAX_WIDTH = 8  # widest layer (input included) the neuron diagram draws unit by unit
# a weight's label sits on its edge near the head, as near as it fits (see _label_distances)
WEIGHT_SIZE = 12  # points
LABEL_NEAR, LABEL_STEP, LABEL_REACH = 1.8, 2.0, 0.75  # nearest (x 10 pt), step (pt), farthest (share of the edge)
ARROW = 7.0  # arrowhead length in points (arrowsize 0.7)
MAX_DIAGRAM_WEIGHTS = 40  # weights (bias entries included) the neuron diagram draws one by one

# Helvetica and Arial have the same widths (so has Liberation Sans, which fontconfig gives for
# both on Linux): Graphviz measures the text with the font a browser will draw it in. (A bare
# "Helvetica" makes Graphviz measure with DejaVu Sans, wider, and leave gaps.)
FONT = "Helvetica,Arial,sans-serif"

# the palette (see docs/graph-legend.md); all drawings have a white background
INK = "#0f172a"  # text
MUTED = "#475569"  # secondary text, ordinary edges
GRAD = "#b91c1c"  # gradient lines
STYLE = {  # node kind -> (fill, border)
    "input": ("#dbeafe", "#1e40af"),
    "target": ("#dcfce7", "#166534"),
    "param": ("#fef3c7", "#92400e"),
    "const": ("#f3f4f6", "#6b7280"),  # given but not learned
    "op": ("#ffffff", "#334155"),
    "objective": ("#f1f5f9", "#0f172a"),
}
KIND_WORD = {"input": "input", "target": "target", "param": "parameter", "const": "fixed"}
BIAS_UNIT = ("#e5e7eb", "#6b7280")
PATH = "#7c3aed"  # a highlighted chain-rule path: edges, their labels, the nodes on it
FADED = "#cbd5e1"  # edges off the highlighted path
EDGE_COLOURS = ("#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c", "#0f766e")  # by target neuron

GREEK = {r"\ell": "ℓ", r"\sigma": "σ", r"\delta": "δ", r"\theta": "θ", r"\phi": "φ", r"\eta": "η"}
GREEK_MORE = dict(zip("Sigma Phi Delta Theta Lambda Psi Omega alpha beta gamma epsilon lambda mu pi tau psi omega".split(),
                      "ΣΦΔΘΛΨΩαβγελμπτψω"))
SUBSCRIPT = str.maketrans("0123456789+-()", "₀₁₂₃₄₅₆₇₈₉₊₋₍₎")
SUPERSCRIPT = str.maketrans("0123456789+-()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾")


# ---------------------------------------------------------------- text: symbols and numbers


def html(latex: str) -> str:
    """A symbol's LaTeX as a Graphviz HTML label: \\hat{y} -> ŷ, W_{1} -> W<SUB>1</SUB>."""
    text = latex
    for k, v in GREEK.items():
        text = text.replace(k, v)
    text = re.sub(r"\\(Sigma|Phi|Delta|Theta|Lambda|Psi|Omega|alpha|beta|gamma|epsilon|lambda|mu|pi|tau|psi|omega)(?![A-Za-z])",
                  lambda m: GREEK_MORE[m.group(1)], text)
    text = text.replace(r"\left", "").replace(r"\right", "").replace(r"\tfrac{1}{2}", "½")
    text = text.replace(r"\top", "T").replace(r"\prime", "′")  # 1^{\top} -> 1ᵀ, not 1^top
    text = re.sub(r"\\operatorname\{(\w+)\}", r"\1", text)
    text = re.sub(r"\\hat\{(\w)\}", "\\1\u0302", text)
    text = re.sub(r"\\tilde\{(\w)\}", "\\1\u0303", text)
    text = re.sub(r"\\mathbf\{(\w+)\}", r"<B>\1</B>", text)
    text = re.sub(r"_\{([^{}]*)\}", r"<SUB>\1</SUB>", text)
    text = re.sub(r"\^\{([^{}]*)\}", r"<SUP>\1</SUP>", text)
    text = re.sub(r"_(\w)", r"<SUB>\1</SUB>", text)
    text = re.sub(r"\^(\w)", r"<SUP>\1</SUP>", text)
    return text.replace("{", "").replace("}", "").replace("\\", "")


def plain(latex: str) -> str:
    """A symbol's LaTeX as plain text for alt text: W_{1,1,2} -> W₁,₁,₂, \\hat{y} -> ŷ."""
    text = html(latex).replace("<B>", "").replace("</B>", "")
    text = re.sub(r"<SUB>([^<]*)</SUB>", lambda m: m.group(1).translate(SUBSCRIPT), text)
    return re.sub(r"<SUP>([^<]*)</SUP>", lambda m: m.group(1).translate(SUPERSCRIPT), text)


def short(x: float, figures: int) -> str:
    """A number as the page rounds it, as plain text (1.2×10⁻⁵ for its powers of ten)."""
    return plain_number(x, figures)


def _values(m: np.ndarray, figures: int) -> list[str]:
    """Lines for an array: 3; [2, 5]ᵀ for a column; one [..] line per row of a small matrix;
    only the shape for big ones."""
    m = np.atleast_2d(m)
    if m.size > MAX_SHOWN:
        return [f"{m.shape[0]}×{m.shape[1]}"]
    if m.size == 1:
        return [short(m[0, 0], figures)]
    row = lambda r: "[" + ", ".join(short(v, figures) for v in r) + "]"  # noqa: E731
    if m.shape[1] == 1:  # a column, as a transposed row of at most PER_LINE entries a line
        cells = [short(v, figures) for v in m[:, 0]]
        count = -(-len(cells) // PER_LINE)  # lines
        per = -(-len(cells) // count)  # entries per line, balanced: 4 entries as 2 + 2
        chunks = [", ".join(cells[k:k + per]) for k in range(0, len(cells), per)]
        return [("[" if k == 0 else "") + c + ("]ᵀ" if k == len(chunks) - 1 else ",")
                for k, c in enumerate(chunks)]
    return [row(r) for r in m]


def _esc(text: str) -> str:
    """Escape text for an HTML-like label (numbers and names only, but be safe)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _header(name: str, rankdir: str = "LR", nodesep: float = 0.3, ranksep: float = 0.6,
            fontsize: int = 11) -> list[str]:
    return [f"digraph {name} {{",
            f'  graph [rankdir={rankdir}, bgcolor="white", nodesep={nodesep}, ranksep={ranksep},'
            f' fontname="{FONT}", fontcolor="{INK}"];',
            f'  node [fontname="{FONT}", fontsize={fontsize}, fontcolor="{INK}"];',
            f'  edge [fontname="{FONT}", fontsize=10, color="{MUTED}", arrowsize=0.7];']


def _kind(graph: Graph, node: Node) -> str:
    """The node's style key: input, target, param, op or objective."""
    if node.name == graph.objective.name:
        return "objective"
    return node.kind if node.is_leaf else "op"


def _node_style(style: str) -> str:
    fill_colour, border = STYLE[style]
    if style in ("input", "target", "param", "const"):
        return f'shape=box, style="rounded,filled", fillcolor="{fill_colour}", color="{border}"'
    if style == "objective":
        return f'shape=box, style="filled", peripheries=2, fillcolor="{fill_colour}", color="{border}"'
    return f'shape=box, style="filled", fillcolor="{fill_colour}", color="{border}"'


# ---------------------------------------------------------------- the block computation graph


def _formula(graph: Graph, node: Node) -> str:
    """What an op computes, in the page's symbols: W₁ x̃, ReLU(a), (y − ŷ)² (+ the weight decay)."""
    template, symbols = op_for(node).label(graph, node)
    latex = fill(template, **symbols)
    for tex, text in ((r"\frac{\lambda}{2}", "(λ/2)"), (r"\lVert", "‖"), (r"\rVert", "‖"), (r"\sum_{l}", "Σ")):
        latex = latex.replace(tex, text)  # the penalty's LaTeX that a drawing cannot set
    return html(latex)


def describe(graph: Graph) -> str:
    """The block graph in words, for alt text: 'a = W₁ x̃, z = ReLU(a), ...'."""
    parts = []
    for node in graph.nodes:
        if not node.is_leaf:
            parts.append(f"{plain(node.latex)} = {_unhtml(_formula(graph, node))}")
    return ", ".join(parts)


def _unhtml(text: str) -> str:
    """An HTML label fragment back to plain text (subscripts as Unicode)."""
    text = re.sub(r"<SUB>([^<]*)</SUB>", lambda m: m.group(1).translate(SUBSCRIPT), text)
    text = re.sub(r"<SUP>([^<]*)</SUP>", lambda m: m.group(1).translate(SUPERSCRIPT), text)
    return re.sub(r"</?\w+>", "", text)


def computation_graph(problem: Problem, graph: Graph, values: dict, grads: dict) -> str:
    """One node per array: its symbol, what it is, its shape, forward value and gradient dJ/d(node)."""
    figures = problem.significant_figures
    lines = _header("computation", rankdir="TB", ranksep=0.35, fontsize=13)
    for node in graph.nodes:
        lines.append(f"  {_id(node)} [{_block_node(graph, node, values, grads, figures)}];")
    for node in graph.nodes:
        for k, inp in enumerate(node.inputs):
            # the data path (each op's first input) runs straight down; parameters hang beside it
            weight = ", weight=8" if k == 0 else ""
            lines.append(f'  {_id(graph.node(inp))} -> {_id(node)} [id="{_id(graph.node(inp))}__{_id(node)}"{weight}];')
        for above, below in (op_for(node).stacked(node) if not node.is_leaf else ()):
            lines.append(f"  {_id(graph.node(above))} -> {_id(graph.node(below))} [style=invis];  // keeps the drawing narrow")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _id(node: Node) -> str:
    return f"n_{node.name}"


def _block_node(graph: Graph, node: Node, values: dict, grads: dict, figures: int) -> str:
    rows, cols = node.shape
    style = _kind(graph, node)
    small = '<FONT POINT-SIZE="10" COLOR="{c}">{t}</FONT>'
    if node.is_leaf:
        what = f"{KIND_WORD[node.kind]} · {rows}×{cols}"
    else:
        what = f"= {_formula(graph, node)} · {rows}×{cols}"
    cells = [f"<B>{html(node.latex)}</B> " + small.format(c=MUTED, t=what)]
    if style == "objective":
        cells.append(small.format(c=MUTED, t=f"objective J = {html(node.latex)}"))
    value = _values(values[node.name], figures)
    cells += [("value " if i == 0 else "") + _esc(v) for i, v in enumerate(value)]
    if node.kind != "target":
        grad = _values(grads[node.name], figures)
        cells += [f'<FONT COLOR="{GRAD}">' + ("grad " if i == 0 else "") + _esc(v) + "</FONT>"
                  for i, v in enumerate(grad)]
    label = ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
             + "".join(f"<TR><TD>{c}</TD></TR>" for c in cells) + "</TABLE>>")
    return f'id="{_id(node)}", class="{style}", {_node_style(style)}, label={label}'


# ---------------------------------------------------------------- the element-level graph


def elements(graph: Graph, values: dict) -> list[Elem]:
    """Every scalar entry of every node, in graph order, row by row."""
    return [Elem(node.name, (r, c)) for node in graph.nodes
            for r in range(values[node.name].shape[0]) for c in range(values[node.name].shape[1])]


def element_level(graph: Graph, values: dict) -> bool:
    """Whether the network is small enough for one node per scalar entry."""
    return sum(values[node.name].size for node in graph.nodes) <= MAX_ELEMENTS


def elem_id(elem: Elem) -> str:
    """The DOT id of an entry, from its node name and stored (row, column)."""
    return f"e_{elem.node}_{elem.index[0]}_{elem.index[1]}"


def path_file(param: Elem, of: Elem | None = None) -> str:
    """The file of the drawing of the chain-rule paths from ``param`` to ``of`` (None: to J)."""
    name = f"path-{param.node}-{param.index[0]}-{param.index[1]}"
    if of is not None:
        name += f"-to-{of.node}-{of.index[0]}-{of.index[1]}"
    return name + ".svg"


def _edges(graph: Graph, values: dict) -> list[tuple[Elem, Elem]]:
    """Every (entry, entry it feeds) pair, in a fixed order; target entries feed the loss too
    (the loss compares with them), although no gradient flows back into a target."""
    edges = []
    for elem in elements(graph, values):
        edges += [(elem, succ) for succ in successors(graph, values, elem)]
        node = graph.node(elem.node)
        if node.kind == "target":
            edges += [(elem, Elem(c.name, (0, 0))) for c in graph.consumers(node.name) if c.kind == "loss"]
    return edges


def _widest_rank(graph: Graph, values: dict) -> int:
    """Entries on the widest level of the element graph: an op's inputs sit side by side."""
    return max((sum(values[i].size for i in node.inputs) for node in graph.nodes if not node.is_leaf),
               default=1)


def _levels(graph: Graph, values: dict) -> list[list[Elem]]:
    """The entries that sit side by side, in reading order: each op's inputs as its entry sets them."""
    return [op_for(node).side_by_side(node, values) for node in graph.nodes if not node.is_leaf]


def element_graph(problem: Problem, graph: Graph, values: dict, grads: dict) -> str:
    """One node per scalar entry with its value and gradient; edges follow the dependencies.

    Top to bottom like the block graph while no level is wider than MAX_WIDTH entries, else left
    to right.
    """
    figures = problem.significant_figures
    rankdir = "TB" if _widest_rank(graph, values) <= MAX_WIDTH else "LR"
    lines = _header("element", rankdir=rankdir, nodesep=0.12, ranksep=0.3, fontsize=12)
    for elem in elements(graph, values):
        node = graph.node(elem.node)
        lines.append(f"  {elem_id(elem)} [{_element_node(problem, graph, node, elem, values, grads, figures)}];")
    for level in _levels(graph, values):  # an op's inputs side by side, in reading order
        chain = " -> ".join(elem_id(e) for e in level)
        if len(level) > 1:
            lines.append(f"  {{rank=same; {chain} [style=invis]}}")
    for elem, succ in _edges(graph, values):
        attrs = f'id="{elem_id(elem)}__{elem_id(succ)}", color="{MUTED}"'
        if graph.node(elem.node).kind == "target":
            attrs += ', style="dashed"'
        lines.append(f"  {elem_id(elem)} -> {elem_id(succ)} [{attrs}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def path_graph(problem: Problem, graph: Graph, values: dict, grads: dict,
               paths: tuple[tuple[Factor, ...], ...], gradients: bool) -> str:
    """Only the entries on the paths of one chain-rule answer (each path ordered from the top
    down to the parameter), left to right from the parameter; each edge labelled with its
    factor's value. A node shows its value and, with ``gradients`` (the paths end at J), its
    gradient dJ/d(entry); a derivative of another quantity is not what those numbers are."""
    figures = problem.significant_figures
    labels: dict[tuple[Elem, Elem], float] = {}
    for path in paths:
        for f in path:
            labels[(f.inp, f.out)] = f.value
    on_path = {e for pair in labels for e in pair}
    lines = _header("path", rankdir="LR", nodesep=0.25, ranksep=0.45, fontsize=12)
    for elem in elements(graph, values):  # graph order: the same drawing on every run
        if elem in on_path:
            node = graph.node(elem.node)
            lines.append(f"  {elem_id(elem)} [{_element_node(problem, graph, node, elem, values, grads, figures, True, gradients)}];")
    for (inp, out), value in sorted(labels.items(), key=lambda kv: (elem_id(kv[0][0]), elem_id(kv[0][1]))):
        badge = (f'<<TABLE BORDER="1" COLOR="{PATH}" BGCOLOR="white" CELLBORDER="0" '
                 f'CELLPADDING="1" CELLSPACING="0"><TR><TD><FONT COLOR="{PATH}" POINT-SIZE="12">'
                 f"<B>{_esc(short(value, figures))}</B></FONT></TD></TR></TABLE>>")
        lines.append(f'  {elem_id(inp)} -> {elem_id(out)} [id="{elem_id(inp)}__{elem_id(out)}", class="path", '
                     f'color="{PATH}", penwidth=2.6, arrowsize=0.9, label={badge}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _element_node(problem: Problem, graph: Graph, node: Node, elem: Elem, values: dict, grads: dict,
                  figures: int, highlighted: bool = False, gradient: bool = True) -> str:
    """Three short lines: the entry's symbol, its value, its gradient (red; none for a target,
    nor without ``gradient``)."""
    style = _kind(graph, node)
    cells = [f"<B>{html(entry(problem, graph, elem))}</B>",
             _esc(short(values[elem.node][elem.index], figures))]
    if node.kind != "target" and gradient:
        cells.append(f'<FONT COLOR="{GRAD}">{_esc(short(grads[elem.node][elem.index], figures))}</FONT>')
    label = ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">'
             + "".join(f"<TR><TD>{c}</TD></TR>" for c in cells) + "</TABLE>>")
    fill_colour, border = STYLE[style]
    shape = _node_style(style)
    attrs = f'id="{elem_id(elem)}", class="{style}{" path" if highlighted else ""}", {shape}'
    if highlighted:
        attrs = attrs.replace(f'color="{border}"', f'color="{PATH}"') + ", penwidth=2.6"
    return attrs + ', margin="0.05,0.03", label=' + label


def path_nodes(param: Elem, paths: tuple[tuple[Factor, ...], ...]) -> list[list[Elem]]:
    """Each path as its entries from the parameter up to J."""
    return [[param] + [f.out for f in reversed(path)] for path in paths]


# ---------------------------------------------------------------- the layer diagram


def collapsed(problem: Problem, graph: Graph) -> bool:
    """Whether the layer diagram draws one block per layer (wide or many-weight networks)."""
    net = problem.network
    widths = [net.input_size] + [l.size for l in net.layers]
    weights = sum(p.shape[0] * p.shape[1] for p in graph.params())
    return max(widths) > MAX_WIDTH or weights > MAX_DIAGRAM_WEIGHTS


def network(problem: Problem, graph: Graph) -> str:
    """The layer diagram: neurons by layer, bias units where the bias is folded, weights on edges;
    for big networks one block per layer instead."""
    if collapsed(problem, graph):
        return _layer_blocks(problem, graph)
    net = problem.network
    figures = problem.significant_figures
    folded = net.bias == "folded"
    sizes = [net.input_size] + [l.size for l in net.layers]
    fan_in = max(sizes[:-1]) + (1 if folded else 0)  # the most edges into one unit
    lines = _header("network", nodesep=0.3 + 0.05 * max(0, fan_in - 3),
                    ranksep=1.5 + 0.25 * max(0, fan_in - 3), fontsize=13)
    lines.insert(2, "  splines=line;")
    names = [graph.node(net.input_name).latex] + [graph.node(l.post).latex for l in net.layers]
    titles = ["input"] + [f"layer {l}: {layer.activation}" for l, layer in enumerate(net.layers, 1)]
    for l, size in enumerate(sizes):
        # one column per layer, headed by its title; the invisible chain keeps the order top to
        # bottom: title, bias unit, unit 1, 2, ... (clusters would not keep it)
        lines.append(f'  t{l} [id="t{l}", shape=plaintext, fontsize=12, fontcolor="{MUTED}", label="{titles[l]}"];')
        units = [f"t{l}"]
        if folded and l < len(sizes) - 1:
            lines.append(f'  u{l}_0 [id="u{l}_0", class="bias", shape=circle, style="filled,dashed", '
                         f'fillcolor="{BIAS_UNIT[0]}", color="{BIAS_UNIT[1]}", label="1"];')
            units.append(f"u{l}_0")
        for i in range(1, size + 1):
            sym = names[l] if size == 1 else f"{names[l]}_{{{i}}}"
            fill_colour, border = STYLE["input"] if l == 0 else STYLE["op"]
            lines.append(f'  u{l}_{i} [id="u{l}_{i}", shape=circle, style=filled, fillcolor="{fill_colour}", '
                         f'color="{border}", label=<{html(sym)}>];')
            units.append(f"u{l}_{i}")
        lines.append(f"  {{rank=same; {' -> '.join(units)} [style=invis]}}")
    lines.append(f"  {' -> '.join(f't{l}' for l in range(len(sizes)))} [style=invis, weight=20];  // titles in line")
    edges = []  # (tail, head, id, colour, text)
    for l, layer in enumerate(net.layers, start=1):
        w = problem.values[layer.weight]
        for i in range(layer.size):
            colour = EDGE_COLOURS[i % len(EDGE_COLOURS)]
            for j in range(0 if folded else 1, sizes[l - 1] + 1):
                col = j if folded else j - 1
                edges.append((f"u{l - 1}_{j}", f"u{l}_{i + 1}", f"w{l}_{i}_{col}", colour,
                              short(float(w[i][col]), figures)))
    plain_edges = [f'  {t} -> {h} [id="{eid}", color="{c}"];' for t, h, eid, c, _ in edges]
    distances = _label_distances(layout("\n".join(lines + plain_edges + ["}"])), edges)
    for (t, h, eid, colour, text), distance in zip(edges, distances):
        badge = (f'<<TABLE BORDER="0" BGCOLOR="white" CELLPADDING="0" CELLSPACING="0"><TR><TD>'
                 f'<FONT COLOR="{colour}" POINT-SIZE="{WEIGHT_SIZE}">{_esc(text)}</FONT></TD></TR></TABLE>>')
        lines.append(f'  {t} -> {h} [id="{eid}", color="{colour}", headlabel={badge}, labelangle=0, '
                     f'labeldistance={distance:.1f}];')
    for l, layer in enumerate(net.layers, start=1):
        if net.bias == "separate":
            b = problem.values[layer.bias]
            for i in range(layer.size):
                label = html(entry(problem, graph, Elem(layer.bias, (i, 0))))
                lines.append(f'  u{l}_{i + 1} [xlabel=<<FONT POINT-SIZE="11">{label} = '
                             f'{_esc(short(float(b[i][0]), figures))}</FONT>>];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _text_width(text: str, size: float) -> float:
    """Width of a number in Helvetica (Arial) at ``size`` points."""
    return size * sum({"-": 0.333, ".": 0.278, "e": 0.556}.get(ch, 0.556) for ch in text)


def _label_distances(nodes: dict[str, tuple[float, float, float, float]],
                     edges: list[tuple[str, str, str, str, str]]) -> list[float]:
    """For each edge's weight label, its distance from the head (Graphviz's labeldistance, in
    units of 10 points): as near the head as it fits without covering another label or a node.

    The labels are placed one by one, steepest edges first (they have the least room), on the
    straight edge between the two units as dot lays them out; the result only depends on that
    layout, so it is the same on every run.
    """
    placed: list[tuple[float, float, float, float]] = []
    obstacles = [(x - w / 2, y - h / 2, x + w / 2, y + h / 2) for x, y, w, h in nodes.values()]
    for tail, head, *_ in edges:  # the arrowheads, ARROW points long from each head's rim
        (tx, ty, _, _), (hx, hy, hw, _) = nodes[tail], nodes[head]
        length = ((tx - hx) ** 2 + (ty - hy) ** 2) ** 0.5
        cx, cy = hx + (tx - hx) / length * (hw / 2 + ARROW / 2), hy + (ty - hy) / length * (hw / 2 + ARROW / 2)
        obstacles.append((cx - ARROW / 2, cy - ARROW / 2, cx + ARROW / 2, cy + ARROW / 2))

    def overlap(box, others) -> float:
        total = 0.0
        for o in others:
            dx = min(box[2], o[2]) - max(box[0], o[0])
            dy = min(box[3], o[3]) - max(box[1], o[1])
            total += dx * dy if dx > 0 and dy > 0 else 0.0
        return total

    def slope(k: int) -> float:
        (tx, ty, _, _), (hx, hy, _, _) = nodes[edges[k][0]], nodes[edges[k][1]]
        return abs(ty - hy) / max(abs(tx - hx), 1.0)

    result = [LABEL_NEAR] * len(edges)
    for k in sorted(range(len(edges)), key=lambda k: (-round(slope(k), 6), k)):
        tail, head, _, _, text = edges[k]
        (tx, ty, tw, _), (hx, hy, hw, _) = nodes[tail], nodes[head]
        length = ((tx - hx) ** 2 + (ty - hy) ** 2) ** 0.5
        ux, uy = (tx - hx) / length, (ty - hy) / length
        w, h = _text_width(text, WEIGHT_SIZE) + 6, WEIGHT_SIZE * 1.3  # with a little room around
        best, best_cost = None, None
        d = 10 * LABEL_NEAR
        limit = LABEL_REACH * (length - hw / 2 - tw / 2)
        while d <= limit:
            # Graphviz measures labeldistance from the arrowhead's base
            cx, cy = hx + ux * (hw / 2 + ARROW + d), hy + uy * (hw / 2 + ARROW + d)
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            cost = overlap(box, placed) * 4 + overlap(box, obstacles)
            if best_cost is None or cost < best_cost - 1e-9:
                best, best_cost = (d, box), cost
            if cost == 0:
                break
            d += LABEL_STEP
        if best is None:  # a very short edge: put it at the nearest distance
            best = (10 * LABEL_NEAR, (hx, hy, hx, hy))
        result[k] = best[0] / 10
        placed.append(best[1])
    return result


def _layer_blocks(problem: Problem, graph: Graph) -> str:
    """One block per layer, 'layer l: n units, activation', the weight matrix's shape on the edge."""
    net = problem.network
    lines = _header("network", rankdir="TB", nodesep=0.3, ranksep=0.45, fontsize=12)
    x = graph.node(net.input_name)
    fill_colour, border = STYLE["input"]
    lines.append(f'  n_{x.name} [id="n_{x.name}", shape=box, style="rounded,filled", fillcolor="{fill_colour}", '
                 f'color="{border}", label=<<B>{html(x.latex)}</B><BR/>input: {net.input_size} values>];')
    prev = x.name
    for l, layer in enumerate(net.layers, start=1):
        post = graph.node(layer.post)
        units = f"{layer.size} unit{'s' if layer.size > 1 else ''}"
        fill_colour, border = STYLE["op"]
        lines.append(f'  n_{post.name} [id="n_{post.name}", shape=box, style=filled, fillcolor="{fill_colour}", '
                     f'color="{border}", label=<<B>layer {l}</B>: {units}, {layer.activation}'
                     f'<BR/>{_formula(graph, graph.node(layer.post))}>];')
        w = graph.node(layer.weight)
        text = f"{html(w.latex)}: {w.shape[0]}×{w.shape[1]}"
        if net.bias == "folded":
            text += "<BR/>(bias in column 0)"
        elif net.bias == "separate":
            b = graph.node(layer.bias)
            text += f", {html(b.latex)}: {b.shape[0]}×{b.shape[1]}"
        lines.append(f'  n_{prev} -> n_{post.name} [id="n_{prev}__n_{post.name}", label=<{text}>];')
        prev = post.name
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- every drawing of a solution


def chain_answers(solution: Solution) -> list[Chain]:
    """The Chain answers whose paths are written out (one drawing per parameter)."""
    from ..solve.solution import Chain  # the solution module imports nothing from rendering

    return [a for _, a in solution.answers if isinstance(a, Chain) and a.paths]


def drawings(solution: Solution) -> dict[str, str]:
    """DOT text of every drawing of the page, keyed by file name (in a fixed order)."""
    p, g, values, grads = solution.problem, solution.graph, solution.values, solution.grads
    out = {NETWORK_SVG: network(p, g), GRAPH_SVG: computation_graph(p, g, values, grads)}
    if element_level(g, values):
        out[ELEMENT_SVG] = element_graph(p, g, values, grads)
        for a in chain_answers(solution):
            out.setdefault(path_file(a.param, a.of), path_graph(p, g, values, grads, a.paths, a.of is None))
    return out
