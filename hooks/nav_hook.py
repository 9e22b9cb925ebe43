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
    top-level page by file name."""
    path = docs / NAV_FILE
    try:
        handouts = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise PluginError(f"{path}: cannot read the navigation the generator writes ({err}); "
                          "run `make site` (or `python -m generator build`) first") from err
    others = sorted(p.name for p in docs.glob("*.md") if p.name != HOME)
    return [HOME, {"Handouts": handouts}, *others]


def on_config(config):
    if not config.nav:
        config.nav = site_nav(Path(config.docs_dir))
    return config
