"""`mkdocs build --strict` in this process (mkdocs and its plugins imported once), for
scripts/build_site.py (`make site`) and benchmarks/bench.py (`make bench`): the one copy of
the lines that load the configuration and run the build between the plugins' start-up and
shut-down events, as the `mkdocs build` command does. Callers set up mkdocs' logging."""

from __future__ import annotations

from pathlib import Path


def build_strict(config_file: Path, site: Path, docs: Path | None = None) -> None:
    """Build ``config_file``'s pages (those in ``docs`` instead, when given) into ``site``;
    raises on any error, and on any warning (strict)."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    pages = {"docs_dir": str(docs)} if docs is not None else {}
    config = load_config(str(config_file), site_dir=str(site), strict=True, **pages)
    config.plugins.on_startup(command="build", dirty=False)
    try:
        build(config)
    finally:
        config.plugins.on_shutdown()
