"""hooks/search_text.py: what the site search indexes. Formulas become the text a reader types
(read from KaTeX's MathML, rendered here by the pinned KaTeX), and sections get synonyms."""

from __future__ import annotations

import pytest

from hooks import katex_hook
from hooks.katex_hook import Formula, KatexRenderer
from hooks.search_text import readable_math, with_synonyms

pytestmark = pytest.mark.skipif(not (katex_hook.KATEX_DIR / "package.json").is_file(),
                                reason="KaTeX is not installed in vendor/: run `make site`")

# TeX as the pages write it -> the text the index holds (written out by hand)
CASES = [
    (r"\sigma'(z) = \sigma(z)(1 - \sigma(z))", "σ′(z) = σ(z)(1 − σ(z))"),
    (r"W_{2,1,1}", "W2,1,1"),
    (r"\frac{\partial J}{\partial W_{2,1,1}}", "∂J/∂W2,1,1"),
    (r"\operatorname{ReLU}'(0) := 0", "ReLU′(0) := 0"),
    (r"\tanh'(x) = 1 - \tanh^2(x)", "tanh′(x) = 1 − tanh^2(x)"),
    (r"\mathbf{x} = \begin{bmatrix} 2 \\ 5 \end{bmatrix}", "x = [2; 5]"),
    (r"W = \begin{bmatrix} 1 & -2 \end{bmatrix}", "W = [1 −2]"),
    (r"\hat{y} = \sigma(b)", "ŷ = σ(b)"),
    (r"\tilde{\mathbf{x}}^\top", "x̃⊤"),
    (r"10^{-6}", "10^(−6)"),
    (r"a = -2", "a = −2"),
    (r"W_l \tilde{\mathbf{x}}", "Wl x̃"),
    (r"z_{l-1}", "zl−1"),
]


@pytest.fixture(scope="module")
def rendered():
    renderer = KatexRenderer()
    try:
        results = renderer.render([Formula(0, 0, "", tex, False) for tex, _ in CASES])
    finally:
        renderer.stop()
    return {tex: r["html"] for (tex, _), r in zip(CASES, results, strict=True)}


@pytest.mark.parametrize("tex,text", CASES, ids=[t for t, _ in CASES])
def test_a_formula_reads_as_text(rendered, tex, text):
    assert readable_math(rendered[tex]) == text


def test_the_tex_annotation_is_not_indexed(rendered):
    html = rendered[r"\frac{\partial J}{\partial W_{2,1,1}}"]
    assert "\\partial" in html  # KaTeX keeps the TeX in an <annotation>
    assert "\\" not in readable_math(html)


def test_a_section_gets_the_synonyms_it_lacks_up_to_the_next_heading():
    page = ("<h2 id='a'>A</h2><p>The sigmoid is smooth.</p>"
            "<h2 id='b'>B</h2><p>Its f′(x) at 0.</p>"
            "<h2 id='c'>C</h2><p>Nothing here.</p>")
    out = with_synonyms(page)
    a, b, c = out.split("<h2")[1:]
    assert "Also: σ, logistic." in a and "gradient" not in a
    assert "Also: derivative, gradient, partial." in b  # ′ names a derivative; not written itself
    assert "Also" not in c
