"""mkdocs hook (mkdocs.yml `hooks:`): what a reader has not opened is not in the page.

A worked page folds each solution (``<details class="success">``); a practice page shows one
variant (``<section class="practice-variant">``) and folds its worked solutions
(``<details class="practice-solution">``). Their bodies, already rendered (KaTeX at build time,
drawings described by pages_hook), are most of a page's bytes and DOM. This hook moves each
body into a script of its own beside the page, ``<page>.parts/<n>.js``:

    backpropPart("<n>", "<the body's HTML>");

and leaves the element empty but for a placeholder: "Loading…" on screen, and, on paper or
without JavaScript, where else the solution is (the handout's answer key prints them all). ``assets/javascripts/parts.js`` adds the script when the
solution is opened or the variant is chosen (a script, not a fetch: it works from file://).
Parts nest: a variant's part holds its folded solutions, each deferred in turn.

The search index is built before this hook runs (it indexes the whole page), and print pages
(question sheets, answer keys) hold none of these elements, so they print whole.

``DEFER_PARTS=off`` in the environment leaves every page whole (`make bench` builds the site
both ways to measure what deferring saves on a phone).
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from pathlib import Path

# what is deferred: (tag, a class it carries); the body is all after the element's start tag,
# or after its <summary> for a <details>
DEFERRED = (("details", "success"), ("details", "practice-solution"), ("section", "practice-variant"))
TAG = re.compile(r"<(/?)(details|section)\b[^>]*>")
SUMMARY = re.compile(r"\s*<summary\b[^>]*>.*?</summary>", re.S)
CLASS = re.compile(r'\sclass="([^"]*)"')
PLACEHOLDER = ('<div class="part-placeholder"><p class="part-loading">Loading…</p>'
               '<p class="part-print">Not opened on screen, so not printed: {where}</p>'
               '<noscript><p>This needs JavaScript; {where}</p></noscript></div>')
WHERE_SOLUTION = 'every solution is in <a href="{href}">the handout\'s answer key</a>.'
WHERE_OTHER = "the worked page shows the handout's own numbers."
# a body smaller than this stays in the page: its script would cost more than it saves
MIN_BYTES = 2048


SWITCH = "DEFER_PARTS"


def on_post_page(output: str, page, config) -> str:
    if os.environ.get(SWITCH, "on") == "off":
        return output
    dest = page.file.dest_uri
    start = output.find("<article")
    end = output.rfind("</article>")
    if start < 0 or end < start:
        return output
    stem = posixpath.splitext(posixpath.basename(dest))[0]
    parts_dir = f"{stem}.parts"
    key_href = "answers.html" if (Path(config.docs_dir) / posixpath.dirname(page.file.src_uri)
                                  / "answers.md").is_file() else None
    parts: list[tuple[str, str]] = []
    article = _defer(output[start:end], parts, parts_dir, key_href)
    if not parts:
        return output
    folder = Path(config.site_dir) / posixpath.dirname(dest) / parts_dir
    folder.mkdir(parents=True, exist_ok=True)
    for key, body in parts:
        script = f"backpropPart({json.dumps(key)}, {json.dumps(body, ensure_ascii=False)});\n"
        (folder / f"{key}.js").write_text(script, encoding="utf-8")
    return output[:start] + article + output[end:]


def _defer(fragment: str, parts: list[tuple[str, str]], parts_dir: str, key_href: str | None) -> str:
    """The fragment with the body of each deferred element moved to `parts` (outermost first,
    numbered in document order)."""
    out, at = [], 0
    for open_tag, close_start, close_end, kind in _elements(fragment):
        head_end = open_tag.end()
        body = fragment[head_end:close_start]
        summary = SUMMARY.match(body) if kind == "details" else None
        keep = summary.group(0) if summary else ""
        inner = body[len(keep):]
        if len(inner.encode("utf-8")) < MIN_BYTES:
            continue
        key = str(len(parts) + 1)
        slot = len(parts)
        parts.append((key, ""))
        inner = _defer(inner, parts, parts_dir, key_href)
        parts[slot] = (key, inner)
        where = (WHERE_SOLUTION.format(href=key_href) if kind == "details" and key_href
                 else WHERE_OTHER)
        tag = open_tag.group(0)
        tag = tag[:-1] + f' data-part="{key}" data-part-src="{parts_dir}/{key}.js">'
        out.append(fragment[at:open_tag.start()] + tag + keep + PLACEHOLDER.format(where=where))
        at = close_start
    out.append(fragment[at:])
    return "".join(out)


def _elements(fragment: str):
    """(start-tag match, start of its end tag, end of its end tag, tag) of each outermost
    deferred element of the fragment, in order."""
    depth: dict[str, int] = {"details": 0, "section": 0}
    current = None  # (match, tag, depth at which it opened)
    for m in TAG.finditer(fragment):
        closing, tag = m.group(1) == "/", m.group(2)
        if closing:
            depth[tag] -= 1
            if current and current[1] == tag and depth[tag] == current[2]:
                yield current[0], m.start(), m.end(), tag
                current = None
            continue
        if current is None and _is_deferred(tag, m.group(0)):
            current = (m, tag, depth[tag])
        depth[tag] += 1


def _is_deferred(tag: str, start_tag: str) -> bool:
    m = CLASS.search(start_tag)
    classes = m.group(1).split() if m else []
    return any(tag == t and c in classes for t, c in DEFERRED)
