"""A built page as a reader who opens everything gets it.

hooks/defer_hook.py moves the body of each folded solution and practice variant out of the page
into ``<page>.parts/<n>.js`` (``backpropPart("<n>", "<html>");``), leaving the element with a
placeholder ("Loading…"). Tests that read a page's HTML read it whole: each part put back in place of
that line, parts within parts too. Written here from the format, not with the hook's code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

DEFERRED = re.compile(
    r'(<(?:details|section)\b[^>]*\bdata-part="([^"]+)" data-part-src="([^"]+)"[^>]*>'
    r'(?:\s*<summary\b[^>]*>.*?</summary>)?)'
    r'<div class="part-placeholder">.*?</div>', re.S)
PART = re.compile(r'^backpropPart\(("[^"]*"), (".*")\);\n\Z', re.S)


def part_body(folder: Path, src: str, key: str) -> str:
    """The HTML a part script hands over; fails if the script is missing or malformed."""
    text = (folder / src).read_text(encoding="utf-8")
    m = PART.match(text)
    assert m, f"{folder / src} is not a part script"
    assert json.loads(m.group(1)) == key, f"{folder / src} is part {m.group(1)}, not {key}"
    return json.loads(m.group(2))


def whole(text: str, folder: Path) -> str:
    """``text`` (a page of ``folder``) with every deferred body put back."""
    def put_back(m: re.Match) -> str:
        return m.group(1) + whole(part_body(folder, m.group(3), m.group(2)), folder)
    return DEFERRED.sub(put_back, text)


def read_page(path: Path) -> str:
    """The page at ``path`` with its deferred parts in place."""
    return whole(path.read_text(encoding="utf-8"), path.parent)
