"""The committed pages (docs/) print numbers by the one rule of the notation page: read back
from the generated Markdown and SVG files, with Python's decimal module as the oracle.

- a quantity is printed one way in the derivation, the matrices, the drawings and the checks;
- a line of substituted numbers is '=' only if its factors multiply to the printed result;
- checks state bounds, never a measured error; the Verified box is one sentence for students,
  its details folded; kink wording comes from the op table; counts are pluralised.
"""

from __future__ import annotations

import html
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import yaml

from conftest import ROOT_DIR

DOCS = ROOT_DIR / "docs"
# problem pages: not a handout's index nor its print pages (render/print_pages.py); practice pages
# (<problem>-practice.md, render/practice.py) have no problem file of their own and are read back
# by tests/browser/test_browser_practice.py
PAGES = sorted(p for p in (DOCS / "handouts").glob("*/*.md")
               if p.name not in {"index.md", "questions.md", "answers.md"} and not p.name.endswith("-practice.md"))
DECIMAL = re.compile(r"(?<![\d.^{_])-?\d+\.\d+(?![\d.])")  # a decimal, not an index or exponent
FIGURES = re.compile(r"rounded to (\d+) significant figures")


def figures_of(text: str) -> int:
    m = FIGURES.search(text)
    assert m, "the page states no significant figures"
    return int(m.group(1))


def sig_digits(token: str) -> int:
    return len(token.lstrip("-").replace(".", "").lstrip("0"))


def round_half_away(token: str, figures: int) -> str:
    d = Decimal(token)
    unit = Decimal(1).scaleb(d.adjusted() - figures + 1)
    return str(d.quantize(unit, rounding=ROUND_HALF_UP))


def answers_part(text: str) -> str:
    """The page from its Verified box on (the Given block shows the inputs as written)."""
    return text[text.index('!!! success "Verified"'):] if '!!! success "Verified"' in text else text


def svg_texts(page: Path) -> list[str]:
    folder = page.with_suffix("")
    return [html.unescape(t) for svg in sorted(folder.glob("*.svg"))
            for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg.read_text(encoding="utf-8"))]


def network_activations(page: Path) -> set[str] | None:
    data = yaml.safe_load((ROOT_DIR / "problems" / f"{page.stem}.yml").read_text(encoding="utf-8"))
    if "network" not in data:
        return None
    return {layer["activation"] for layer in data["network"]["layers"]}


def verified_box(text: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index('!!! success "Verified"')
    box = []
    for line in lines[start + 1:]:
        if line and not line.startswith("    "):
            break
        box.append(line)
    return box


def check_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "*Check:*" in line]


def pages(where) -> list[tuple[Path, str]]:
    """The pages (path, text) for which ``where(path, text)`` holds; a test over none fails."""
    chosen = [(p, p.read_text(encoding="utf-8")) for p in PAGES]
    chosen = [(p, t) for p, t in chosen if where(p, t)]
    assert chosen, "no page to test"
    return chosen


def computed(path: Path, text: str) -> bool:
    return "significant figures" in text


def verified(path: Path, text: str) -> bool:
    return '!!! success "Verified"' in text




# ---------------------------------------------------------------- one quantity, one printed form


@pytest.mark.parametrize("page", pages(computed), ids=lambda p: p[0].stem)
def test_a_long_exact_value_is_followed_by_its_rounding(page):
    """-0.87785 (more digits than the page's figures) only as '= -0.87785 \\approx -0.8779'."""
    path, text = page
    figures = figures_of(text)
    for m in DECIMAL.finditer(answers_part(text)):
        token = m.group(0)
        if sig_digits(token) <= figures:
            continue
        # its rounding follows at once, or ends the line (after a line of rounded numbers)
        rest = answers_part(text)[m.end():].split("\n", 1)[0]
        after = re.match(r" \\approx (-?\d+(?:\.\d+)?)", rest) or \
            re.search(r" \\approx (-?\d+(?:\.\d+)?)(?:\\\)| \\\\)?$", rest.rstrip())
        assert after, f"{path.stem}: {token} has more than {figures} figures and no rounding after it"
        assert after.group(1) == round_half_away(token, figures), (
            f"{path.stem}: {token} is rounded to {after.group(1)}, not {round_half_away(token, figures)}")


def test_the_rounded_value_is_the_only_short_form_on_the_page_and_its_drawings():
    """Once a page writes '= L \\approx S', no other number within half a unit of S's last digit
    of L, in the text or on a drawing, reads differently from S (the -0.8778 / -0.8779 case)."""
    checked = 0
    for path, text in pages(computed):
        shorts = DECIMAL.findall(answers_part(text)) + [t for s in svg_texts(path) for t in DECIMAL.findall(s)]
        for long, short in re.findall(r"= (-?\d+\.\d+) \\approx (-?\d+\.\d+)", text):
            checked += 1
            unit = Decimal(1).scaleb(Decimal(short).as_tuple().exponent)
            near = {t for t in shorts if t not in (long, short) and sig_digits(t) <= sig_digits(short)
                    and abs(Decimal(t) - Decimal(long)) <= unit / 2}
            assert not near, f"{path.stem}: {long} is printed {short}, but also as {sorted(near)}"
    assert checked >= 3  # 003 and 004 write exact values such as -0.87785 = -0.905 * 0.97


