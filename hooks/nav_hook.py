"""mkdocs hook (mkdocs.yml `hooks:`): the site navigation in the handouts' order.

Without a `nav`, mkdocs lists pages alphabetically by file name (003 "batch" before "single
sample"). The generator writes the handouts' part of the navigation, in the order of
problems/handouts.yml and under the handouts' titles, to docs/handouts/.nav.json (a dot file:
mkdocs never publishes it); this hook puts it between the home page and the other hand-written
pages. An explicit `nav:` in mkdocs.yml would win. Only the standard library is imported.
"""

from __future__ import annotations

import json
from pathlib import Path

from mkdocs.exceptions import PluginError

NAV_FILE = "handouts/.nav.json"  # relative to docs_dir, written by the generator (render/site.py nav)
HOME = "index.md"


def site_nav(docs: Path) -> list:
    """Home, the handouts (each its index, then its problems, in order), then every other
    top-level page by file name; a page ``X.md`` beside a folder ``X/`` of pages is a section,
    titled by the page's heading: the page, then the folder's pages by file name."""
    path = docs / NAV_FILE
    try:
        handouts = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise PluginError(f"{path}: cannot read the navigation the generator writes ({err}); "
                          "run `make site` (or `python -m generator build`) first") from err
    others = [_with_subpages(docs, p) for p in sorted(docs.glob("*.md")) if p.name != HOME]
    return [HOME, {"Handouts": handouts}, *others]


def _with_subpages(docs: Path, page: Path) -> str | dict:
    folder = page.with_suffix("")
    subpages = sorted(p.relative_to(docs).as_posix() for p in folder.glob("*.md")) if folder.is_dir() else []
    if not subpages:
        return page.name
    return {_title(page): [page.name, *subpages]}


def _title(page: Path) -> str:
    """The page's first level-1 heading (after its front matter), else its name."""
    text = page.read_text(encoding="utf-8")
    if text.startswith("---\n"):  # front matter (YAML: its comments also start with "# ")
        text = text[text.find("\n---\n", 4) + 5:]
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return page.stem.replace("-", " ").capitalize()


def on_config(config):
    if not config.nav:
        config.nav = site_nav(Path(config.docs_dir))
    return config
