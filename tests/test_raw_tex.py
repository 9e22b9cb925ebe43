"""No raw TeX on the built site: the text a reader sees on every page of site/ (outside code,
scripts, styles, drawings and KaTeX's MathML copy of each formula) holds no TeX command
(``\\frac``), no math delimiter (``\\(``, ``\\[``, ``$$``) and no TeX sub- or superscript group
(``W^{(2)}``, ``b_{t}``). Alternative text of images counts: a screen reader reads it out.

The browser tests only look for an unrendered ``\\(``; this reads the HTML itself, so it also
catches display math that Markdown broke up, TeX in plain prose and truncated formulas.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from built_pages import read_page
from hooks.katex_hook import math_render_mode
from test_site import SITE, pytestmark  # noqa: F401  (fail, with the reason, when site/ is stale)

# elements whose text a reader never sees as prose
HIDDEN = {"script", "style", "code", "pre", "svg", "math", "annotation", "template"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

RAW_TEX = re.compile(
    r"\\[A-Za-z]{2,}"  # a command: \frac, \times, \partial
    r"|\\[()\[\]]"  # an inline or display delimiter
    r"|\$\$"
    r"|[_^]\{"  # a sub- or superscript group: W^{(2)}, x_{i}
    r"|\\[,;!{}|]"  # spacing and escaped braces: \, \{
)


class VisibleText(HTMLParser):
    """Collects the text a reader sees, and the alt text of images."""

    def __init__(self, math_is_raw: bool):
        super().__init__(convert_charrefs=True)
        self.math_is_raw = math_is_raw  # MATH_RENDER=browser: formulas wait in .arithmatex for KaTeX
        self.stack: list[bool] = []
        self.hidden = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img" and a.get("alt") and not self.hidden:
            self.parts.append(a["alt"])
        if tag in VOID:
            return
        classes = (a.get("class") or "").split()
        hide = (tag in HIDDEN or "katex-mathml" in classes
                or (self.math_is_raw and "arithmatex" in classes))
        self.stack.append(hide)
        self.hidden += hide

    def handle_startendtag(self, tag, attrs):
        if tag == "img":
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in VOID or not self.stack:
            return
        self.hidden -= self.stack.pop()

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str, math_is_raw: bool = False) -> str:
    parser = VisibleText(math_is_raw)
    parser.feed(html)
    parser.close()
    return " ".join(parser.parts)


def raw_tex(text: str) -> list[str]:
    """Each raw TeX fragment with a little context, e.g. '... entry of W (3 \\times 2), ...'."""
    return [" ".join(text[max(0, m.start() - 40):m.end() + 30].split()) for m in RAW_TEX.finditer(text)]


def tex_tokens(text: str) -> list[str]:
    """The raw TeX fragments alone, in order: ['\\frac', '^{', ...]."""
    return RAW_TEX.findall(text)


def built_pages() -> list:
    return sorted(SITE.rglob("*.html"))


def test_visible_text_finds_what_a_reader_would_see():
    """The reader's view of a small page: broken display math and TeX in prose count; code,
    KaTeX's MathML copy and scripts do not."""
    page = ('<p>and [ f = \\Big(y - \\sum_{i} x\\Big)^2 ] then</p><p>W (3 \\times 2)</p>'
            '<code>\\frac{a}{b}</code><script>var s = "\\\\(";</script>'
            '<span class="katex"><span class="katex-mathml"><math><annotation>\\frac{1}{2}'
            '</annotation></math></span><span class="katex-html">½</span></span>'
            '<img alt="edge 1^{\\top}" src="x.svg"><p>W<sup>2</sup> fine, cost $5</p>')
    assert tex_tokens(visible_text(page)) == ["\\Big", "\\sum", "_{", "\\Big", "\\times", "^{", "\\top"]
    # MATH_RENDER=browser: a formula waits in its .arithmatex span for KaTeX; prose around it does not
    waiting = '<p>so <span class="arithmatex">\\(x^{2}\\)</span> and \\times</p>'
    assert tex_tokens(visible_text(waiting, math_is_raw=True)) == ["\\times"]
    assert len(tex_tokens(visible_text(waiting))) == 4
    assert not raw_tex(visible_text("<p>x<sub>1</sub> ∈ ℝ, ½, W₁ → z → ℓ</p><pre>\\[ x \\]</pre>"))


def test_every_built_page_is_free_of_raw_tex():
    pages = built_pages()
    assert len(pages) >= 10, f"only {len(pages)} pages in {SITE}"
    math_is_raw = math_render_mode() == "browser"
    found = {}
    for page in pages:
        hits = raw_tex(visible_text(read_page(page), math_is_raw))
        if hits:
            found[page.relative_to(SITE).as_posix()] = hits
    if found:
        total = sum(len(h) for h in found.values())
        report = "\n".join(f"{page}: {len(hits)}, e.g. {hits[:3]}" for page, hits in sorted(found.items()))
        pytest.fail(f"raw TeX visible to readers: {total} fragments on {len(found)} pages\n{report}")