NUMERIC_ROW = re.compile(r"^\s*&(=|\\approx) ((?:\\left\(-?[\d.]+\\right\)|-?[\d.]+|\\cdot|\+| )+)(?: \\\\)?$")
OPERAND = re.compile(r"\\left\((-?[\d.]+)\\right\)|(-?[\d.]+)")


def _value(expression: str) -> Decimal:
    """A sum of products of printed decimals, exactly."""
    total = Decimal(0)
    for term in re.split(r" \+ ", expression):
        product = Decimal(1)
        for factor in term.split("\\cdot"):
            m = OPERAND.search(factor)
            product *= Decimal(m.group(1) or m.group(2))
        total += product
    return total


def test_a_line_of_printed_factors_equals_its_result_or_is_marked_approx():
    seen = 0
    for path, text in pages(computed):
        lines = text.splitlines()
        for k, line in enumerate(lines):
            m = NUMERIC_ROW.match(line)
            if not m or "\\cdot" not in line:
                continue
            seen += 1
            relation, expression = m.group(1), m.group(2).strip()
            following = lines[k + 1].strip()
            if relation == "=":
                result = re.match(r"&= (-?\d+(?:\.\d+)?)(?: |$)", following)
                assert result, f"{path.stem}: '{line.strip()}' is followed by '{following}', not its value"
                assert Decimal(result.group(1)) == _value(expression), (
                    f"{path.stem}: {expression} = {_value(expression)}, the page says {result.group(1)}")
            else:
                assert following.startswith("&\\approx"), f"{path.stem}: a rounded line then '{following}'"
    assert seen > 10  # the chain-rule products of the network pages


# ---------------------------------------------------------------- checks and the Verified box


MEASURED = [re.compile(p) for p in (r"relative error \\\(\d", r"absolute error \\\(\d",
                                    r"[Ll]argest relative error", r"within \\\(0\\\)",
                                    r"\d \\times 10\^\{-(?:[7-9]|\d\d)\}", r"agree to \|")]


@pytest.mark.parametrize("page", pages(lambda p, t: True), ids=lambda p: p[0].stem)
def test_no_page_prints_a_measured_error(page):
    path, text = page
    for line in verified_box(text) if verified(path, text) else []:
        for p in MEASURED:
            assert not p.search(line), f"{path.stem}: Verified box prints a measured error: {line.strip()}"
    for line in check_lines(text):
        for p in MEASURED:
            assert not p.search(line), f"{path.stem}: {line.strip()}"
    assert not re.search(r"methods agree to \|", text), f"{path.stem}: a column of measured agreement"


@pytest.mark.parametrize("page", pages(verified), ids=lambda p: p[0].stem)
def test_the_verified_box_is_one_sentence_with_the_details_folded(page):
    path, text = page
    box = [line.strip() for line in verified_box(text)]
    lead = box[0]
    assert lead.startswith("Every number on this page was checked"), lead
    assert lead.endswith(".") and lead.count(". ") == 0, f"{path.stem}: not one sentence: {lead}"
    assert box[1] == "" and box[2] == '??? info "How it was checked"', box[:3]
    folded = [line for line in verified_box(text)[3:] if line]
    assert folded and all(line.startswith("        ") for line in folded), "details not inside the fold"


@pytest.mark.parametrize("page", pages(lambda p, t: network_activations(p) is not None), ids=lambda p: p[0].stem)
def test_kink_wording_comes_from_the_ops_the_page_uses(page):
    """No 'ReLU' in a tanh page's Verified box or checks; a kinked activation's convention where
    it is used."""
    path, text = page
    activations = network_activations(path)
    from generator.graph.ops import ACTIVATIONS
    box = "\n".join(verified_box(text) + check_lines(text))
    for name, op in ACTIVATIONS.items():
        if op.kinks and name not in activations:
            assert op.convention not in box, f"{path.stem} uses no {name} but states {op.convention}"
            assert "ReLU" not in box, f"{path.stem}: {box}"
    if not any(ACTIVATIONS[a].kinks for a in activations):
        assert "kink" not in box, f"{path.stem} has no activation with a kink: {box}"


PLURAL = re.compile(r"(?<![\d.,])1 (questions|checks|entries|derivatives|paths|inputs|units)\b")


def test_counts_are_pluralised_on_every_page():
    for path in [DOCS / "index.md"] + sorted((DOCS / "handouts").glob("*/*.md")):
        text = path.read_text(encoding="utf-8")
        assert not PLURAL.search(text), f"{path.relative_to(DOCS)}: {PLURAL.search(text).group(0)}"
        assert not re.search(r"\ball 1 (checks|entries|derivatives)", text), path


def test_the_notation_page_states_the_rule_and_its_examples_obey_it():
    text = (DOCS / "notation.md").read_text(encoding="utf-8")
    section = text[text.index("## Numbers"):text.index("\n## ", text.index("## Numbers") + 1)]
    for words in ("half away from zero", "trailing", "significant figures", "bounds"):
        assert words in section, words
    pairs = re.findall(r"(-?\d+\.\d+) \\approx (-?\d+\.\d+)\\\)( at two figures)?", section)
    assert len(pairs) >= 5
    for long, short, two in pairs:
        assert short == round_half_away(long, 2 if two else 4), (long, short)
    # every page links to the rule
    for path in PAGES:
        page = path.read_text(encoding="utf-8")
        if "significant figures" in page:
            assert "notation.md#numbers" in page, path.stem
