"""DOT text to SVG with Graphviz; the output carries no version or timestamp."""

from __future__ import annotations

import re
import shutil

import graphviz

from ..errors import GeneratorError

INSTALL = "sudo apt-get install -y graphviz"


def to_svg(dot: str) -> str:
    """Render DOT with the `dot` program; comments (Graphviz's version line) are stripped."""
    if shutil.which("dot") is None:
        raise GeneratorError(f"Graphviz's `dot` program is not installed; run: {INSTALL}")
    svg = graphviz.pipe("dot", "svg", dot.encode("utf-8")).decode("utf-8")
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)
    svg = re.sub(r"<\?xml[^>]*>\n?", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\n?", "", svg, flags=re.S)
    return svg.strip() + "\n"
