"""DOT text to SVG with Graphviz; the output carries no version or timestamp, and its sub- and
superscripts display in browsers."""

from __future__ import annotations

import re
import shutil

import graphviz

from ..errors import GeneratorError

INSTALL = "sudo apt-get install -y graphviz"
SCRIPT_SIZE = 0.8  # a sub- or superscript's size, relative to its line
SHIFT = {"sub": 0.28, "super": -0.38}  # how far it moves down (+) or up (-), in units of the line's size


def to_svg(dot: str) -> str:
    """Render DOT with the `dot` program; comments (Graphviz's version line) are stripped."""
    if shutil.which("dot") is None:
        raise GeneratorError(f"Graphviz's `dot` program is not installed; run: {INSTALL}")
    svg = graphviz.pipe("dot", "svg", dot.encode("utf-8")).decode("utf-8")
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)
    svg = re.sub(r"<\?xml[^>]*>\n?", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\n?", "", svg, flags=re.S)
    svg = scripts(svg)
    return svg.strip() + "\n"


def layout(dot: str) -> dict[str, tuple[float, float, float, float]]:
    """Where `dot` puts each node: name -> (x, y, width, height) in points, y upwards."""
    if shutil.which("dot") is None:
        raise GeneratorError(f"Graphviz's `dot` program is not installed; run: {INSTALL}")
    plain = graphviz.pipe("dot", "plain", dot.encode("utf-8")).decode("utf-8")
    nodes = {}
    for line in plain.splitlines():
        parts = line.split()
        if parts and parts[0] == "node":
            nodes[parts[1].strip('"')] = tuple(72 * float(v) for v in parts[2:6])
    return nodes


def scripts(svg: str) -> str:
    """Place sub- and superscripts explicitly.

    Graphviz writes an HTML label's <SUB>/<SUP> as a <text> element with ``baseline-shift``,
    which browsers ignore on <text> (SVG allows it on <tspan> only): W<SUB>1</SUB> would show
    as W1 at full size. Instead, move the element's ``y`` and shrink its font, so the drawing
    shows W₁ in every browser and in any viewer.
    """
    def fix(m: re.Match) -> str:
        tag = m.group(0)
        size = float(re.search(r'font-size="([\d.]+)"', tag).group(1))
        y = float(re.search(r' y="(-?[\d.]+)"', tag).group(1))
        kind = re.search(r'baseline-shift="(\w+)"', tag).group(1)
        tag = re.sub(r' baseline-shift="\w+"', "", tag)
        tag = re.sub(r' y="-?[\d.]+"', f' y="{y + SHIFT.get(kind, 0.0) * size:.2f}"', tag)
        return re.sub(r'font-size="[\d.]+"', f'font-size="{size * SCRIPT_SIZE:.2f}"', tag)

    return re.sub(r'<text [^>]*baseline-shift="[^"]*"[^>]*>', fix, svg)
