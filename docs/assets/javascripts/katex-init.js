// Render the math written by pymdownx.arithmatex (generic mode) with KaTeX,
// as documented by Material for MkDocs ("Reference > Math > KaTeX").
// document$ emits on the first page load and again after every instant
// navigation, so math on pages reached without a full reload is rendered too.
const KATEX_OPTIONS = {
  delimiters: [
    { left: "\\(", right: "\\)", display: false },
    { left: "\\[", right: "\\]", display: true },
  ],
  // a formula KaTeX cannot parse stays on the page as a .katex-error span, and an unknown
  // command is shown in errorColor; tests/browser/ look for both
  throwOnError: false,
  errorColor: "#cc0000",
};

document$.subscribe(({ body }) => renderMathInElement(body, KATEX_OPTIONS));

// A folded solution or a practice variant whose body arrives when opened (parts.js): its math too.
document.addEventListener("part-loaded", (event) => renderMathInElement(event.target, KATEX_OPTIONS));
