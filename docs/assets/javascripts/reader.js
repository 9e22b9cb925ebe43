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

  // A block the browser skips while it is far from the screen (content-visibility: auto, the
  // answer key's blocks) is measured when it is shown, not now: measuring would lay it out.
  function skipped(el) {
    return el.checkVisibility && !el.checkVisibility({ contentVisibilityAuto: true });
  }

  function mark() {
    var all = document.querySelectorAll(SELECTOR);
    for (var i = 0; i < all.length; i++) {
      var el = all[i];
      if (skipped(el) && !el.classList.contains("scrolls")) continue;
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
  document.addEventListener("part-loaded", later, true);  // its body arrived (parts.js)
  document.addEventListener("contentvisibilityautostatechange", later, true);  // a block shown
  if (typeof window.document$ !== "undefined") window.document$.subscribe(later);
  window.__readerMarkScrollables = mark;  // for the browser tests: mark now

  // On paper nothing scrolls: a formula wider than the printed column is scaled down
  // to fit it while printing (browsers fire beforeprint; `make pdf` calls this itself).
  function fitForPrint() {
    var all = document.querySelectorAll(".md-typeset .arithmatex");
    for (var i = 0; i < all.length; i++) {
      var el = all[i], math = el.querySelector(".katex");
      if (!math) continue;
      el.style.fontSize = "";
      var room, width;
      if (el.tagName === "DIV") {  // display math: its content may overflow its own box
        room = el.clientWidth;
        width = el.scrollWidth;
      } else {  // inline math: it must end before the right edge of its paragraph
        var box = el.closest("p, li, td, th, div, figcaption") || el.parentElement;
        room = box.getBoundingClientRect().right - math.getBoundingClientRect().left;
        width = math.getBoundingClientRect().width;
      }
      if (width > 0 && width > room + 0.5) {
        el.style.fontSize = Math.floor(1000 * room / width) / 10 + "%";
        el.setAttribute("data-fit", "print");
      }
    }
  }
  function unfit() {
    var all = document.querySelectorAll('.md-typeset .arithmatex[data-fit="print"]');
    for (var i = 0; i < all.length; i++) {
      all[i].style.fontSize = "";
      all[i].removeAttribute("data-fit");
    }
  }
  window.addEventListener("beforeprint", fitForPrint);
  window.addEventListener("afterprint", unfit);
  window.__readerFitForPrint = fitForPrint;
})();
