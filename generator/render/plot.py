"""A small, deterministic SVG line chart (log-scaled axes), drawn by hand: no plotting library."""

from __future__ import annotations

import math

from .numbers import number, power_of_ten

PLOT_WIDTH, HEIGHT = 410, 340  # the plot area's width (axes included), the chart's height
LEFT, TOP, BOTTOM = 70, 20, 50
FONT_SIZE = 12
LEGEND_LINE, LEGEND_GAP = 38, 12  # legend: from the plot to its text (sample line included); after the text
# Helvetica / Arial / Liberation Sans advance widths, in thousandths of the font size (others: 0.556)
WIDTHS = {**dict.fromkeys("ijl'", 222), **dict.fromkeys("ftI !.,:;-()[]/", 278), "r": 333,
          **dict.fromkeys("kcsvxyz", 500), "J": 500, **dict.fromkeys("mM", 833), "w": 722, "W": 944}


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """How wide ``text`` is drawn in Helvetica (Liberation Sans) at ``size`` points."""
    return size * sum(WIDTHS.get(ch, 556) for ch in text) / 1000


def _ticks(low: float, high: float) -> list[int]:
    return list(range(math.floor(low), math.ceil(high) + 1))


def line_chart(series: list[tuple[str, list[float], list[float], str]], x_label: str, y_label: str,
               log_x: bool, title: str) -> str:
    """Series of (label, xs, ys, colour) with a log10 y axis (and x axis when ``log_x``); the
    legend on the right, as wide as its longest label."""
    right = LEGEND_LINE + math.ceil(max(text_width(label) for label, *_ in series)) + LEGEND_GAP
    width = PLOT_WIDTH + right
    fx = (lambda v: math.log10(v)) if log_x else (lambda v: float(v))  # noqa: E731
    xs = [fx(v) for _, x, _, _ in series for v in x]
    ys = [math.log10(v) for _, _, y, _ in series for v in y]
    x0, x1 = (math.floor(min(xs)), math.ceil(max(xs))) if log_x else (min(xs), max(xs))
    y0, y1 = math.floor(min(ys)), math.ceil(max(ys))
    span_x, span_y = (x1 - x0) or 1, (y1 - y0) or 1
    px = lambda v: LEFT + (fx(v) - x0) / span_x * (width - LEFT - right)  # noqa: E731
    py = lambda v: HEIGHT - BOTTOM - (math.log10(v) - y0) / span_y * (HEIGHT - TOP - BOTTOM)  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}" '
           f'viewBox="0 0 {width} {HEIGHT}" font-family="Helvetica, Arial, sans-serif" font-size="12">',
           f"<title>{title}</title>",
           f'<rect width="{width}" height="{HEIGHT}" fill="white"/>']
    for t in _ticks(y0, y1):  # horizontal grid at powers of ten
        y = HEIGHT - BOTTOM - (t - y0) / span_y * (HEIGHT - TOP - BOTTOM)
        out.append(f'<line x1="{LEFT}" y1="{y:.2f}" x2="{width - right}" y2="{y:.2f}" stroke="#e2e8f0"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.2f}" text-anchor="end" fill="#334155">{power_of_ten(t)}</text>')
    x_ticks = sorted({v for _, x, _, _ in series for v in x})
    for v in x_ticks:
        x = px(v)
        out.append(f'<text x="{x:.2f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" fill="#334155">{number(v, 3)}</text>')
    out.append(f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{width - right}" y2="{HEIGHT - BOTTOM}" stroke="#334155"/>')
    out.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#334155"/>')
    out.append(f'<text x="{(LEFT + width - right) / 2:.2f}" y="{HEIGHT - 12}" text-anchor="middle" '
               f'fill="#0f172a">{x_label}</text>')
    out.append(f'<text x="16" y="{(TOP + HEIGHT - BOTTOM) / 2:.2f}" text-anchor="middle" fill="#0f172a" '
               f'transform="rotate(-90 16 {(TOP + HEIGHT - BOTTOM) / 2:.2f})">{y_label}</text>')
    for k, (label, x, y, colour) in enumerate(series):
        points = " ".join(f"{px(a):.2f},{py(b):.2f}" for a, b in zip(x, y))
        out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for a, b in zip(x, y):
            out.append(f'<circle cx="{px(a):.2f}" cy="{py(b):.2f}" r="3" fill="{colour}"/>')
        ly = TOP + 14 + 20 * k
        out.append(f'<line x1="{width - right + 12}" y1="{ly - 4}" x2="{width - right + 32}" y2="{ly - 4}" '
                   f'stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{width - right + 38}" y="{ly}" fill="#0f172a">{label}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
