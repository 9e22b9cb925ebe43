"""mkdocs hook (mkdocs.yml `hooks:`): what every built page needs for readers on any screen.

- Drawings (``<img src="*.svg">``): loaded lazily, so those inside folded solutions load only
  when the solution is opened; wrapped in a link to the SVG itself, so a tap on a phone opens
  the drawing full size, where it can be zoomed; a title (the alt text up to its first colon)
  and a description (the figure's caption, else the alt text). The SVG files in site/ get the
  same title and description as <title> and <desc>, read when a drawing is opened on its own.
- ``404.html`` works from disk: mkdocs writes it with links from the server's root
  (``/assets/...``), which a browser opening the file resolves to ``file:///assets/...``; its
  links are made relative to the site's folder, and over http(s) a ``<base href="/">`` keeps
  them right for a missing page at any depth.

Only the standard library is imported here; pages are rewritten with regular expressions on
the HTML mkdocs itself wrote.
"""

from __future__ import annotations

import html
import html.parser
import posixpath
import re
from pathlib import Path

IMG = re.compile(r"<img\b[^>]*>")
ATTR = re.compile(r'\s([a-z-]+)="([^"]*)"')
FIGURE = re.compile(r"<figure\b[^>]*>(.*?)</figure>", re.S)
CAPTION = re.compile(r"<figcaption\b[^>]*>(.*?)</figcaption>", re.S)

# 404.html: the server-rooted links mkdocs writes, and what Material's config calls the base
ROOTED = re.compile(r'(\s(?:href|src)=")/(?!/)')
BASE_ON_SERVER = ('<script>if (location.protocol !== "file:") '
                  'document.write(\'<base href="/">\')</script>')

_drawings: dict[str, tuple[str, str]] = {}  # site path of an SVG -> (title, description)


def on_config(config):
    _drawings.clear()
    return config


def on_post_page(output: str, page, config) -> str:
    output = _with_drawings_described(output, page.file.dest_uri)
    return _relative_404(output) if page.file.dest_uri == "404.html" else output


def on_post_template(output: str, template_name: str, config) -> str:
    """The theme's 404.html (rendered as a template, not a page, when docs/ has no 404.md)."""
    return _relative_404(output) if template_name == "404.html" else output


def _with_drawings_described(output: str, dest_uri: str) -> str:
    """Every SVG drawing: lazy, a link to itself, a title and a description."""
    start = output.find('<article')
    end = output.find('</article>', start)
    if start < 0 or end < 0:
        return output
    article = output[start:end]
    counter = iter(range(1, 10_000))

    def figure(m: re.Match) -> str:
        inner = m.group(1)
        caption = CAPTION.search(inner)
        n = next(counter)
        if caption:
            inner = inner.replace(caption.group(0), caption.group(0).replace(
                "<figcaption", f'<figcaption id="drawing-{n}-caption"', 1), 1)
        return m.group(0).replace(m.group(1), IMG.sub(
            lambda i: _drawing(i.group(0), dest_uri, n, caption.group(1) if caption else None), inner))

    article = FIGURE.sub(figure, article)
    return output[:start] + article + output[end:]


def _drawing(img: str, dest_uri: str, n: int, caption: str | None) -> str:
    attrs = dict(ATTR.findall(img))
    src = attrs.get("src", "")
    if not src.endswith(".svg") or "://" in src:
        return img
    alt = html.unescape(attrs.get("alt", ""))
    title = alt.split(":")[0].strip() or alt
    description = _plain(caption) if caption else alt
    extra = f' title="{html.escape(title)}" loading="lazy" decoding="async"'
    if caption:
        extra += f' aria-describedby="drawing-{n}-caption"'
    _drawings[posixpath.normpath(posixpath.join(posixpath.dirname(dest_uri), src))] = (title, description)
    tag = img[:-2].rstrip() + extra + " />" if img.endswith("/>") else img[:-1] + extra + ">"
    return f'<a class="drawing-link" href="{src}">{tag}</a>'


class _Text(html.parser.HTMLParser):
    """The text a screen reader gets: no aria-hidden element (KaTeX's visual HTML), no TeX
    annotation (its MathML is read instead)."""

    VOID = {"br", "img", "hr", "wbr", "input", "meta", "link"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hidden = 0  # depth inside a skipped element
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        if self.hidden or dict(attrs).get("aria-hidden") == "true" or tag == "annotation":
            self.hidden += 1

    def handle_endtag(self, tag):
        if self.hidden and tag not in self.VOID:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def _plain(fragment: str) -> str:
    """A caption as plain text (its math as MathML text)."""
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    return " ".join("".join(parser.parts).split())


def _relative_404(output: str) -> str:
    output = ROOTED.sub(r"\1", output)
    output = output.replace('"base": "/"', '"base": "."').replace('"search": "/', '"search": "')
    return output.replace("<head>", "<head>\n" + BASE_ON_SERVER, 1)


def on_post_build(config) -> None:
    """Give each drawing in site/ the title and description of its figure."""
    site = Path(config.site_dir)
    for rel, (title, description) in sorted(_drawings.items()):
        path = site / rel
        if not path.is_file():
            continue
        svg = path.read_text(encoding="utf-8")
        if "<desc>" in svg[:2000]:
            continue
        m = re.search(r"<svg\b[^>]*>", svg)
        if m is None:
            continue
        head = m.group(0)
        if "role=" not in head:
            head = head[:-1] + ' role="img">'
        note = f"\n<title>{html.escape(title)}</title>\n<desc>{html.escape(description)}</desc>"
        path.write_text(svg[:m.start()] + head + note + svg[m.end():], encoding="utf-8")
