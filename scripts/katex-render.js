#!/usr/bin/env node
// Render TeX with KaTeX for the mkdocs hook hooks/katex_hook.py (math rendered at build
// time). One process serves a whole build: each line on stdin is one page's formulas, each line
// on stdout the answer for them, in the same order.
//
// Usage: node scripts/katex-render.js KATEX_DIR      (KATEX_DIR = vendor/node_modules/katex)
//
//   stdin:  {"formulas": [{"tex": "x^2", "display": false}, ...]}
//   stdout: {"results": [{"html": "<span class=\"katex\">...", "warnings": [...]}
//                         or {"error": "KaTeX parse error: ...", "warnings": [...]}, ...]}
//
// The options are those of docs/assets/javascripts/katex-init.js, except throwOnError: a
// formula KaTeX cannot parse is answered with its error message, and the hook stops the build.
// KaTeX's console warnings (strict: "warn", input LaTeX would not accept) are answered with the
// formula too, so that the hook can name the page; stdout carries nothing but the answers.
"use strict";

const path = require("path");
const readline = require("readline");

if (process.argv.length !== 3) {
  process.stderr.write("usage: node katex-render.js KATEX_DIR\n");
  process.exit(2);
}
const katex = require(path.resolve(process.argv[2]));

const OPTIONS = { throwOnError: true, errorColor: "#cc0000" };

let warnings = [];
console.warn = (...args) => warnings.push(args.join(" "));
console.log = console.warn;

function render({ tex, display }) {
  warnings = [];
  try {
    return { html: katex.renderToString(tex, { ...OPTIONS, displayMode: display }), warnings };
  } catch (err) {
    return { error: String(err.message || err), warnings };
  }
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  const { formulas } = JSON.parse(line);
  process.stdout.write(JSON.stringify({ results: formulas.map(render) }) + "\n");
});
