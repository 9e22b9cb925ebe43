/* Folded solutions and practice variants arrive when a reader opens them (hooks/defer_hook.py).
 *
 * The build moves the body of each one into a script beside the page, <page>.parts/<n>.js,
 * which calls backpropPart(n, html). Opening a folded solution adds that script (a <script>,
 * not a fetch, so it works from file:// too); the body replaces the "Loading…" placeholder and a
 * "part-loaded" event bubbles from the element. Practice pages ask for a variant through
 * window.backpropLoadPart(element, callback). */
(function () {
  "use strict";
  var waiting = {};  // key -> callbacks to run once its body is in

  function fill(key, html) {
    var el = document.querySelector('[data-part="' + key + '"]');
    if (!el || el.hasAttribute("data-part-loaded")) return;
    var placeholder = el.querySelector(":scope > .part-placeholder");
    if (placeholder) placeholder.remove();
    el.insertAdjacentHTML("beforeend", html);
    wrapTables(el);
    el.removeAttribute("data-part-loading");
    el.setAttribute("data-part-loaded", "");
    el.dispatchEvent(new CustomEvent("part-loaded", { bubbles: true }));
    var callbacks = waiting[key] || [];
    delete waiting[key];
    callbacks.forEach(function (f) { f(el); });
  }

  // Material wraps each plain table of a page in a scrolling box when the page loads; a body
  // that arrives later gets the same boxes (reader.js then gives a wide one its cue and focus)
  function wrapTables(el) {
    var tables = el.querySelectorAll("table:not([class])");
    for (var i = 0; i < tables.length; i++) {
      var table = tables[i];
      if (table.parentElement.classList.contains("md-typeset__table")) continue;
      var wrap = document.createElement("div"), inner = document.createElement("div");
      wrap.className = "md-typeset__scrollwrap";
      inner.className = "md-typeset__table";
      table.parentNode.insertBefore(wrap, table);
      wrap.appendChild(inner);
      inner.appendChild(table);
    }
  }

  function load(el, callback) {
    if (el.hasAttribute("data-part-loaded") || !el.hasAttribute("data-part-src")) {
      if (callback) callback(el);
      return;
    }
    var key = el.getAttribute("data-part");
    if (callback) (waiting[key] = waiting[key] || []).push(callback);
    if (el.hasAttribute("data-part-loading")) return;
    el.setAttribute("data-part-loading", "");
    var script = document.createElement("script");
    script.src = el.getAttribute("data-part-src");
    script.onerror = function () {
      el.removeAttribute("data-part-loading");
      var line = el.querySelector(":scope > .part-placeholder > .part-loading");
      if (line) line.textContent = "This could not be loaded (" + script.src + "). Reload the page to try again.";
    };
    document.head.appendChild(script);
  }

  window.backpropPart = fill;
  window.backpropLoadPart = load;

  document.addEventListener("toggle", function (event) {
    var el = event.target;
    if (el.tagName === "DETAILS" && el.open && el.hasAttribute("data-part-src")) load(el);
  }, true);
})();
