// Formulas and tables wider than the page scroll sideways (extra.css). This script finds the
// ones that do on this screen and gives each a visible cue and keyboard access:
//  - class "scrolls", with "more-left" / "more-right" while content is hidden on that side
//    (extra.css fades that edge);
//  - tabindex="0", role="region" and a name, so a keyboard can focus and scroll it
//    (axe-core: scrollable-region-focusable).
// It runs again when a solution is opened (its formulas get a width) and when the window is
// resized. Without JavaScript the formulas still scroll, without the cue.
(function () {
  "use strict";
  var SELECTOR = ".md-typeset div.arithmatex, .md-typeset .md-typeset__scrollwrap";

  function edges(el) {
    var max = el.scrollWidth - el.clientWidth;
    el.classList.toggle("more-left", el.scrollLeft > 1);
    el.classList.toggle("more-right", el.scrollLeft < max - 1);
  }

  function onScroll(event) { edges(event.currentTarget); }

  function mark() {
    var all = document.querySelectorAll(SELECTOR);
    for (var i = 0; i < all.length; i++) {
      var el = all[i];
      var wide = el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1;
      if (wide && !el.classList.contains("scrolls")) {
        el.classList.add("scrolls");
        el.tabIndex = 0;
        el.setAttribute("role", "region");
        el.setAttribute("aria-label", el.matches("div.arithmatex")
          ? "Formula, scrolls sideways" : "Table, scrolls sideways");
        el.addEventListener("scroll", onScroll, { passive: true });
      } else if (!wide && el.classList.contains("scrolls")) {
        el.classList.remove("scrolls", "more-left", "more-right");
        el.removeAttribute("tabindex");
        el.removeAttribute("role");
        el.removeAttribute("aria-label");
        el.removeEventListener("scroll", onScroll);
      }
      if (wide) edges(el);
    }
  }

  var frame = 0;
  function later() {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(mark);
  }

  window.addEventListener("load", later);
  window.addEventListener("resize", later);
  document.addEventListener("toggle", later, true);  // a solution opened or closed
  if (typeof window.document$ !== "undefined") window.document$.subscribe(later);
  window.__readerMarkScrollables = mark;  // for the browser tests: mark now
})();
