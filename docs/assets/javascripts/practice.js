/* Practice pages (generator/render/practice.py): show the variant of ?v=, check typed answers.
 *
 * Each variant carries each question's verified answer, the tolerance of each entry (one unit in
 * the last significant figure the page states) and the answers of the named mistakes, as JSON in
 * data-answer. Only the chosen variant is loaded: the build moves each variant's body to a script
 * beside the page (hooks/defer_hook.py) that parts.js adds, so it works from file:// and offline. */
(function () {
  "use strict";
  var root = document.querySelector(".practice");
  if (!root) return;
  var count = parseInt(root.getAttribute("data-count"), 10);

  function chosen() {
    var m = /[?&]v=(\d+)/.exec(window.location.search);
    var v = m ? parseInt(m[1], 10) : 1;
    return v >= 1 && v <= count ? v : 1;
  }

  function href(v) { return "?v=" + v; }

  function buildNav(v) {
    var nav = root.querySelector(".practice-nav");
    var prev = v > 1 ? v - 1 : count, next = v < count ? v + 1 : 1;
    var select = document.createElement("select");
    select.setAttribute("aria-label", "Variant");
    for (var i = 1; i <= count; i++) {
      var o = document.createElement("option");
      o.value = String(i); o.textContent = "Variant " + i + " of " + count;
      if (i === v) o.selected = true;
      select.appendChild(o);
    }
    select.addEventListener("change", function () { window.location.search = href(select.value); });
    var back = document.createElement("a"); back.href = href(prev); back.textContent = "← previous";
    back.className = "practice-prev";
    var fwd = document.createElement("a"); fwd.href = href(next); fwd.textContent = "next →";
    fwd.className = "practice-next";
    nav.appendChild(back); nav.appendChild(select); nav.appendChild(fwd);
  }

  function parse(text) {
    var t = text.trim().replace(/\u2212/g, "-").replace(/,/g, ".");
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return null;
    return Number(t);
  }

  function within(got, want, tol) {
    for (var p = 0; p < want.length; p++)
      for (var i = 0; i < want[p].length; i++)
        for (var j = 0; j < want[p][i].length; j++)
          if (!(Math.abs(got[p][i][j] - want[p][i][j]) <= tol[p][i][j] * (1 + 1e-9))) return [p, i, j];
    return null;
  }

  function message(kind) {
    var p = root.querySelector('.practice-messages [data-kind="' + kind + '"]');
    return p ? p.innerHTML : "";
  }

  function check(box) {
    var data = JSON.parse(box.getAttribute("data-answer"));
    var inputs = box.querySelectorAll("input");
    var feedback = box.querySelector(".practice-feedback");
    var got = data.parts.map(function (part) {
      return part.value.map(function (row) { return row.map(function () { return NaN; }); });
    });
    var blank = null;
    Array.prototype.forEach.call(inputs, function (input) {
      input.classList.remove("practice-wrong", "practice-right");
      input.removeAttribute("aria-invalid");
      var x = parse(input.value);
      if (x === null && blank === null) blank = input;
      got[+input.dataset.part][+input.dataset.row][+input.dataset.col] = x === null ? NaN : x;
    });
    box.classList.remove("is-right", "is-wrong", "is-mistake");
    if (blank !== null) {
      blank.classList.add("practice-wrong"); blank.setAttribute("aria-invalid", "true"); blank.focus();
      feedback.textContent = "Type a number in every box (e.g. -0.1234).";
      box.classList.add("is-wrong");
      return;
    }
    var wrong = within(got, data.parts.map(function (p) { return p.value; }),
                       data.parts.map(function (p) { return p.tol; }));
    if (wrong === null) {
      Array.prototype.forEach.call(inputs, function (i) { i.classList.add("practice-right"); });
      feedback.textContent = "Right: this is the verified answer.";
      box.classList.add("is-right");
      return;
    }
    var first = box.querySelector('input[data-part="' + wrong[0] + '"][data-row="' + wrong[1] +
                                  '"][data-col="' + wrong[2] + '"]');
    first.classList.add("practice-wrong"); first.setAttribute("aria-invalid", "true"); first.focus();
    var where = inputs.length > 1 ? " The first wrong entry is marked (" + first.getAttribute("aria-label")
      .replace(/^Question [^,]*, /, "") + ")." : "";
    var named = null;
    for (var k = 0; k < data.mistakes.length && named === null; k++)
      if (within(got, data.mistakes[k].values, data.mistakes[k].tol) === null) named = data.mistakes[k];
    box.classList.add(named ? "is-mistake" : "is-wrong");
    if (named) {
      feedback.innerHTML = "Not right, and a known slip: " + message(named.kinds[0]) + where;
      feedback.setAttribute("data-kind", named.kinds[0]);
    } else {
      feedback.textContent = "Not right yet." + where;
      feedback.removeAttribute("data-kind");
    }
  }

  var v = chosen();
  buildNav(v);
  var section = root.querySelector('.practice-variant[data-v="' + v + '"]');
  if (section) {
    section.hidden = false;
    // its body arrives on demand (hooks/defer_hook.py, parts.js, loaded after this script)
    document.addEventListener("DOMContentLoaded", function () {
      if (window.backpropLoadPart) window.backpropLoadPart(section);
    });
  }
  root.addEventListener("click", function (e) {
    var button = e.target.closest(".practice-check");
    if (button) check(button.closest(".practice-answer"));
  });
  root.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && e.target.matches(".practice-answer input")) {
      e.preventDefault(); check(e.target.closest(".practice-answer"));
    }
  });
})();
