"""mkdocs hook (mkdocs.yml `hooks:`): the math of every page rendered once, at build time, with KaTeX.

pymdownx.arithmatex (generic mode) writes each formula as ``<span class="arithmatex">\\(..\\)</span>``
or ``<div class="arithmatex">\\[..\\]</div>``. Where the math is rendered is chosen by the
environment variable MATH_RENDER:

- ``build`` (the default: pages show their math as soon as they are drawn, see README
  "Performance"): on_post_page replaces each formula's TeX by KaTeX's HTML, rendered by the
  pinned KaTeX (vendor/node_modules/katex) in one Node.js process for the whole build
  (scripts/katex-render.js). The pages then load no KaTeX script, only katex.min.css and its
  fonts. A formula KaTeX cannot parse stops the build, naming the page and the formula.
- ``browser``: the site as mkdocs.yml describes it; docs/assets/javascripts/katex-init.js runs
  KaTeX's auto-render in the reader's browser.

The search plugin indexes a page (at on_page_context) before on_post_page. So that search finds
math by what a reader types, on_page_content hands it the page with each formula as readable
text (KaTeX's MathML as plain text: ``σ′(z) = σ(z)(1 − σ(z))``, ``W2,1,1``) and synonyms
(hooks/search_text.py), and a late on_page_context puts the page's HTML back before the theme
renders it. Under MATH_RENDER=browser the index keeps the TeX. Only the standard library, mkdocs
and hooks/search_text.py are imported here.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

try:  # imported as hooks.katex_hook (tests), or loaded by mkdocs with hooks/ on sys.path
    from hooks.search_text import readable_math, with_synonyms
except ImportError:
    from search_text import readable_math, with_synonyms

ROOT = Path(__file__).resolve().parent.parent  # the project folder (holds vendor/, scripts/)
KATEX_DIR = ROOT / "vendor" / "node_modules" / "katex"
RENDER_SCRIPT = ROOT / "scripts" / "katex-render.js"

MODE_VARIABLE = "MATH_RENDER"
MODES = ("build", "browser")
DEFAULT_MODE = "build"
# extra_javascript entries (mkdocs.yml) that only render math in the browser
BROWSER_SCRIPTS = ("assets/javascripts/katex-init.js", "assets/katex/katex.min.js",
                   "assets/katex/contrib/auto-render.min.js")
NODE_FIX = "sudo apt-get install -y nodejs"

# One arithmatex element: opening tag, TeX text (HTML-escaped, no markup), closing tag.
FORMULA = re.compile(r'(<(span|div)\b[^>]*\bclass="arithmatex\b[^"]*"[^>]*>)(.*?)(</\2>)', re.S)
DELIMITERS = {"\\(": ("\\)", False), "\\[": ("\\]", True)}  # left -> (right, display mode)
SHOWN_CHARS = 200  # of a formula in an error message
NAVIGATION_BOOST = 0.3  # search rank of the home and handout index pages (worked pages: 1)

log = logging.getLogger("mkdocs.hooks.katex")


def math_render_mode() -> str:
    """Where math is rendered: MATH_RENDER from the environment, else DEFAULT_MODE."""
    mode = os.environ.get(MODE_VARIABLE, "").strip().lower() or DEFAULT_MODE
    if mode not in MODES:
        raise PluginError(f"{MODE_VARIABLE}={os.environ[MODE_VARIABLE]!r}: expected one of "
                          f"{', '.join(MODES)} (or unset: {DEFAULT_MODE})")
    return mode


# --- The formulas of a page ---------------------------------------------------------------------


@dataclass(frozen=True)
class Formula:
    start: int  # of the TeX text inside the element, in the page's HTML
    end: int
    written: str  # as on the page, with its delimiters: \(x^2\)
    tex: str  # what KaTeX renders
    display: bool


def find_formulas(page_html: str) -> list[Formula]:
    """Every arithmatex formula of a page, in order (ValueError for one KaTeX could not take)."""
    formulas = []
    for m in FORMULA.finditer(page_html):
        if "<" in m.group(3):
            raise ValueError(f"markup inside a formula: {shorten(m.group(0))}")
        written = html.unescape(m.group(3)).strip()
        right, display = DELIMITERS.get(written[:2], (None, False))
        if right is None or not written.endswith(right) or len(written) < 4:
            raise ValueError(f"a formula without \\(..\\) or \\[..\\] around it: {shorten(written)}")
        formulas.append(Formula(m.start(3), m.end(3), written, written[2:-2], display))
    return formulas


def replace_formulas(page_html: str, formulas: list[Formula], rendered: list[str]) -> str:
    """The page with each formula's TeX replaced by its rendering (same order as ``formulas``)."""
    parts, pos = [], 0
    for formula, out in zip(formulas, rendered, strict=True):
        parts += [page_html[pos:formula.start], out]
        pos = formula.end
    parts.append(page_html[pos:])
    return "".join(parts)


def shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "..."


# --- KaTeX in one Node.js process -----------------------------------------------------------------


class KatexRenderer:
    """scripts/katex-render.js, started on first use and kept for the build: one JSON line per
    page in, one JSON line out."""

    def __init__(self, katex_dir: Path = KATEX_DIR, script: Path = RENDER_SCRIPT) -> None:
        self.katex_dir = katex_dir
        self.script = script
        self.process: subprocess.Popen | None = None

    def start(self) -> subprocess.Popen:
        node = shutil.which("node")
        if node is None:
            raise PluginError(f"Math is rendered at build time ({MODE_VARIABLE}=build) with Node.js, "
                              f"and `node` is not installed (not on PATH). Install it: {NODE_FIX}  "
                              f"(`make site` does), or build with {MODE_VARIABLE}=browser.")
        if not (self.katex_dir / "package.json").is_file():
            raise PluginError(f"KaTeX is not installed in {self.katex_dir}: run `make site` (it runs "
                              f"`npm ci --prefix vendor`), or build with {MODE_VARIABLE}=browser.")
        if not self.script.is_file():
            raise PluginError(f"{self.script} is missing: it renders the math at build time.")
        return subprocess.Popen([node, str(self.script), str(self.katex_dir)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8")

    def render(self, formulas: list[Formula]) -> list[dict]:
        """KaTeX's answer for each formula: {"html": ..} or {"error": ..}, and "warnings"."""
        if self.process is None:
            self.process = self.start()
        request = {"formulas": [{"tex": f.tex, "display": f.display} for f in formulas]}
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline()
        except OSError:  # the process is gone (a broken pipe)
            answer = ""
        if not answer:
            raise PluginError(f"The KaTeX renderer (node {self.script.name}) stopped:\n{self.stop()}")
        results = json.loads(answer)["results"]
        if len(results) != len(formulas):
            raise PluginError(f"The KaTeX renderer answered {len(results)} of {len(formulas)} formulas.")
        return results

    def stop(self) -> str:
        """End the process (it exits when its stdin closes); returns what it wrote to stderr."""
        process, self.process = self.process, None
        if process is None:
            return ""
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        errors = process.stderr.read().strip()
        process.stdout.close()
        process.stderr.close()
        return errors


# --- Formulas rendered by earlier builds -------------------------------------------------------------


CACHE_DIR = ".build-cache"  # in the project folder (next to mkdocs.yml), git-ignored


class FormulaCache:
    """What KaTeX answered for each formula in the last build, kept in
    ``.build-cache/katex-<stamp>.json``: a rebuild sends only new formulas to node (rendering all
    of them took 0.43 s of a 1.03 s mkdocs build). The stamp is a hash of KaTeX's package.json
    and of the render script (which holds the options), so another KaTeX or other options start
    an empty cache. Formulas KaTeX rejects are not kept: they are reported on every build. The
    file keeps the formulas of the last successful build only, written atomically."""

    def __init__(self, project: Path, katex_dir: Path = KATEX_DIR, script: Path = RENDER_SCRIPT) -> None:
        digest = hashlib.sha256()
        for part in (katex_dir / "package.json", script):
            digest.update(part.read_bytes() if part.is_file() else b"missing")
        self.path = project / CACHE_DIR / f"katex-{digest.hexdigest()[:16]}.json"
        self.known: dict[str, dict] = {}
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                self.known = loaded
        except (OSError, ValueError):
            pass  # no cache yet, or a damaged one: everything is rendered again
        self.on_disk = dict(self.known)
        self.used: dict[str, dict] = {}

    @staticmethod
    def key(formula: Formula) -> str:
        return ("display:" if formula.display else "inline:") + formula.tex

    def render(self, formulas: list[Formula], renderer: KatexRenderer) -> list[dict]:
        """KaTeX's answer for each formula, from the cache or (for the rest) from ``renderer``."""
        missing = list({self.key(f): f for f in formulas if self.key(f) not in self.known}.values())
        answers = dict(zip(map(self.key, missing), renderer.render(missing) if missing else [], strict=True))
        self.known.update({key: result for key, result in answers.items() if "error" not in result})
        results = []
        for key in map(self.key, formulas):
            result = self.known.get(key) or answers[key]
            if "error" not in result:
                self.used[key] = result
            results.append(result)
        return results

    def save(self) -> None:
        """Keep this build's formulas (only if they differ from the file's)."""
        if self.used == self.on_disk and self.path.is_file():
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            for old in self.path.parent.glob("katex-*.json"):  # another KaTeX or script: obsolete
                if old != self.path:
                    old.unlink(missing_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.used, sort_keys=True, separators=(",", ":")), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as err:  # a read-only checkout still builds, just without the cache
            log.warning(f"could not write the KaTeX cache {self.path}: {err}")


# --- mkdocs events ----------------------------------------------------------------------------------


@dataclass
class _Build:
    mode: str
    cache: FormulaCache | None = None  # None under MATH_RENDER=browser
    renderer: KatexRenderer = field(default_factory=KatexRenderer)
    errors: list[str] = field(default_factory=list)  # every formula KaTeX could not render
    content: dict[str, str] = field(default_factory=dict)  # page -> its HTML, while search indexes


# mkdocs loads this file again for each build's config, so the state of a build lives here.
_build: _Build | None = None


def on_config(config):
    """Choose the mode; with math rendered at build time, pages load no KaTeX script."""
    global _build
    _build = _Build(mode=math_render_mode())
    if _build.mode == "build":
        _build.cache = FormulaCache(Path(config.config_file_path).parent)
        config.extra_javascript = [s for s in config.extra_javascript
                                   if str(s) not in BROWSER_SCRIPTS]
    return config


def on_page_content(content: str, page, config, files) -> str:
    """The page as the search plugin will index it: formulas as readable text, and synonyms
    (the page's own HTML is put back by on_page_context, after the search plugin's)."""
    if _build is None or _build.mode != "build":
        return content
    try:
        formulas = find_formulas(content)
    except ValueError:
        return content  # on_post_page reports it
    results = _build.cache.render(formulas, _build.renderer) if formulas else []
    texts = [html.escape(readable_math(r["html"]) if "html" in r else f.tex, quote=False)
             for f, r in zip(formulas, results, strict=True)]
    _build.content[page.file.src_uri] = content
    if page.file.src_uri == "index.md" or page.file.src_uri.endswith("/index.md"):
        # lists of links: a worked page using the words ranks above the list that links to it
        page.meta.setdefault("search", {}).setdefault("boost", NAVIGATION_BOOST)
    return with_synonyms(replace_formulas(content, formulas, texts))


@event_priority(-100)  # after the search plugin (priority 0) has indexed the page
def on_page_context(context, page, config, nav):
    """Put back the page's HTML that on_page_content replaced for the search index."""
    if _build is not None and page.file.src_uri in _build.content:
        page.content = _build.content.pop(page.file.src_uri)
    return context


def on_post_page(output: str, page, config) -> str:
    """Render the page's formulas (a formula KaTeX cannot parse is reported in on_post_build)."""
    if _build is None or _build.mode != "build":
        return output
    where = page_source(config, page.file.src_uri)
    try:
        formulas = find_formulas(output)
    except ValueError as err:
        raise PluginError(f"{where}: {err}") from None
    if not formulas:
        return output
    rendered, errors = [], []
    for formula, result in zip(formulas, _build.cache.render(formulas, _build.renderer), strict=True):
        for warning in result["warnings"]:
            log.info(f"{where}: KaTeX warns about {shorten(formula.written)}: {warning}")
        if "error" in result:
            errors.append(f"{where}: {shorten(formula.written)}\n    {result['error']}")
        # in a <span> of its own, as auto-render leaves it: the DOM and the layout (Material
        # styles `div.arithmatex > *`) are those of math rendered in the browser
        rendered.append(f"<span>{result.get('html', '')}</span>")
    _build.errors += errors
    return output if errors else replace_formulas(output, formulas, rendered)


def page_source(config, src_uri: str) -> str:
    """'docs/handouts/h/p.md', and the problem file it is generated from if there is one."""
    where = f"{Path(config.docs_dir).name}/{src_uri}"
    problem = Path(config.config_file_path).parent / "problems" / f"{Path(src_uri).stem}.yml"
    return f"{where} (generated from problems/{problem.name})" if problem.is_file() else where


def on_post_build(config) -> None:
    """Stop the renderer; fail the build if a formula could not be rendered."""
    if _build is None:
        return
    _build.renderer.stop()
    if _build.errors:
        raise PluginError(f"KaTeX cannot render {len(_build.errors)} formula(s) (math is rendered "
                          f"at build time, {MODE_VARIABLE}=build); fix the TeX:\n  "
                          + "\n  ".join(_build.errors))
    if _build.cache is not None:
        _build.cache.save()


def on_build_error(error) -> None:
    if _build is not None:
        _build.renderer.stop()


def on_shutdown() -> None:
    if _build is not None:
        _build.renderer.stop()
