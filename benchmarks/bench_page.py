"""Page-load benchmark: math rendered in the reader's browser against math rendered at build time.

    python -m benchmarks.bench_page [--repeats N]

In a temporary copy of the project (the repository is not touched) the site is built twice,
with MATH_RENDER=browser (KaTeX's auto-render runs in the page) and MATH_RENDER=build
(hooks/katex_hook.py renders every formula during `mkdocs build`), each build timed. Each
site is served by `python -m http.server` on 127.0.0.1, and the page with the most formulas is
loaded in headless Chromium (Playwright, /usr/bin/chromium) `repeats` times per mode, each time
in a fresh browser context (cold: nothing cached), then once more in the same context (warm).
A script installed before the page's own measures, inside the page with performance.now()
(milliseconds from navigation start):

- math: the first moment the page is parsed, every .arithmatex holds a .katex element and no
  raw \\( or \\[ is left in its text (a MutationObserver checks after every change);
- math_frame: the next animation frame after that (the first frame that can show all the math),
  and math_painted: once that frame is laid out and painted (a message posted from its
  animation callback is handled then). In the browser mode the math is laid out in that frame;
  in the build mode it was laid out while the page loaded (Material's script asks for layout);
- fonts: when the last KaTeX font file arrived; DOMContentLoaded, load, first contentful paint;
- layout shift: how much visible content moved while the page loaded (CLS; rendering the math
  after the first paint moves the text around it);
- bytes: transferred for the page and everything it loaded (Resource Timing); and the page's
  HTML size, also gzip-compressed (as most web servers would send it; http.server does not).

The medians per mode and the ratios build/browser are returned by bench_page_load() as a JSON-able
dict; main() prints them as a table and writes .bench/page_load.json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from .common import make_root, mkdocs_command, run_command

REPO = Path(__file__).resolve().parent.parent
OUT_FILE = REPO / ".bench" / "page_load.json"
MODES = ("browser", "build")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 900}
LOAD_TIMEOUT_MS = 30_000

# Installed before any script of the page; records into window.__pageLoad.
MEASURE_JS = r"""(() => {
  const t = window.__pageLoad = {};
  const skip = 'script, style, code, pre, textarea, .katex';
  const allRendered = () => {
    for (const e of document.querySelectorAll('.arithmatex'))
      if (!e.querySelector('.katex')) return false;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n; (n = walker.nextNode()); ) {
      const v = n.nodeValue;
      if ((v.includes('\\(') || v.includes('\\[')) && !n.parentElement.closest(skip)) return false;
    }
    return true;
  };
  const check = () => {
    if (t.math !== undefined || document.readyState === 'loading') return;  // not parsed yet
    if (!allRendered()) return;
    t.math = performance.now();
    t.formulas = document.querySelectorAll('.arithmatex').length;
    observer.disconnect();
    // the frame that lays the math out and paints it; a message posted from its animation
    // callback is handled once that frame is done
    requestAnimationFrame(() => {
      t.math_frame = performance.now();
      const channel = new MessageChannel();
      channel.port1.onmessage = () => { t.math_painted = performance.now(); };
      channel.port2.postMessage(null);
    });
  };
  // watched from the end of parsing only: records of every parsed node would slow the parser
  const observer = new MutationObserver(check);
  document.addEventListener('readystatechange', () => {
    check();
    if (t.math === undefined && document.readyState === 'interactive')
      observer.observe(document.body, {childList: true, subtree: true, characterData: true});
  });
  document.addEventListener('DOMContentLoaded', () => { t.dcl = performance.now(); check(); });
  window.addEventListener('load', () => { t.load = performance.now(); check(); });
  // content moved by late rendering (cumulative layout shift, as Chromium reports it)
  t.cls = 0;
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) t.cls += e.value;
  }).observe({type: 'layout-shift', buffered: true});
})();"""

DONE_JS = ("() => window.__pageLoad && window.__pageLoad.load !== undefined "
           "&& window.__pageLoad.math_painted !== undefined")

# After the load: fonts (all KaTeX fonts the page uses have arrived), paint and bytes.
RESULTS_JS = """async () => {
  await document.fonts.ready;
  const t = window.__pageLoad;
  const nav = performance.getEntriesByType('navigation')[0];
  const resources = performance.getEntriesByType('resource');
  const fonts = resources.filter(r => /\\.woff2?$/.test(r.name));
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  return {
    math_ms: t.math, math_frame_ms: t.math_frame, math_painted_ms: t.math_painted, dcl_ms: t.dcl, load_ms: t.load, cls: t.cls,
    fcp_ms: fcp ? fcp.startTime : null,
    fonts_ms: fonts.length ? Math.max(...fonts.map(r => r.responseEnd)) : null,
    font_files: fonts.length, requests: resources.length + 1, formulas: t.formulas,
    bytes: nav.transferSize + resources.reduce((s, r) => s + r.transferSize, 0),
    html_bytes: nav.encodedBodySize,
  };
}"""

TIMINGS = ("math_ms", "math_frame_ms", "math_painted_ms", "fonts_ms", "dcl_ms", "load_ms", "fcp_ms")


# --- The sites ------------------------------------------------------------------------------------


def mkdocs_build(root: Path, site: Path, mode: str) -> float:
    """`mkdocs build --strict` of ``root`` into ``site`` with MATH_RENDER=mode; wall seconds."""
    t0 = time.perf_counter()
    run_command(mkdocs_command(root, site), root, MATH_RENDER=mode)
    return time.perf_counter() - t0


def count_formulas(page: Path) -> int:
    return len(re.findall(r'class="arithmatex\b', page.read_text(encoding="utf-8")))


def _pages_by_formulas(site: Path) -> list[tuple[int, str]]:
    """(formulas, page) for every page of the site that has math, fewest first."""
    pages = [(count_formulas(p), p.relative_to(site).as_posix()) for p in sorted(site.rglob("*.html"))
             if p.relative_to(site).parts[0] not in {"assets", "search"}]
    return sorted(fp for fp in pages if fp[0] > 0)


def largest_page(site: Path) -> tuple[str, int]:
    """The page with the most formulas (its path in the site, posix) and their number."""
    formulas, page = _pages_by_formulas(site)[-1]
    return page, formulas


def median_page(site: Path) -> tuple[str, int]:
    """A typical page: the median of the pages with math, by their number of formulas."""
    pages = _pages_by_formulas(site)
    formulas, page = pages[(len(pages) - 1) // 2]
    return page, formulas


@contextmanager
def served(site: Path) -> Iterator[str]:
    """`python -m http.server` on a free port of 127.0.0.1 serving ``site``; yields its URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", str(site)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"python -m http.server did not start on port {port}")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        server.wait(timeout=10)


