"""Every drawing's text fits inside the drawing, as Chromium draws it: no legend or label is cut
off at the edge (the Task 3 chart's legend once read "path-by-path expansi")."""

from __future__ import annotations

from pathlib import Path

from conftest import ROOT_DIR

DRAWINGS = sorted((ROOT_DIR / "docs" / "handouts").rglob("*.svg"))

OVERFLOW = """() => {
  const svg = document.documentElement;
  const box = svg.viewBox.baseVal;
  const [x0, y0, w, h] = box && box.width ? [box.x, box.y, box.width, box.height]
                                          : [0, 0, svg.width.baseVal.value, svg.height.baseVal.value];
  const out = [];
  for (const t of svg.querySelectorAll('text')) {
    if (!t.textContent.trim()) continue;
    const b = t.getBBox();
    let m = t.getCTM(), root = svg.getCTM();  // the text's own coordinates -> the drawing's
    const p = new DOMPoint(b.x, b.y).matrixTransform(root.inverse().multiply(m));
    const q = new DOMPoint(b.x + b.width, b.y + b.height).matrixTransform(root.inverse().multiply(m));
    const [l, r] = [Math.min(p.x, q.x), Math.max(p.x, q.x)], [top, bot] = [Math.min(p.y, q.y), Math.max(p.y, q.y)];
    if (l < x0 - 0.5 || r > x0 + w + 0.5 || top < y0 - 0.5 || bot > y0 + h + 0.5)
      out.push(`${t.textContent.trim()} [${l.toFixed(1)}, ${r.toFixed(1)}] x [${top.toFixed(1)}, ${bot.toFixed(1)}]`);
  }
  return out;
}"""


def test_there_are_drawings():
    assert len(DRAWINGS) >= 20


def test_every_text_of_every_drawing_fits_inside_it(browser):
    page = browser.new_page()
    try:
        cut = {}
        for svg in DRAWINGS:
            page.goto(svg.as_uri())
            outside = page.evaluate(OVERFLOW)
            if outside:
                cut[svg.relative_to(ROOT_DIR).as_posix()] = outside
    finally:
        page.close()
    assert not cut, "text drawn outside its drawing:\n" + "\n".join(f"{k}: {v[:3]}" for k, v in cut.items())
