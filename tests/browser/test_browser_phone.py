"""Every page on a phone (390 CSS px wide), every solution open:

- the page never scrolls sideways as a whole;
- the text in every drawing is at least 9 CSS px, or the drawing is a link to its SVG file
  (a tap opens it full size) in which the text is at least 9 px;
- every formula or table wider than its column scrolls on its own, with a visible cue (the edge
  that hides content fades out) and keyboard focus (assets/javascripts/reader.js);
- table text is at least 9 px.
"""

from __future__ import annotations

import pytest

from .support import (ACTION_TIMEOUT_MS, ANSWER_KEYS, PAGES, SHOW_ALL_BLOCKS_JS, assert_none, open_all_details,
                      wait_for_math)

PHONE = {"width": 390, "height": 844}
MIN_TEXT_PX = 9

MEASURE_JS = """async () => {
  if (window.__readerMarkScrollables) window.__readerMarkScrollables();
  const out = {overflow: document.scrollingElement.scrollWidth - window.innerWidth,
               drawings: [], wide: [], tables: []};
  const imgs = [...document.querySelectorAll('.md-content img')].filter(i => /\\.svg$/.test(i.getAttribute('src')));
  imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.complete ? null
      : new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
  for (const img of imgs) {
    const svg = new DOMParser().parseFromString(await (await fetch(img.src)).text(), 'image/svg+xml').documentElement;
    const box = (svg.getAttribute('viewBox') || '').split(/[\\s,]+/).map(Number);
    const widthPt = parseFloat(svg.getAttribute('width'));
    const unit = (svg.getAttribute('width') || '').endsWith('pt') ? 4 / 3 : 1;
    const g = svg.querySelector('g[transform]');
    const scale = g && /scale\\(([\\d.]+)/.test(g.getAttribute('transform'))
        ? parseFloat(/scale\\(([\\d.]+)/.exec(g.getAttribute('transform'))[1]) : 1;
    const sizes = [...svg.querySelectorAll('text')].map(t => parseFloat(t.getAttribute('font-size')
        || (t.closest('[font-size]') || {getAttribute: () => '14'}).getAttribute('font-size')));
    const smallest = Math.min(...sizes) * scale;
    const link = img.closest('a');
    out.drawings.push({src: img.getAttribute('src'),
      shown: smallest * img.getBoundingClientRect().width / box[2],
      full: smallest * widthPt * unit / box[2],
      linked: !!link && link.getAttribute('href') === img.getAttribute('src')});
  }
  for (const el of document.querySelectorAll('.md-typeset div.arithmatex, .md-typeset .md-typeset__scrollwrap')) {
    if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
      const cs = getComputedStyle(el);
      const mask = cs.maskImage || cs.webkitMaskImage || 'none';
      out.wide.push({what: el.matches('div.arithmatex') ? 'formula ' + (el.querySelector('annotation') || {}).textContent.trim().slice(0, 50)
                                                         : 'table ' + el.textContent.trim().slice(0, 50),
        cue: mask !== 'none', focusable: el.tabIndex === 0, named: !!el.getAttribute('aria-label')});
    }
  }
  for (const td of document.querySelectorAll('.md-typeset td, .md-typeset th'))
    out.tables.push(parseFloat(getComputedStyle(td).fontSize));
  return out;
}"""


@pytest.fixture(scope="module")
def phone(browser):
    context = browser.new_context(viewport=PHONE, color_scheme="light", service_workers="block",
                                  is_mobile=True, has_touch=True, device_scale_factor=2)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("path", PAGES)
def test_page_reads_on_a_phone(phone, site_url, path):
    phone.goto(site_url + path, wait_until="load")
    wait_for_math(phone)
    open_all_details(phone, ".md-content")
    phone.evaluate(SHOW_ALL_BLOCKS_JS)  # an answer key's blocks, all laid out
    m = phone.evaluate(MEASURE_JS)
    problems = []
    if m["overflow"] > 1:
        problems.append(f"the page scrolls sideways by {m['overflow']} px")
    for d in m["drawings"]:
        if d["shown"] >= MIN_TEXT_PX:
            continue
        if not d["linked"]:
            problems.append(f"{d['src']}: text {d['shown']:.1f} px and no link to open it full size")
        elif d["full"] < MIN_TEXT_PX:
            problems.append(f"{d['src']}: text {d['full']:.1f} px even full size")
    for w in m["wide"]:
        missing = [k for k in ("cue", "focusable", "named") if not w[k]]
        if missing:
            problems.append(f"{w['what']}: scrolls sideways without {', '.join(missing)}")
    problems += [f"table text {size} px" for size in sorted(set(m["tables"])) if size < MIN_TEXT_PX]
    assert_none(problems, path)


# On load, which of the answer key's blocks the browser skips (content-visibility: auto: not laid
# out); then each block skipped on load is scrolled to, and its wide formulas must have their cue
# once it is shown (reader.js marks a block when the browser shows it).
SKIPPED_THEN_SHOWN_JS = """async () => {
  const blocks = [...document.querySelectorAll('.md-content .print-block')];
  // a block's own box is laid out; what it holds is what the browser skips
  const skipped = blocks.filter(b => b.firstElementChild
      && !b.firstElementChild.checkVisibility({contentVisibilityAuto: true}));
  const frames = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const wide = [];
  for (const block of skipped) {
    block.scrollIntoView();
    await frames(); await frames();
    for (const el of block.querySelectorAll('div.arithmatex'))
      if (el.scrollWidth > el.clientWidth + 1)
        wide.push({what: (el.querySelector('annotation') || {}).textContent.trim().slice(0, 50),
                   cue: el.classList.contains('scrolls') && el.tabIndex === 0});
  }
  return {blocks: blocks.length, skipped: skipped.length, wide};
}"""


@pytest.mark.parametrize("path", ANSWER_KEYS)
def test_the_answer_key_lays_out_only_what_is_near_the_screen(phone, site_url, path):
    phone.goto(site_url + path, wait_until="load")
    m = phone.evaluate(SKIPPED_THEN_SHOWN_JS)
    problems = []
    if m["skipped"] < m["blocks"] // 2:
        problems.append(f"only {m['skipped']} of {m['blocks']} blocks are skipped on load")
    problems += [f"formula {w['what']}: shown without its cue" for w in m["wide"] if not w["cue"]]
    assert_none(problems, f"{path} ({len(m['wide'])} wide formulas in blocks skipped on load)")
