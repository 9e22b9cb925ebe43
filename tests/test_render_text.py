"""Text helpers of the renderers: display math as its own block, TeX as plain text, first words."""

from __future__ import annotations

import re

from generator.render.markdown import display_blocks
from generator.render.plaintext import first_words, math_text
from generator.render.site import _first_sentence, question_heading


def test_display_math_inside_a_paragraph_gets_a_block_of_its_own():
    text = "Let x, and\n\\[ f = a_1 + b_2 \\]\nIn the names, z."
    assert display_blocks(text) == "Let x, and\n\n\\[ f = a_1 + b_2 \\]\n\nIn the names, z."


def test_display_math_keeps_its_indentation_and_splits_text_on_its_line():
    text = "    before \\[ x_1\n       = y_2 \\] which is\n    fine."
    assert display_blocks(text) == "    before\n\n    \\[ x_1\n       = y_2 \\]\n\n    which is\n    fine."


def test_a_row_break_with_spacing_is_not_display_math():
    text = "\\[\n\\begin{aligned} a \\\\[2pt] b \\end{aligned}\n\\]\n"
    assert display_blocks(text) == text


def test_math_as_plain_text():
    assert math_text(r"\frac{\partial \ell}{\partial W^{(1)}}") == "∂ℓ/∂W⁽¹⁾"
    assert math_text(r"h^2_{1,1}") == "h²₁,₁"
    assert math_text(r"\delta^{[l]} = g^{[l]\prime}(Z^{[l]})") == "δ^[l] = g^[l]′(Z^[l])"
    assert math_text(r"\mathbf{1}^{\top}") == "1ᵀ"
    assert math_text(r"\hat{y}") == "y\u0302"


def test_first_words_are_plain_and_cut_between_words():
    text = r"What are the partial derivatives with respect to \(W^2_{1,j}\) for \(h^2_{1,1} = f^2_1(h^1, W^2)\)? More."
    words = first_words(text)
    assert words.endswith("…") and len(words) <= 73 and "\\" not in words
    assert first_words(r"What is \(\frac{\partial b}{\partial z_1}\)? Then more.") == "What is ∂b/∂z₁?"


def test_index_summary_never_cuts_a_formula():
    text = (r"Let \(q(x_1, x_2) = \frac{x_1}{x_2}\) and \(y = q(u, v)\) and then a long tail of words "
            r"that goes on \(\frac{dy}{dx} = \frac{v\frac{du}{dx} - u\frac{dv}{dx}}{v^2}\) and on and on")
    cut = _first_sentence(text, limit=120)
    assert cut.endswith(" …")
    assert cut.count(r"\(") == cut.count(r"\)")
    assert _first_sentence(r"Prove it. Then \(x\).") == "Prove it."


def test_question_heading_has_its_anchor_and_a_plain_toc_label():
    heading = question_heading("3.1", r'What is \(\hat{y}\) "here"?')
    assert heading == '## Question 3.1 {#q-3-1 data-toc-label="Question 3.1: What is y\u0302 &quot;here&quot;?"}'
    assert not re.search(r"\\\(", heading)
