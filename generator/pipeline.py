"""The build, one stage after another: load -> solve -> render -> write."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .output import WriteReport, write_tree
from .problem.load import load_handouts
from .problem.spec import Handout
from .render import dot
from .render.page import GRAPH_SVG, NETWORK_SVG, render_page
from .render.site import handout_dir, render_handout, render_home
from .render.svg import to_svg
from .solve.solution import Solution, solve


@dataclass(frozen=True)
class Paths:
    root: Path

    @property
    def problems(self) -> Path:
        return self.root / "problems"

    @property
    def docs(self) -> Path:
        return self.root / "docs"


def solve_all(handouts: tuple[Handout, ...]) -> list[tuple[Handout, Solution]]:
    """Solve and verify every problem; the first failure stops the build before any write."""
    return [(h, solve(p)) for h in handouts for p in h.problems]


def render_all(handouts: tuple[Handout, ...], solutions: list[tuple[Handout, Solution]]) -> dict[str, bytes]:
    """Every generated file, as bytes keyed by its path under docs/."""
    files: dict[str, str] = {"index.md": render_home(handouts)}
    for h in handouts:
        files[f"{handout_dir(h)}/index.md"] = render_handout(h)
    for h, s in solutions:
        base = f"{handout_dir(h)}/{s.problem.slug}"
        files[f"{base}.md"] = render_page(s, s.problem.slug, h.title)
        files[f"{base}/{NETWORK_SVG}"] = to_svg(dot.network(s.problem, s.graph))
        files[f"{base}/{GRAPH_SVG}"] = to_svg(dot.computation_graph(s.problem, s.graph, s.values, s.grads))
    return {k: v.encode("utf-8") for k, v in files.items()}


def build(root: Path, strict: bool = True, write: bool = True) -> tuple[int, WriteReport | None]:
    """Load, solve, render and (unless ``write`` is False) write; returns (problems, report)."""
    paths = Paths(root)
    # 1. load and validate every problem file (all mistakes are collected)
    handouts = load_handouts(paths.problems, root, strict)
    # 2. solve and verify; a failing check raises before anything is written
    solutions = solve_all(handouts)
    # 3. render pages and drawings in memory
    files = render_all(handouts, solutions)
    # 4. write: changed files only, atomically
    report = write_tree(paths.docs, files) if write else None
    return len(solutions), report
