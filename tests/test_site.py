"""The built site (site/, made by `make site`, which `make test` runs before pytest)."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from built_pages import read_page
from conftest import ROOT_DIR
from hooks.katex_hook import math_render_mode

# `make test` builds site/ first; SITE_DIR points the tests at another build of docs/
SITE = Path(os.environ.get("SITE_DIR", ROOT_DIR / "site"))



def stale_reason() -> str:
    """Why site/ does not reflect docs/ (empty if it does). `make site` (scripts/build_site.py)
    records the sha256 of every docs/ file it built from in site/.built-from: compared by content.
    A site built otherwise (plain `mkdocs build`): files mkdocs copies verbatim must be equal and
    no Markdown page newer than the build."""
    docs = ROOT_DIR / "docs"
    if not (SITE / "index.html").is_file():
        return f"{SITE} is not built"
    record = SITE / ".built-from"
    if record.is_file():
        built = dict(reversed(line.split("  ", 1)) for line in record.read_text(encoding="utf-8").splitlines())
        now = {p.relative_to(docs).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
               for p in sorted(docs.rglob("*")) if p.is_file()}
        differ = sorted(rel for rel in set(built) | set(now) if built.get(rel) != now.get(rel))
    else:
        built_at = (SITE / "index.html").stat().st_mtime
        differ = []
        for src in sorted(docs.rglob("*")):
            rel = src.relative_to(docs).as_posix()
            if not src.is_file() or rel.startswith(".") or "/." in rel:
                continue
            if src.suffix == ".md":
                if src.stat().st_mtime > built_at:
                    differ.append(rel)
            elif not (SITE / rel).is_file() or (SITE / rel).read_bytes() != src.read_bytes():
                differ.append(rel)
    if not differ:
        return ""
    return "site/ was built from other pages than docs/ holds: " + ", ".join(differ[:5]) + (
        " ..." if len(differ) > 5 else "")


STALE = stale_reason()


# every test here, and in the modules that import this mark with SITE (test_raw_tex, test_order),
# fails on a missing or stale site (conftest.py: current_site)
pytestmark = pytest.mark.usefixtures("current_site")


def problem_pages() -> list[tuple[str, str, Path, Path]]:
    """(handout slug, problem stem, problem file, built HTML page) for every listed problem.
    Pages are <stem>.html (mkdocs.yml: use_directory_urls: false, for browsing from disk)."""
    handouts = yaml.safe_load((ROOT_DIR / "problems" / "handouts.yml").read_text(encoding="utf-8"))
    return [(h["slug"], stem, ROOT_DIR / "problems" / f"{stem}.yml",
             SITE / "handouts" / h["slug"] / f"{stem}.html")
            for h in handouts["handouts"] for stem in (h.get("problems") or [])]


PAGES = problem_pages()
IDS = [stem for _, stem, _, _ in PAGES]


@pytest.fixture(params=PAGES, ids=IDS)
def page(request):
    return request.param


def test_there_is_at_least_one_problem_page():
    assert PAGES


def test_problem_page_exists(page):
    *_, html = page
    assert html.is_file(), html


def test_every_solution_is_collapsed(page):
    _, _, problem, html = page
    text = read_page(html)
    questions = yaml.safe_load(problem.read_text(encoding="utf-8"))["questions"]
    details = re.findall(r"<details\b[^>]*>", text)
    solutions = [d for d in details if 'class="success"' in d]
    assert len(solutions) == len(questions)
    # the only other fold: the Verified box's "How it was checked", at most one per page
    assert len(details) - len(solutions) == len([d for d in details if 'class="info"' in d]) <= 1
    assert not any(re.search(r"\bopen\b", d) for d in details), "solutions and details must start folded"


def test_no_html_file_references_the_network():
    offenders = []
    for html in SITE.rglob("*.html"):
        text = read_page(html)
        for m in re.finditer(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", text):
            offenders.append(f"{html.relative_to(SITE)}: {text[m.start():m.start() + 60]}")
    assert offenders == []


def test_check_offline_script_passes():
    result = subprocess.run(["bash", str(ROOT_DIR / "scripts" / "check-offline.sh"), str(SITE)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_katex_is_served_from_the_site():
    katex = SITE / "assets" / "katex"
    for rel in ("katex.min.js", "katex.min.css", "contrib/auto-render.min.js"):
        assert (katex / rel).is_file() and (katex / rel).stat().st_size > 0, rel
    fonts = list((katex / "fonts").glob("*.woff2"))
    assert fonts, "KaTeX fonts missing"
    css = (katex / "katex.min.css").read_text(encoding="utf-8")
    for font in re.findall(r"url\((fonts/[^)]+)\)", css):
        assert (katex / font).is_file(), font


def local_refs(html: Path) -> list[str]:
    text = read_page(html)
    refs = re.findall(r"""<(?:img|script)\b[^>]*\bsrc=["']([^"']+)["']""", text)
    refs += re.findall(r"""<link\b[^>]*\brel=["']stylesheet["'][^>]*\bhref=["']([^"']+)["']""", text)
    return [r for r in refs if not re.match(r"^(?:[a-z]+:)?//", r) and not r.startswith("data:")]


# Where the site's math is rendered (hooks/katex_hook.py; `make test` builds with the same
# environment it tests in): at build time the pages load KaTeX's stylesheet only.
MATH_MODE = math_render_mode()
BROWSER_SCRIPTS = ("katex/katex.min.js", "katex/contrib/auto-render.min.js", "javascripts/katex-init.js")


def test_page_loads_katex_and_its_assets_exist(page):
    *_, html = page
    refs = local_refs(html)
    assert any(r.endswith("katex/katex.min.css") for r in refs)
    scripts = [s for s in BROWSER_SCRIPTS if any(r.endswith(s) for r in refs)]
    assert scripts == (list(BROWSER_SCRIPTS) if MATH_MODE == "browser" else []), MATH_MODE
    for ref in refs:
        assert (html.parent / ref.split("?")[0]).resolve().is_file(), ref


@pytest.mark.skipif(MATH_MODE != "build", reason="math is rendered in the browser (MATH_RENDER=browser)")
def test_every_formula_of_the_site_is_rendered_at_build_time():
    unrendered = []
    for html in sorted(SITE.rglob("*.html")):
        text = read_page(html)
        formulas = re.findall(r'<(?:span|div) class="arithmatex">(.{0,40})', text)
        unrendered += [f"{html.relative_to(SITE)}: {f}" for f in formulas
                       if not re.match(r'<span><span class="katex(?:-display)?">', f)]
        if "katex-error" in text:
            unrendered.append(f"{html.relative_to(SITE)}: a .katex-error")
    assert unrendered == []
    page = SITE / "handouts" / PAGES[0][0] / f"{PAGES[0][1]}.html"
    assert 'class="katex"' in page.read_text(encoding="utf-8")  # the check above saw formulas


def test_svgs_referenced_by_the_page_exist_and_match_docs(page):
    slug, stem, problem, html = page
    svgs = [r for r in local_refs(html) if r.endswith(".svg")]
    kind = yaml.safe_load(problem.read_text(encoding="utf-8")).get("kind", "network")
    if kind in ("network", "demo"):
        assert svgs  # a network page shows its computation graph; a demonstration its plot
    for ref in svgs:
        built = (html.parent / ref).resolve()
        assert built.is_file(), ref
        source = ROOT_DIR / "docs" / "handouts" / slug / stem / Path(ref).name
        # the site's copy carries its figure's title and description (hooks/pages_hook.py); the
        # drawing itself must be docs/'s, byte for byte
        text = built.read_text(encoding="utf-8")
        assert re.search(r"<svg\b[^>]* role=\"img\">\n<title>[^<]+</title>\n<desc>[^<]*</desc>", text), ref
        drawing = re.sub(r"(<svg\b[^>]*) role=\"img\">\n<title>[^<]+</title>\n<desc>[^<]*</desc>", r"\1>", text, count=1)
        assert drawing == source.read_text(encoding="utf-8"), f"site/ is older than docs/: {ref}"
        assert "<!--" not in built.read_text(encoding="utf-8")


def test_a_site_built_from_other_pages_is_stale(tmp_path, monkeypatch):
    """The staleness check itself: a record naming one different docs/ file makes the site stale."""
    import test_site
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("built", encoding="utf-8")
    docs = ROOT_DIR / "docs"
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(docs).as_posix()}"
             for p in sorted(docs.rglob("*")) if p.is_file()]
    monkeypatch.setattr(test_site, "SITE", site)
    (site / ".built-from").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert test_site.stale_reason() == ""
    changed = "0" * 64 + "  index.md"
    (site / ".built-from").write_text("\n".join(l if not l.endswith("  index.md") else changed for l in lines) + "\n",
                                      encoding="utf-8")
    assert "index.md" in test_site.stale_reason()


