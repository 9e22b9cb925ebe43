"""Page load on a phone profile: 390 x 844 CSS px, touch, and the CPU slowed down 4 times
(Chrome DevTools Protocol Emulation.setCPUThrottlingRate), the site served on 127.0.0.1.

    python -m benchmarks.bench_phone [--site DIR] [--repeats N] [--no-all]

For the largest page (most HTML bytes; print pages aside) and a typical one (the median), each loaded cold
``repeats`` times (a fresh browser context each): first contentful paint, full load (the load
event, every image that is not lazy loaded), the bytes fetched by then and the DOM's size;
medians. Then every page once: the slowest full load, against the target of 3 s. Also run by
`make bench` (benchmarks/bench.py). Writes .bench/phone.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

from .bench_page import CHROMIUM, CHROMIUM_ARGS, LOAD_TIMEOUT_MS, served

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


def bench_phone(site: Path, repeats: int = 5, every_page: bool = True) -> dict[str, Any]:
    """Largest and typical page (medians of ``repeats`` cold loads), and every page once."""
    from playwright.sync_api import sync_playwright

    pages = site_pages(site)
    # the largest and typical page a student reads: not the print pages (questions.html,
    # answers.html), which hold a whole handout; every page is still loaded below
    worked = [p for p in pages if not p.endswith(("/questions.html", "/answers.html"))]
    largest, typical = worked[-1], worked[len(worked) // 2]
    result: dict[str, Any] = {"profile": {"viewport": PHONE, "cpu_slowdown": CPU_SLOWDOWN},
                              "largest": {"page": largest}, "typical": {"page": typical}}
    with served(site) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for key, page in (("largest", largest), ("typical", typical)):
                runs = [load_on_phone(browser, url + page) for _ in range(repeats)]
                result[key].update(_median(runs), runs=runs)
            if every_page:
                loads = {page: load_on_phone(browser, url + page)["load_ms"] for page in pages}
                slowest = max(loads, key=loads.get)
                result["every_page"] = {"loads_ms": loads, "slowest": slowest,
                                        "slowest_ms": loads[slowest],
                                        "over_target": sorted(p for p, ms in loads.items()
                                                              if ms > TARGET_LOAD_S * 1000)}
        finally:
            browser.close()
    return result


def print_phone(r: dict[str, Any]) -> None:
    p = r["profile"]
    print(f"\nPage load on a phone profile ({p['viewport']['width']} px, CPU slowed {p['cpu_slowdown']}x), "
          f"median of cold loads:")
    print("| page | first contentful paint | full load | fetched by load | HTML | DOM nodes |")
    print("|---|---|---|---|---|---|")
    for key in ("largest", "typical"):
        x = r[key]
        print(f"| {key}: {x['page']} | {x['fcp_ms']:.0f} ms | {x['load_ms']:.0f} ms | "
              f"{x['bytes'] / 1024:.0f} KiB | {x['html_bytes'] / 1024:.0f} KiB | {x['dom_nodes']:.0f} |")
    if "every_page" in r:
        e = r["every_page"]
        verdict = "PASS" if not e["over_target"] else f"MISS ({len(e['over_target'])} pages)"
        print(f"every page, one load each: slowest {e['slowest']} {e['slowest_ms']:.0f} ms "
              f"(target < {TARGET_LOAD_S:.0f} s: {verdict})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_phone", description=__doc__.split("\n")[0])
    parser.add_argument("--site", type=Path, default=REPO / "site", help="the built site [site/]")
    parser.add_argument("--repeats", type=int, default=5, help="cold loads of each page [5]")
    parser.add_argument("--no-all", action="store_true", help="skip the load of every page")
    args = parser.parse_args(argv)
    result = bench_phone(args.site.resolve(), args.repeats, not args.no_all)
    print_phone(result)
    OUT_FILE.parent.mkdir(parents=True, exist_ok=True)
    OUT_FILE.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
