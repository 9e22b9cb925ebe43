/* The colour palette toggle in the header (overrides/partials/palette.html).
 *
 * The page opens in its scheme already (overrides/partials/javascripts/palette.html, run as the
 * header is parsed, defines backpropPalette). Here: the toggle, which remembers the reader's
 * choice for the whole site (localStorage, as Material does); while a reader has not chosen,
 * the page follows the system's setting as it changes; and the theme-color meta tag (the colour
 * of a phone browser's toolbar), read from the header once the page has loaded. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-palette]");
  if (!form || !window.backpropPalette) return;
  var inputs = Array.prototype.slice.call(form.querySelectorAll("input[name=__palette]"));

  function themeColor() {
    var header = document.querySelector("[data-md-component=header]");
    if (!header) return;
    var rgb = window.getComputedStyle(header).backgroundColor.match(/\d+/g);
    if (!rgb) return;
    var meta = document.querySelector("meta[name=theme-color]");
    if (!meta) {
      meta = document.createElement("meta");
      meta.name = "theme-color";
      document.head.appendChild(meta);
    }
    meta.content = "#" + rgb.slice(0, 3).map(function (c) { return (+c).toString(16).padStart(2, "0"); }).join("");
  }

  function choose(index, remember) {
    // no colour transitions while the scheme changes (Material's stylesheet)
    document.body.setAttribute("data-md-color-switching", "");
    window.backpropPalette(index, remember);
    themeColor();
    setTimeout(function () { document.body.removeAttribute("data-md-color-switching"); });
  }

  inputs.forEach(function (input, index) {
    input.addEventListener("change", function () { if (input.checked) choose(index, true); });
  });
  // Enter on the focused toggle switches to the next palette, as in Material
  form.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    var next = (inputs.findIndex(function (input) { return input.checked; }) + 1) % inputs.length;
    event.preventDefault();
    inputs[next].click();
    inputs[next].focus();
  });

  // Until the reader chooses, follow the system's light or dark setting as it changes
  // (backpropPalette, given no index, takes the stored choice, else the matching palette).
  inputs.forEach(function (input) {
    matchMedia(input.getAttribute("data-md-color-media")).addEventListener("change", function () {
      try { if (__md_get("__palette")) return; } catch (e) {}  // storage blocked: follow
      choose(undefined, false);
    });
  });

  if (document.readyState === "complete") requestAnimationFrame(themeColor);
  else window.addEventListener("load", function () { requestAnimationFrame(themeColor); });
})();
