"""What the site search indexes for a page: its math as readable text, and synonyms.

The search plugin indexes a page's HTML, where a formula is TeX (``\\(\\sigma'(z)\\)``): a reader
typing "σ′(z)" or "W2,1,1" never finds it, and result snippets show backslashes. Here a formula
becomes the text of its MathML, which KaTeX writes beside its HTML: ``σ′(z) = σ(z)(1 − σ(z))``,
``∂J/∂W2,1,1``. Words a student uses for the same thing (derivative, gradient, partial; sigmoid,
σ, logistic) are added to each section of the index that uses one of them, so either finds it.

Used by hooks/katex_hook.py; only the standard library is imported here.
"""

from __future__ import annotations

import html
import html.parser
import re
import unicodedata

# Accents KaTeX writes as <mover accent="true"> -> the combining character after the base.
COMBINING = {"^": "\u0302", "ˆ": "\u0302", "~": "\u0303", "˜": "\u0303", "¯": "\u0304", "ˉ": "\u0304",
             "‾": "\u0305", "˙": "\u0307", "→": "\u20d7", "⃗": "\u20d7"}
PRIMES = {"′", "″", "‴", "'", "⊤", "T", "∗", "*"}  # superscripts written right after the base
INVISIBLE = {"\u2061", "\u2062", "\u2063", "\u2064", "\u200b"}  # function application, times, ...
SPACED = {"=", ":=", "≈", "≠", "<", ">", "≤", "≥", "+", "−", "-", "→", "←", "⇒", "⟹", "∈", "×", "⋅",
          "·", "⊙", "∘"}  # operators written with a space either side


class _MathML(html.parser.HTMLParser):
    """KaTeX's <math> element as a tree of (tag, attrs, children) and text leaves."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root: list = ["root", {}, []]
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = [tag, dict(attrs), []]
        self.stack[-1][2].append(node)
        self.stack.append(node)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1][2].append(data)


def mathml_of(katex_html: str) -> str:
    """The <math>...</math> part of KaTeX's output ('' if it has none)."""
    start = katex_html.find("<math")
    end = katex_html.find("</math>", start)
    return katex_html[start:end + len("</math>")] if start >= 0 and end >= 0 else ""


def readable_math(katex_html: str) -> str:
    """A formula as plain text from KaTeX's MathML: W_{2,1,1} -> 'W2,1,1', \\frac{a}{b} -> 'a/b'."""
    parser = _MathML()
    parser.feed(mathml_of(katex_html))
    parser.close()
    text = unicodedata.normalize("NFC", _text(parser.root)).replace(": =", " :=")
    text = re.sub(r"\s+", " ", text).strip()  # then unary signs: (−2, = −2, not ( − 2, = − 2
    text = re.sub(r"([=≈:<>≤≥]) *([−+-]) ", r"\1 \2", re.sub(r"(^|[(\[{^,;]) *([−+-]) ", r"\1\2", text))
    return re.sub(r"\s+", " ", text).strip()


def _text(node) -> str:
    if isinstance(node, str):
        return "".join(c for c in node if c not in INVISIBLE)
    tag, attrs, children = node
    if tag == "annotation":
        return ""
    parts = [_text(c) for c in children if not isinstance(c, str) or c.strip()]
    if tag == "mo":
        op = "".join(parts).strip()
        return f" {op} " if op in SPACED else op
    if tag in {"msub", "munder"} and len(parts) == 2:
        return parts[0] + parts[1].replace(" ", "")
    if tag in {"msup", "mover"} and len(parts) == 2:
        base, top = parts[0], parts[1].strip()
        if tag == "mover" and top in COMBINING:
            return base + COMBINING[top]
        return base + top if top in PRIMES else f"{base}^{_wrapped(top)}"
    if tag in {"msubsup", "munderover"} and len(parts) == 3:
        top = parts[2].strip()
        return parts[0] + parts[1].replace(" ", "") + (top if top in PRIMES else f"^{_wrapped(top)}")
    if tag == "mfrac" and len(parts) == 2:
        return f"{_wrapped(parts[0].strip())}/{_wrapped(parts[1].strip())}"
    if tag == "msqrt":
        return f"√({''.join(parts)})"
    if tag == "mtd":  # a cell: -2 is a number, not a subtraction
        return re.sub(r"^([−+-]) ", r"\1", "".join(parts).strip())
    if tag == "mtr":  # columns of a matrix, or the sides of an aligned equation
        return " ".join(p for p in parts if p)
    if tag == "mtable":
        return "; ".join(p for p in parts if p)
    if tag == "mspace":
        return " "
    return _joined(children, parts)


SCRIPTED = {"msub", "msup", "msubsup", "mover", "munder", "munderover"}


def _joined(children: list, parts: list[str]) -> str:
    """Siblings side by side, with a space between a scripted name and a name after it
    (W_l \tilde{x} -> 'Wl x̃', not 'Wlx̃')."""
    out = ""
    for i, part in enumerate(parts):
        left, right = (children[i - 1] if i else None), children[i]
        if (isinstance(left, list) and isinstance(right, list) and left[0] in SCRIPTED
                and right[0] in SCRIPTED | {"mi"} and part[:1].isalpha()):
            out += " "
        out += part
    return out


def _wrapped(text: str) -> str:
    """``text`` in parentheses if it is more than one symbol (a + b -> (a + b))."""
    return f"({text})" if " " in text and not (text[0] + text[-1] == "()") else text


# --- Synonyms -----------------------------------------------------------------------------

# Each group: words (matched at the start of a word, case-insensitive) that mean the same to a
# student searching; a section that uses one is also found by the others (a symbol that the
# search's separator splits off, such as ′, only finds the words: a term of its own breaks the
# search worker).
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("derivative", "gradient", "partial", "∂", "′"),
    ("sigmoid", "σ", "logistic"),
    ("ReLU", "rectifier", "rectified linear"),
    ("tanh", "hyperbolic tangent"),
    ("learning rate", "step size", "η"),
    ("loss", "cost", "objective"),
    ("transpose", "⊤"),
)
HEADING = re.compile(r"(?=<h[1-6]\b)")


def _uses(text: str, word: str) -> bool:
    if not word[0].isalpha() or not word.isascii():  # a symbol: anywhere
        return word in text
    return re.search(r"(?<![\w])" + re.escape(word), text, re.I) is not None


def with_synonyms(page_html: str) -> str:
    """``page_html`` with, at the end of each section (up to the next heading), a line naming the
    synonyms of the words that section uses and does not have yet."""
    sections = HEADING.split(page_html)
    out = []
    for section in sections:
        text = html.unescape(re.sub(r"<[^>]+>", " ", section))
        extra = []
        for group in SYNONYMS:
            if any(_uses(text, w) for w in group):
                extra += [w for w in group if not _uses(text, w) and w not in extra
                          and any(c.isalpha() for c in w)]  # "∂", "′" split words: not terms
        out.append(section + (f"\n<p>Also: {html.escape(', '.join(extra))}.</p>\n" if extra else ""))
    return "".join(out)