# --- The loads ------------------------------------------------------------------------------------


def load_once(context, url: str) -> dict[str, Any]:
    """Open ``url`` in a new tab of ``context``; the page's own timings once all is loaded."""
    page = context.new_page()
    try:
        page.goto(url, wait_until="load", timeout=LOAD_TIMEOUT_MS)
        page.wait_for_function(DONE_JS, timeout=LOAD_TIMEOUT_MS)
        return page.evaluate(RESULTS_JS)
    finally:
        page.close()


def measure_loads(browser, url: str, repeats: int) -> dict[str, list[dict[str, Any]]]:
    """``repeats`` cold loads, each in a fresh context, each followed by a warm one in it."""
    cold, warm = [], []
    for _ in range(repeats):
        context = browser.new_context(viewport=VIEWPORT, color_scheme="light", service_workers="block")
        context.add_init_script(MEASURE_JS)
        try:
            cold.append(load_once(context, url))
            warm.append(load_once(context, url))
        finally:
            context.close()
    return {"cold": cold, "warm": warm}


def interleaved(load: Callable[[str], Any], repeats: int) -> dict[str, list[Any]]:
    """``load(mode)`` ``repeats`` times per mode, the modes taking turns (ABBAAB...)."""
    out: dict[str, list[Any]] = {mode: [] for mode in MODES}
    for i in range(repeats):
        for mode in (MODES if i % 2 == 0 else MODES[::-1]):
            out[mode].append(load(mode))
    return out


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out = {}
    for key in TIMINGS + ("cls", "bytes", "requests", "html_bytes", "font_files", "formulas"):
        values = [r[key] for r in runs if r.get(key) is not None]
        out[key] = statistics.median(values) if values else None
    return out


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def load_once_cold(browser, url: str) -> dict[str, Any]:
    context = browser.new_context(viewport=VIEWPORT, color_scheme="light", service_workers="block")
    context.add_init_script(MEASURE_JS)
    try:
        return load_once(context, url)
    finally:
        context.close()


