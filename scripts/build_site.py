"""`make site`: generate the pages and build the site, all or nothing.

    .venv/bin/python scripts/build_site.py [--root DIR] [--site-dir site] [--quiet]

1. The generator validates, solves and renders every problem (nothing is written if a check
   fails), and writes the pages into a staged copy of docs/ (hard links, so the copy is cheap:
   files are replaced by renaming, never written through a link).
2. mkdocs builds the staged pages into a staged site, with `--strict`.
3. Only if both succeeded: the same pages are written into docs/ (changed files only, as
   `python -m generator build` writes them) and the new site replaces site/ by renaming.

So a page mkdocs cannot build (a formula KaTeX cannot parse, a broken link) leaves docs/ and
site/ exactly as they were; the staging folder is removed either way.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the generator of this checkout (also when run from elsewhere)

from generator.cli import print_messages, print_result  # noqa: E402
from generator.errors import GeneratorError  # noqa: E402
from generator.output import write_tree  # noqa: E402
from generator.pipeline import run  # noqa: E402
from scripts.mkdocs_in_process import build_strict  # noqa: E402


def stage_docs(docs: Path, stage: Path) -> Path:
    """A copy of docs/ under ``stage`` made of hard links (a plain copy where links fail)."""
    target = stage / "docs"
    try:
        shutil.copytree(docs, target, copy_function=os.link, symlinks=True)
    except OSError:
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(docs, target, symlinks=True)
    return target


def build_site(config_file: Path, docs: Path, site: Path, quiet: bool) -> None:
    """`mkdocs build --strict` of ``docs`` into ``site``; raises on any error or warning."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING if quiet else logging.INFO)
    try:
        build_strict(config_file, site, docs)
    finally:
        logger.removeHandler(handler)


BUILT_FROM = ".built-from"  # in the site: the sha256 of every file of the docs/ it was built from


def record_sources(docs: Path, site: Path) -> None:
    """Write site/.built-from: `sha256  path` per file under docs/, so a test can tell a site
    built from other pages (tests/test_site.py) by content, not by file times."""
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(docs).as_posix()}"
             for p in sorted(docs.rglob("*")) if p.is_file()]
    (site / BUILT_FROM).write_text("\n".join(lines) + "\n", encoding="utf-8")


def replace_site(new: Path, site: Path, stage: Path) -> None:
    """Put ``new`` where ``site`` is, by renaming (the old site goes into ``stage``, to be removed)."""
    if site.exists():
        os.rename(site, stage / "old-site")
    os.rename(new, site)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="scripts/build_site.py", description=__doc__.split("\n\n")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, default=ROOT, help="project folder (problems/, docs/, mkdocs.yml)")
    ap.add_argument("--site-dir", type=Path, default=None, help="where the site goes (default: ROOT/site)")
    ap.add_argument("--quiet", action="store_true", help="print mkdocs' warnings and errors only")
    args = ap.parse_args(argv)
    root = args.root.resolve()
    site = (args.site_dir or root / "site").resolve()
    stage = Path(tempfile.mkdtemp(prefix=".site-build-", dir=root))
    try:
        # 1. generate into a staged copy of docs/ (the cache is written: it is keyed by content)
        try:
            result = run(root, strict=True, docs=stage_docs(root / "docs", stage))
        except GeneratorError as err:
            print_messages(err)
            return 1
        # 2. build the staged pages
        try:
            build_site(root / "mkdocs.yml", stage / "docs", stage / "site", args.quiet)
        except (Exception, SystemExit) as err:  # mkdocs' Abort, a hook's PluginError, ...
            print(f"error: mkdocs build failed ({type(err).__name__}: {err}); docs/ and site/ were "
                  f"left as they were", file=sys.stderr)
            return 1
        # 3. both succeeded: write docs/ and swap in the new site
        result.report = write_tree(root / "docs", result.files)
        record_sources(stage / "docs", stage / "site")
        replace_site(stage / "site", site, stage)
        print_result(result)
        return 0
    finally:
        shutil.rmtree(stage, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
