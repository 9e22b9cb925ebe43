// Render the math written by pymdownx.arithmatex (generic mode) with KaTeX,
// as documented by Material for MkDocs ("Reference > Math > KaTeX").
// document$ emits on the first page load and again after every instant
// navigation, so math on pages reached without a full reload is rendered too.
document$.subscribe(({ body }) => {
  renderMathInElement(body, {
    delimiters: [
      { left: "\\(", right: "\\)", display: false },
      { left: "\\[", right: "\\]", display: true },
    ],
    // a formula KaTeX cannot parse stays on the page as a .katex-error span, and an unknown
    // command is shown in errorColor; tests/browser/ look for both
    throwOnError: false,
    errorColor: "#cc0000",
  });
});