def bench_page_load(repeats: int = 5, page: str | None = None, typical: bool = False,
                    loads: int | None = None) -> dict[str, Any]:
    """Build the site in both modes, load its largest page (or ``page``) ``repeats`` times in
    each; the medians. With ``typical``, also the page with the median number of formulas
    (cold loads). ``loads`` per mode and page (default: ``repeats``)."""
    from playwright.sync_api import sync_playwright

    loads = loads or repeats
    out: dict[str, Any] = {"repeats": loads, "builds": repeats, "chromium": CHROMIUM, "modes": {}}
    with tempfile.TemporaryDirectory(prefix="bench-page-") as t:
        tmp = Path(t)
        root = make_root(tmp)
        sites = {mode: tmp / f"site-{mode}" for mode in MODES}
        for mode in MODES:
            builds = [mkdocs_build(root, sites[mode], mode) for _ in range(repeats)]
            out["modes"][mode] = {"mkdocs_build_s": statistics.median(builds),
                                  "mkdocs_build_runs_s": builds}
        if page is None:
            page, formulas = largest_page(sites["browser"])
        else:
            formulas = count_formulas(sites["browser"] / page)
        out["page"] = page
        out["formulas"] = formulas
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                 args=CHROMIUM_ARGS)
            out["chromium_version"] = browser.version
            try:
                with served(sites[MODES[0]]) as url0, served(sites[MODES[1]]) as url1:
                    urls = dict(zip(MODES, (url0, url1)))
                    # the modes take turns, load by load (which goes first alternates), so that
                    # a slower spell of the machine falls on both alike
                    runs = interleaved(lambda mode: measure_loads(browser, urls[mode] + page, 1), loads)
                    if typical:
                        typical_page, typical_formulas = median_page(sites["browser"])
                        typical_runs = interleaved(
                            lambda mode: load_once_cold(browser, urls[mode] + typical_page), loads)
                for mode in MODES:
                    mode_loads = {k: [r[k][0] for r in runs[mode]] for k in ("cold", "warm")}
                    m = out["modes"][mode]
                    html = (sites[mode] / page).read_bytes()
                    m["html_file_bytes"] = len(html)
                    m["html_gzip_bytes"] = len(gzip.compress(html, compresslevel=6, mtime=0))
                    m["cold"], m["warm"] = medians(mode_loads["cold"]), medians(mode_loads["warm"])
                    m["runs"] = mode_loads
                    if m["cold"]["formulas"] != formulas:
                        raise RuntimeError(f"{mode}: {m['cold']['formulas']} formulas rendered in the "
                                           f"browser, {formulas} in {page}")
                if typical:  # a typical page too, cold loads only
                    out["typical"] = {"page": typical_page, "formulas": typical_formulas,
                                      "modes": {mode: {"cold": medians(typical_runs[mode])} for mode in MODES}}
            finally:
                browser.close()
    b, w = out["modes"]["build"], out["modes"]["browser"]
    out["build_over_browser"] = {
        "mkdocs_build_s": ratio(b["mkdocs_build_s"], w["mkdocs_build_s"]),
        "html_file_bytes": ratio(b["html_file_bytes"], w["html_file_bytes"]),
        "html_gzip_bytes": ratio(b["html_gzip_bytes"], w["html_gzip_bytes"]),
        **{f"{cache}_{k}": ratio(b[cache][k], w[cache][k])
           for cache in ("cold", "warm") for k in TIMINGS + ("cls", "bytes")},
    }
    return out


