"""Markdown details every page needs, whatever wrote the text (a problem file or the generator)."""

from __future__ import annotations

import re

# \[ ... \] with unescaped delimiters (a row break "\\[2pt]" is not one); across lines
DISPLAY = re.compile(r"(?<!\\)\\\[.*?(?<!\\)\\\][ \t]*", re.S)


def display_blocks(markdown: str) -> str:
    """Give every display formula \\[ ... \\] a block of its own, indented like its line.

    Arithmatex renders display math only when it forms a paragraph by itself: inside a
    paragraph the delimiters come out as plain brackets and Markdown reads each _ of the formula
    as emphasis. So a blank line goes before and after each formula, and text that followed it
    on its line starts the next paragraph.
    """
    out: list[str] = []
    end = 0
    for m in DISPLAY.finditer(markdown):
        before = markdown[end:m.start()]
        line_start = markdown.rfind("\n", 0, m.start()) + 1
        line = markdown[line_start:m.start()]
        indent = line[: len(line) - len(line.lstrip(" "))]
        if line.strip():  # text before the formula on its line: end that paragraph there
            before = before.rstrip(" \t") + "\n\n" + indent
        elif _needs_blank(markdown, line_start):
            before = before[: len(before) - len(line)] + "\n" + line
        out.append(before)
        out.append(m.group(0).rstrip(" \t"))
        end = m.end()
        rest = markdown[end:]
        if rest.startswith("\n"):
            following = rest[1:].split("\n", 1)[0]
            if following.strip():
                out.append("\n")  # the blank line after the formula
        elif rest:
            out.append("\n\n" + indent)  # text after the formula: a paragraph of its own
    out.append(markdown[end:])
    return "".join(out)


def _needs_blank(markdown: str, line_start: int) -> bool:
    """Whether the line before ``line_start`` holds text (so a blank line must separate them)."""
    if line_start == 0:
        return False
    previous = markdown[markdown.rfind("\n", 0, line_start - 1) + 1: line_start - 1]
    return bool(previous.strip())
