"""Graphviz DOT text for the layer diagram and the computation graph; ids come from names."""

from __future__ import annotations

import re

import numpy as np

from ..graph.model import Graph, Node
from ..problem.spec import Problem
from .numbers import number

GREEK = {r"\ell": "ℓ", r"\sigma": "σ", r"\delta": "δ", r"\theta": "θ", r"\phi": "φ", r"\eta": "η"}
LEAF_STYLE = {"input": "#dbeafe", "target": "#dbeafe", "param": "#fef3c7"}
OP_STYLE = "#ffffff"
EDGE_COLOURS = ("#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c", "#0f766e")  # one per target neuron
MAX_EDGE_LABELS = 40  # above this many weights the layer diagram drops the numbers on edges


def html(latex: str) -> str:
    """A node symbol's LaTeX as a Graphviz HTML label: \\hat{y} -> ŷ, W_{1} -> W<SUB>1</SUB>."""
    text = latex
    for k, v in GREEK.items():
        text = text.replace(k, v)
    text = re.sub(r"\\hat\{(\w)\}", "\\1\u0302", text)
    text = re.sub(r"\\tilde\{(\w)\}", "\\1\u0303", text)
    text = re.sub(r"\\mathbf\{(\w+)\}", r"<B>\1</B>", text)
    text = re.sub(r"_\{([^{}]*)\}", r"<SUB>\1</SUB>", text)
    text = re.sub(r"\^\{([^{}]*)\}", r"<SUP>\1</SUP>", text)
    text = re.sub(r"_(\w)", r"<SUB>\1</SUB>", text)
    return text.replace("{", "").replace("}", "").replace("\\", "")


def _values(m: np.ndarray, figures: int) -> str:
    """[2, 5] for a vector, [2, 3, -1; -1, -3, 1] for a matrix (rows split by ;), else its shape."""
    m = np.atleast_2d(m)
    if m.size > 12:
        return f"{m.shape[0]}×{m.shape[1]}"
    short = lambda v: number(v, figures).replace(r" \times 10^", "e").replace("{", "").replace("}", "")  # noqa: E731
    if m.size == 1:
        return short(m[0, 0])
    rows = m.T if m.shape[1] == 1 else m  # a column vector reads as one row
    return "[" + "; ".join(", ".join(short(v) for v in row) for row in rows) + "]"


def _header(name: str) -> list[str]:
    return [f"digraph {name} {{", '  graph [rankdir=LR, bgcolor="white", nodesep=0.3, ranksep=0.6,'
            ' fontname="Helvetica"];', '  node [fontname="Helvetica", fontsize=11];',
            '  edge [fontname="Helvetica", fontsize=10, color="#475569"];']


def computation_graph(problem: Problem, graph: Graph, values: dict, grads: dict) -> str:
    """One node per array: its symbol, shape, forward value and gradient dJ/d(node)."""
    figures = problem.significant_figures
    lines = _header("computation")
    lines[1] = lines[1].replace("rankdir=LR", "rankdir=TB").replace("ranksep=0.6", "ranksep=0.35")
    lines[2] = lines[2].replace("fontsize=11", "fontsize=14")
    for node in graph.nodes:
        lines.append(f"  {_id(node)} [{_graph_node(node, values, grads, figures)}];")
    for node in graph.nodes:
        for inp in node.inputs:
            lines.append(f"  {_id(graph.node(inp))} -> {_id(node)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _id(node: Node) -> str:
    return f"n_{node.name}"


def _op_title(node: Node) -> str:
    if node.kind == "linear":
        return {"folded": "W [1; x]", "separate": "W x + b", "none": "W x"}[node.op]
    return node.op.replace("_", " ")


def _graph_node(node: Node, values: dict, grads: dict, figures: int) -> str:
    rows, cols = node.shape
    value = _values(values[node.name], figures)
    grad = _values(grads[node.name], figures)
    title = html(node.latex)
    kind = node.kind if node.is_leaf else _op_title(node)
    fill = LEAF_STYLE.get(node.kind, OP_STYLE)
    shape = "box" if node.is_leaf else "box"
    style = '"rounded,filled"' if node.is_leaf else '"filled"'
    cells = [f'<TR><TD><B>{title}</B> <FONT POINT-SIZE="9">{kind} · {rows}×{cols}</FONT></TD></TR>',
             f"<TR><TD>value {value}</TD></TR>"]
    if node.kind != "target":
        cells.append(f'<TR><TD><FONT COLOR="#b91c1c">grad {grad}</FONT></TD></TR>')
    label = '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0">' + "".join(cells) + "</TABLE>>"
    return f'shape={shape}, style={style}, fillcolor="{fill}", label={label}'


def network(problem: Problem, graph: Graph) -> str:
    """The layer diagram: neurons by layer, bias units where the bias is folded, weights on edges."""
    net = problem.network
    figures = problem.significant_figures
    folded = net.bias == "folded"
    sizes = [net.input_size] + [l.size for l in net.layers]
    show_numbers = sum(graph.node(l.weight).shape[0] * graph.node(l.weight).shape[1]
                       for l in net.layers) <= MAX_EDGE_LABELS
    lines = _header("network")
    lines[1] = lines[1].replace("ranksep=0.6", "ranksep=1.4")
    names = [graph.node(net.input_name).latex] + [graph.node(l.post).latex for l in net.layers]
    titles = ["input"] + [f"layer {l}: {layer.activation}" for l, layer in enumerate(net.layers, 1)]
    for l, size in enumerate(sizes):
        lines.append(f"  subgraph cluster_{l} {{")
        lines.append(f'    label="{titles[l]}"; color="#cbd5e1"; fontsize=10;')
        if folded and l < len(sizes) - 1:
            lines.append(f'    u{l}_0 [shape=circle, style=filled, fillcolor="#e5e7eb", label="1"];')
        for i in range(1, size + 1):
            sym = names[l] if size == 1 else f"{names[l]}_{{{i}}}"
            fill = "#dbeafe" if l == 0 else "#ffffff"
            lines.append(f'    u{l}_{i} [shape=circle, style=filled, fillcolor="{fill}", label=<{html(sym)}>];')
        lines.append("  }")
    for l, layer in enumerate(net.layers, start=1):
        w = problem.values[layer.weight]
        for i in range(layer.size):
            sources = range(0 if folded else 1, sizes[l - 1] + 1)
            for j in sources:
                col = j if folded else j - 1
                colour = EDGE_COLOURS[i % len(EDGE_COLOURS)]
                label = (f', label="{number(float(w[i][col]), figures)}", fontcolor="{colour}"'
                         if show_numbers else "")
                lines.append(f'  u{l - 1}_{j} -> u{l}_{i + 1} [arrowsize=0.6, color="{colour}"{label}];')
        if net.bias == "separate" and show_numbers:
            b = problem.values[layer.bias]
            for i in range(layer.size):
                lines.append(f'  u{l}_{i + 1} [xlabel="b={number(float(b[i][0]), figures)}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
