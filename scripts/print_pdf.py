"""`make pdf`: each handout's question sheet and answer key printed to PDF by the headless
Chromium the browser tests use (/usr/bin/chromium, driven by Playwright; no download).

    python scripts/print_pdf.py [SITE_DIR] [OUT_DIR]      (defaults: site/ and pdf/)

The pages are opened from disk (file://, as a reader would open the site), in print media,
with every drawing loaded and every display formula wider than the column scaled to fit it
(assets/javascripts/reader.js, as a browser's own print does), at the printed column's width. A4, numbered pages ("page 3 of
7" in the footer). Writes OUT_DIR/<handout>-questions.pdf and <handout>-answers.pdf, and prints
one line per file. The site itself never needs this.
"""

from __future__ import annotations

import sys
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
SHEETS = {"questions.html": "questions", "answers.html": "answers"}
FOOTER = ('<div style="font-size:9px;width:100%;text-align:center;color:#444">'
          '<span class="title"></span> — page <span class="pageNumber"></span> of '
          '<span class="totalPages"></span></div>')
MARGIN = {"top": "16mm", "bottom": "18mm", "left": "14mm", "right": "14mm"}
# The page is laid out at the printed column's width (A4 less the margins, 96 px to the inch)
# before the formulas are fitted: fitted at a wider window, a formula between the two widths
# would run past the right margin on paper.
COLUMN_PX = round((210 - 14 - 14) / 25.4 * 96)

PREPARE_JS = """async () => {
  const imgs = [...document.querySelectorAll('img')];
  imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.complete ? null
      : new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
  await document.fonts.ready;
  if (window.__readerFitForPrint) window.__readerFitForPrint();
  return imgs.filter(i => !i.naturalWidth).map(i => i.getAttribute('src'));
}"""


def print_handouts(site: Path, out: Path, only: list[str] | None = None, browser=None,
                   inspect=None) -> list[Path]:
    """Print the question sheet and answer key of every handout in ``site`` (or of the handouts
    named in ``only``) with ``browser`` (a Playwright Chromium; by default one started here);
    the PDFs' paths. ``inspect(page, sheet)``, if given, is called on each page as it is
    printed (the tests measure it there, so a sheet is laid out for print once)."""
    sheets = sorted(p for name in SHEETS for p in site.glob(f"handouts/*/{name}")
                    if only is None or p.parent.name in only)
    if not sheets:
        raise SystemExit(f"error: no handouts/*/questions.html in {site}: run `make site` first")
    out.mkdir(parents=True, exist_ok=True)
    if browser is not None:
        return _print(browser, sheets, out, inspect)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox"])
        try:
            return _print(browser, sheets, out, inspect)
        finally:
            browser.close()


def _print(browser, sheets: list[Path], out: Path, inspect=None) -> list[Path]:
    written = []
    page = browser.new_page(color_scheme="light", viewport={"width": COLUMN_PX, "height": 1000})
    try:
        for sheet in sheets:
            page.goto(sheet.resolve().as_uri(), wait_until="load")
            page.emulate_media(media="print")
            missing = page.evaluate(PREPARE_JS)
            if missing:
                raise SystemExit(f"error: {sheet}: drawings that did not load: {missing}")
            if inspect is not None:
                inspect(page, sheet)
            target = out / f"{sheet.parent.name}-{SHEETS[sheet.name]}.pdf"
            page.pdf(path=str(target), format="A4", margin=MARGIN, print_background=True,
                     display_header_footer=True, header_template="<div></div>",
                     footer_template=FOOTER)
            written.append(target)
            print(f"wrote {target}")
    finally:
        page.close()
    return written


def main(argv: list[str]) -> None:
    site = Path(argv[0]) if argv else Path("site")
    out = Path(argv[1]) if len(argv) > 1 else Path("pdf")
    print_handouts(site, out)


if __name__ == "__main__":
    main(sys.argv[1:])