def _hides_toc(markdown: Path) -> bool:
    text = markdown.read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n---\n", text, flags=re.S)
    return bool(match) and "toc" in ((yaml.safe_load(match.group(1)) or {}).get("hide") or [])


def test_only_a_shown_table_of_contents_follows_the_reader():
    """Material renders a page's table of contents even when the page hides it (hide: toc), and
    its bundle follows the reader's scrolling through any list marked data-md-component="toc",
    reading the position of every heading: on an answer key (blocks laid out only near the
    screen) that laid the page out again for each heading, 2.5 s of a phone's 4.3 s load
    (benchmarks/bench_phone.py). overrides/partials/toc.html leaves a hidden one unmarked."""
    docs = ROOT_DIR / "docs"
    hidden = sorted(p.relative_to(docs).with_suffix(".html").as_posix()
                    for p in docs.rglob("*.md") if _hides_toc(p))
    assert any(p.endswith("/answers.html") for p in hidden), "no page hides its table of contents"
    followed = [p for p in hidden if 'data-md-component="toc"' in (SITE / p).read_text(encoding="utf-8")]
    assert not followed, f"pages that hide their table of contents but have it followed: {followed}"
    shown = [p for _, _, _, p in PAGES if 'data-md-component="toc"' not in p.read_text(encoding="utf-8")]
    assert not shown, f"problem pages whose table of contents is not followed: {shown}"
