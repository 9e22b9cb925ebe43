"""TeX as plain Unicode text, for places that cannot show rendered math: the table of contents,
alternative text, graph labels. \\frac{\\partial f}{\\partial w_i} -> ∂f/∂wᵢ, W^3_{1,1} -> W³₁,₁.

Only the commands the problem files use are known; anything else loses its backslash and keeps
its name, so no TeX ever reaches a reader.
"""

from __future__ import annotations

import re

SYMBOLS = {
    r"\partial": "∂", r"\ell": "ℓ", r"\theta": "θ", r"\sigma": "σ", r"\delta": "δ", r"\phi": "φ",
    r"\Phi": "Φ", r"\eta": "η", r"\Sigma": "Σ", r"\epsilon": "ε", r"\varepsilon": "ε",
    r"\alpha": "α", r"\beta": "β", r"\lambda": "λ", r"\mu": "μ", r"\pi": "π", r"\tau": "τ",
    r"\psi": "ψ", r"\omega": "ω", r"\Delta": "Δ", r"\nabla": "∇",
    r"\dots": "…", r"\ldots": "…", r"\cdots": "⋯", r"\cdot": "·", r"\odot": "⊙", r"\times": "×",
    r"\top": "ᵀ", r"\prime": "′", r"\to": "→", r"\leftarrow": "←", r"\rightarrow": "→",
    r"\le": "≤", r"\leq": "≤", r"\ge": "≥", r"\geq": "≥", r"\ne": "≠", r"\neq": "≠",
    r"\approx": "≈", r"\in": "∈", r"\infty": "∞", r"\sum": "Σ", r"\mathbb{R}": "ℝ",
    r"\mathbb{1}": "𝟙", r"\lVert": "‖", r"\rVert": "‖", r"\|": "‖", r"\{": "{", r"\}": "}",
    r"\tfrac{1}{2}": "½", r"\frac{1}{2}": "½",
}
FUNCTIONS = ("sin", "cos", "tan", "sinh", "cosh", "tanh", "exp", "log", "ln", "max", "min")
SPACING = re.compile(r"\\[,;:! ]|\\q?quad\b|\\(?:left|right|big|Big|bigg|Bigg)\b\.?")
ACCENTS = {"hat": "\u0302", "tilde": "\u0303", "bar": "\u0304", "dot": "\u0307"}
SUBSCRIPT = dict(zip("0123456789+-=()aehijklmnoprstuvx",
                     "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ"))
SUPERSCRIPT = dict(zip("0123456789+-=()abcdefghijklmnoprstuvwxyzTᵀ′",
                       "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᵀᵀ′"))


def _group(text: str, start: int) -> tuple[str, int]:
    """The argument at ``start``: a {braced group} (its inside) or one character; and the end."""
    if start < len(text) and text[start] == "{":
        depth = 0
        for k in range(start, len(text)):
            depth += {"{": 1, "}": -1}.get(text[k], 0)
            if depth == 0:
                return text[start + 1:k], k + 1
        return text[start + 1:], len(text)
    if start < len(text) and text[start] == "\\":
        m = re.match(r"\\[A-Za-z]+", text[start:])
        if m:
            return m.group(0), start + m.end()
    return text[start:start + 1], start + 1


def _script(text: str, table: dict[str, str], mark: str) -> str:
    """A sub- or superscript in Unicode when every character has a form, else ^(...) / _(...)."""
    if text and all(ch in table or ch in ", " for ch in text):
        return "".join(table.get(ch, ch) for ch in text).replace(" ", "")
    bracket = re.fullmatch(r"(\[[^\[\]]*\])(.*)", text)  # the layer index of W^{[l]\top}
    if bracket and all(ch in table for ch in bracket.group(2)):
        return mark + bracket.group(1) + "".join(table[ch] for ch in bracket.group(2))
    return mark + (text if len(text) == 1 else f"({text})")


def _fraction(num: str, den: str) -> str:
    wrap = lambda t: f"({t})" if re.search(r"[\s+−=/-]", t) else t  # noqa: E731
    return f"{wrap(num)}/{wrap(den)}"


def math_text(latex: str) -> str:
    """One formula (the inside of \\( ... \\)) as plain text."""
    out: list[str] = []
    k = 0
    text = SPACING.sub(" ", latex)
    while k < len(text):
        ch = text[k]
        if ch == "\\":
            known = next((s for s in sorted(SYMBOLS, key=len, reverse=True) if text.startswith(s, k)
                          and not text[k + len(s):k + len(s) + 1].isalpha()), None)
            if known:
                out.append(SYMBOLS[known])
                k += len(known)
                continue
            m = re.match(r"\\([A-Za-z]+)", text[k:])
            if not m:  # an escaped character
                out.append(text[k + 1:k + 2])
                k += 2
                continue
            name, k = m.group(1), k + m.end()
            if name in ("frac", "tfrac", "dfrac"):
                num, k = _group(text, k)
                den, k = _group(text, k)
                out.append(_fraction(math_text(num).replace("∂ ", "∂"), math_text(den).replace("∂ ", "∂")))
            elif name in ACCENTS:
                arg, k = _group(text, k)
                inner = math_text(arg)
                out.append(inner + ACCENTS[name] if len(inner) == 1 else inner)
            elif name in ("operatorname", "mathrm", "mathbf", "mathit", "text", "mathbb", "boldsymbol"):
                arg, k = _group(text, k)
                out.append(math_text(arg) if name != "text" else arg)
            elif name in FUNCTIONS:
                out.append(name)
            else:  # unknown: its name, never its backslash
                out.append(name)
        elif ch in "^_":
            arg, k = _group(text, k + 1)
            inner = math_text(arg)
            out.append(_script(inner, SUPERSCRIPT if ch == "^" else SUBSCRIPT, ch))
        elif ch in "{}":
            k += 1
        elif ch == "-":
            out.append("−")
            k += 1
        else:
            out.append(ch)
            k += 1
    return re.sub(r" {2,}", " ", "".join(out)).replace("∂ ", "∂").strip()


INLINE = re.compile(r"\\\((.*?)\\\)", re.S)


def plain_text(markdown: str) -> str:
    """Prose with inline math \\( ... \\) as plain text, Markdown emphasis and code marks dropped."""
    text = INLINE.sub(lambda m: math_text(m.group(1)), " ".join(markdown.split()))
    return re.sub(r"[*`]", "", text)


def first_words(markdown: str, limit: int = 72) -> str:
    """The plain text of ``markdown`` up to its first sentence end, at most about ``limit``
    characters, cut at a space (with …)."""
    text = plain_text(markdown)
    end = re.search(r"[?.!:](\s|$)", text)
    if end:
        text = text[:end.start() + 1]
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,;(") + "…"
