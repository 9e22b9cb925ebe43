"""Page load on a phone profile: 390 x 844 CSS px, touch, and the CPU slowed down 4 times
(Chrome DevTools Protocol Emulation.setCPUThrottlingRate), the site served on 127.0.0.1.

    python -m benchmarks.bench_phone [--site DIR] [--repeats N] [--no-all] [--no-before]

For the largest page (most HTML bytes; print pages aside) and a typical one (the median), each loaded cold
``repeats`` times (a fresh browser context each): first contentful paint, full load (the load
event, every image that is not lazy loaded), the bytes fetched by then and the DOM's size;
medians. Before and after: each page is also loaded from the site built whole (DEFER_PARTS=off,
folded solutions and practice variants in the page), in turn with site/. Then every page once:
the slowest full load, against the target of 3 s. Also run by `make bench`
(benchmarks/bench.py). Writes .bench/phone.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

from hooks.defer_hook import SWITCH

from .bench_page import CHROMIUM, CHROMIUM_ARGS, LOAD_TIMEOUT_MS, served
from .common import mkdocs_command, run_command

REPO = Path(__file__).resolve().parent.parent
OUT_FILE = REPO / ".bench" / "phone.json"
PHONE = {"width": 390, "height": 844}
CPU_SLOWDOWN = 4
TARGET_LOAD_S = 3.0

TIMINGS_JS = """() => new Promise(done => setTimeout(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  const resources = performance.getEntriesByType('resource');
  done({fcp_ms: fcp ? fcp.startTime : null, load_ms: nav.loadEventEnd,
        bytes: nav.transferSize + resources.reduce((s, r) => s + (r.transferSize || 0), 0),
        html_bytes: nav.transferSize, requests: resources.length + 1,
        dom_nodes: document.getElementsByTagName('*').length});
}, 0))"""


def site_pages(site: Path) -> list[str]:
    """The site's pages (as the browser tests list them), by HTML size."""
    pages = [p for p in site.rglob("*.html")
             if p.relative_to(site).parts[0] not in {"assets", "search"}]
    return [p.relative_to(site).as_posix() for p in sorted(pages, key=lambda p: (p.stat().st_size, p.as_posix()))]


def load_on_phone(browser, url: str) -> dict[str, Any]:
    """One cold load of ``url`` on the phone profile; its timings, bytes and DOM size."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  device_scale_factor=3, color_scheme="light", service_workers="block")
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        page.goto(url, wait_until="load", timeout=LOAD_TIMEOUT_MS * 2)
        return page.evaluate(TIMINGS_JS)
    finally:
        context.close()


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0] if runs[0][k] is not None}


def bench_phone(site: Path, repeats: int = 5, every_page: bool = True,
                before: bool = True) -> dict[str, Any]:
    """Largest and typical page (medians of ``repeats`` cold loads), and every page once.

    With ``before``, the same pages are also built whole (``DEFER_PARTS=off``: folded
    solutions and practice variants left in the page, as before hooks/defer_hook.py) and each
    page is loaded from both sites in turn, so the two are measured under the same load. The
    pages are the largest and the median by HTML bytes of the site built whole (what the
    deferring was for), and the largest of ``site`` itself."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-phone-") as tmp:
        sites = {"after": site}
        if before:
            sites["before"] = Path(tmp) / "site"
            run_command(mkdocs_command(REPO, sites["before"]), REPO, **{SWITCH: "off"})
        chosen = _reading_pages(sites.get("before", site))
        result: dict[str, Any] = {
            "profile": {"viewport": PHONE, "cpu_slowdown": CPU_SLOWDOWN},
            "pages": {"largest": {"page": chosen[-1]}, "typical": {"page": chosen[len(chosen) // 2]}}}
        own_largest = _reading_pages(site)[-1]
        if own_largest != chosen[-1]:
            result["pages"]["largest now"] = {"page": own_largest}
        with contextlib.ExitStack() as stack:
            urls = {name: stack.enter_context(served(s)) for name, s in sites.items()}
            playwright = stack.enter_context(sync_playwright())
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                 args=CHROMIUM_ARGS)
            stack.callback(browser.close)
            for entry in result["pages"].values():
                runs: dict[str, list] = {name: [] for name in sites}
                for _ in range(repeats):
                    for name in sites:  # in turn: the same moment of a noisy machine
                        runs[name].append(load_on_phone(browser, urls[name] + entry["page"]))
                for name in sites:
                    entry[name] = dict(_median(runs[name]), runs=runs[name])
            if every_page:
                loads = {page: load_on_phone(browser, urls["after"] + page)["load_ms"]
                         for page in site_pages(site)}
                slowest = max(loads, key=loads.get)
                result["every_page"] = {"loads_ms": loads, "slowest": slowest,
                                        "slowest_ms": loads[slowest],
                                        "over_target": sorted(p for p, ms in loads.items()
                                                              if ms > TARGET_LOAD_S * 1000)}
    return result


def _reading_pages(site: Path) -> list[str]:
    """The pages a student reads, by HTML bytes: not the print pages (questions.html,
    answers.html), which hold a whole handout (every page is still loaded once)."""
    return [p for p in site_pages(site) if not p.endswith(("/questions.html", "/answers.html"))]


def print_phone(r: dict[str, Any]) -> None:
    p = r["profile"]
    print(f"\nPage load on a phone profile ({p['viewport']['width']} px, CPU slowed {p['cpu_slowdown']}x), "
          f"median of cold loads; 'before': the site built whole (DEFER_PARTS=off), loaded in turn:")
    print("| page | site | first contentful paint | full load | fetched by load | HTML | DOM nodes |")
    print("|---|---|---|---|---|---|---|")
    for key, x in r["pages"].items():
        for name in ("before", "after"):
            if name in x:
                m = x[name]
                print(f"| {key}: {x['page']} | {name} | {m['fcp_ms']:.0f} ms | {m['load_ms']:.0f} ms | "
                      f"{m['bytes'] / 1024:.0f} KiB | {m['html_bytes'] / 1024:.0f} KiB | {m['dom_nodes']:.0f} |")
    if "every_page" in r:
        e = r["every_page"]
        verdict = "PASS" if not e["over_target"] else f"MISS ({len(e['over_target'])} pages)"
        print(f"every page, one load each: slowest {e['slowest']} {e['slowest_ms']:.0f} ms "
              f"(target < {TARGET_LOAD_S:.0f} s: {verdict})")
        if e["over_target"]:
            print("over 3 s: " + ", ".join(f"{pg} {e['loads_ms'][pg]:.0f} ms" for pg in e["over_target"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_phone", description=__doc__.split("\n")[0])
    parser.add_argument("--site", type=Path, default=REPO / "site", help="the built site [site/]")
    parser.add_argument("--repeats", type=int, default=5, help="cold loads of each page [5]")
    parser.add_argument("--no-all", action="store_true", help="skip the load of every page")
    parser.add_argument("--no-before", action="store_true",
                        help="skip the site built whole (DEFER_PARTS=off) the pages are compared with")
    args = parser.parse_args(argv)
    result = bench_phone(args.site.resolve(), args.repeats, not args.no_all, not args.no_before)
    print_phone(result)
    OUT_FILE.parent.mkdir(parents=True, exist_ok=True)
    OUT_FILE.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
