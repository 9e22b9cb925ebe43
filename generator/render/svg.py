"""DOT text to SVG with Graphviz; the output carries no version or timestamp, and its sub- and
superscripts display in browsers.

Starting `dot` costs more than laying out one of our small graphs (about 12 ms against 1-2 ms),
and a build draws some eighty. So one `dot` process per output format stays open for the whole
build and is fed one graph after another: `dot` reads a graph, writes its drawing and flushes,
then waits for the next. The drawings are byte-identical to those of one `dot` per graph. If
the long-lived process fails (a graph it rejects, a crash), the graph is drawn again by a fresh
one-shot `dot`, whose error message is the one reported.
"""

from __future__ import annotations

import atexit
import os
import re
import select
import shutil
import subprocess
import tempfile
import threading

import graphviz

from ..errors import GeneratorError

INSTALL = "sudo apt-get install -y graphviz"
SCRIPT_SIZE = 0.8  # a sub- or superscript's size, relative to its line
SHIFT = {"sub": 0.28, "super": -0.38}  # how far it moves down (+) or up (-), in units of the line's size
REPLY_TIMEOUT = 30.0  # seconds without output from dot before it is given up on


def to_svg(dot: str) -> str:
    """Render DOT with the `dot` program; comments (Graphviz's version line) are stripped."""
    svg = _run("svg", dot)
    # a `dot` that drew graphs before names this one's group "page0,1_graph0": as a fresh one would
    svg = re.sub(r'<g id="page\d+,\d+_(graph\d+)"', r'<g id="\1"', svg, count=1)
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)
    svg = re.sub(r"<\?xml[^>]*>\n?", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\n?", "", svg, flags=re.S)
    svg = scripts(svg)
    return svg.strip() + "\n"


def layout(dot: str) -> dict[str, tuple[float, float, float, float]]:
    """Where `dot` puts each node: name -> (x, y, width, height) in points, y upwards."""
    plain = _run("plain", dot)
    nodes = {}
    for line in plain.splitlines():
        parts = line.split()
        if parts and parts[0] == "node":
            nodes[parts[1].strip('"')] = tuple(72 * float(v) for v in parts[2:6])
    return nodes


def _run(fmt: str, dot: str) -> str:
    if shutil.which("dot") is None:
        raise GeneratorError(f"Graphviz's `dot` program is not installed; run: {INSTALL}")
    with _LOCK:
        process = _PROCESSES.get(fmt)
        if process is None:
            process = _PROCESSES[fmt] = _DotProcess(fmt)
        try:
            return process.draw(dot)
        except (OSError, TimeoutError, EOFError):
            process.close()
            del _PROCESSES[fmt]
    # the long-lived process failed on this graph: a one-shot `dot` reports why (or draws it)
    return graphviz.pipe("dot", fmt, dot.encode("utf-8")).decode("utf-8")


class _DotProcess:
    """A `dot -T<fmt>` process that draws the graphs written to it, one at a time."""

    END = {"svg": b"</svg>\n", "plain": b"stop\n"}  # how each format's output for one graph ends

    def __init__(self, fmt: str):
        self.end = self.END[fmt]
        self.errors = tempfile.TemporaryFile()  # dot's warnings: a pipe left unread could fill up
        self.proc = subprocess.Popen(["dot", f"-T{fmt}"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.errors)

    def draw(self, dot: str) -> str:
        if not dot.endswith("\n"):
            dot += "\n"
        self.proc.stdin.write(dot.encode("utf-8"))
        self.proc.stdin.flush()
        out = bytearray()
        fd = self.proc.stdout.fileno()
        while not out.endswith(self.end):
            ready, _, _ = select.select([fd], [], [], REPLY_TIMEOUT)
            if not ready:
                raise TimeoutError("dot did not answer")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise EOFError("dot exited")
            out += chunk
        return out.decode("utf-8")

    def close(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.errors.close()


_LOCK = threading.Lock()  # mkdocs serve may build from another thread
_PROCESSES: dict[str, _DotProcess] = {}


def forget_processes() -> None:
    """In a forked worker: drop the parent's `dot` processes (without closing them) and lock."""
    global _LOCK
    _LOCK = threading.Lock()
    _PROCESSES.clear()


@atexit.register
def close_all() -> None:
    """Let the long-lived `dot` processes end (they exit when their input closes)."""
    with _LOCK:
        for process in _PROCESSES.values():
            process.close()
        _PROCESSES.clear()


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