# --- The table --------------------------------------------------------------------------------------


def _row(label: str, values: list[Any], fmt: str) -> str:
    """browser, build in ``fmt``; the ratio build/browser with two decimals."""
    cells = [("-" if v is None else format(v, f)) for v, f in zip(values, (fmt, fmt, ".2f"))]
    return f"  {label:<42}" + "".join(f"{c:>14}" for c in cells)


def print_table(r: dict[str, Any]) -> None:
    w, b, q = r["modes"]["browser"], r["modes"]["build"], r["build_over_browser"]
    print(f"Page: {r['page']} ({r['formulas']} formulas); Chromium {r['chromium_version']}, "
          f"median of {r['repeats']} loads")
    print(f"  {'':<42}{'browser':>14}{'build':>14}{'build/browser':>14}")
    print(_row("mkdocs build --strict (s)", [w["mkdocs_build_s"], b["mkdocs_build_s"],
                                             q["mkdocs_build_s"]], ".3f"))
    print(_row("page HTML (bytes)", [w["html_file_bytes"], b["html_file_bytes"],
                                     q["html_file_bytes"]], ",.0f"))
    print(_row("page HTML, gzip -6 (bytes)", [w["html_gzip_bytes"], b["html_gzip_bytes"],
                                              q["html_gzip_bytes"]], ",.0f"))
    for cache in ("cold", "warm"):
        for key, label in (("math_ms", "navigation -> all math rendered (ms)"),
                           ("math_frame_ms", "  -> next frame starts (ms)"),
                           ("math_painted_ms", "  -> that frame is painted (ms)"),
                           ("fonts_ms", "  last KaTeX font arrived (ms)"),
                           ("fcp_ms", "  first contentful paint (ms)"),
                           ("dcl_ms", "  DOMContentLoaded (ms)"),
                           ("load_ms", "  load event (ms)"),
                           ("cls", "  layout shift (CLS)"),
                           ("bytes", "  bytes transferred")):
            print(_row(f"{cache}: {label.strip()}" if key == "math_ms" else label,
                       [w[cache][key], b[cache][key], q[f"{cache}_{key}"]],
                       {"bytes": ",.0f", "cls": ".3f"}.get(key, ".1f")))
    if "typical" in r:
        t = r["typical"]
        tw, tb = t["modes"]["browser"]["cold"], t["modes"]["build"]["cold"]
        print(f"Typical page (median number of formulas): {t['page']} ({t['formulas']} formulas), cold")
        for key, label in (("math_ms", "navigation -> all math rendered (ms)"),
                           ("math_painted_ms", "  -> that frame is painted (ms)"),
                           ("fcp_ms", "  first contentful paint (ms)")):
            print(_row(label, [tw[key], tb[key], ratio(tb[key], tw[key])], ".1f"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_page", description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="loads (and builds) per mode [5]")
    parser.add_argument("--page", help="this page of the site (e.g. notation.html) instead of the "
                                       "one with the most formulas")
    parser.add_argument("--typical", action="store_true",
                        help="also the page with the median number of formulas (cold loads)")
    args = parser.parse_args(argv)
    results = bench_page_load(args.repeats, args.page, args.typical)
    print_table(results)
    OUT_FILE.parent.mkdir(exist_ok=True)
    OUT_FILE.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"\nEvery run: {OUT_FILE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
