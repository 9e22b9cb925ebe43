"""The instructors' Moodle XML export is what Moodle's importer reads as "numerical" questions.

Checked against the format as Moodle documents and reads it:
- MoodleDocs, "Moodle XML format" (https://docs.moodle.org/en/Moodle_XML_format; also the 1.9
  and 2.1 pages, https://docs.moodle.org/19/en/Moodle_XML_format,
  https://docs.moodle.org/21/en/Moodle_XML_format): the XML declaration is the file's first line,
  the file is UTF-8, the root is <quiz> holding <question type="..."> elements; every question
  has <name><text>..</text></name> and <questiontext format=".."><text>..</text></questiontext>,
  format one of moodle_auto_format, html, plain_text, markdown.
- Moodle's importer, moodle/moodle question/format/xml/format.php: import_headers reads the name
  at name/text (an error "xmlimportnoname" without it) and the question text at questiontext/text
  with its @format (trans_format: moodle_auto_format, html, plain_text, wiki_like, markdown);
  import_numerical reads, for each <answer>, its <text> (the number), its @fraction divided by
  100, its <tolerance> (default 0) and its <feedback format=".."><text>.

Beyond the structure, a check Moodle does not make but a teacher needs: Moodle grades a response
by the first answer whose [value - tolerance, value + tolerance] holds it, so no wrong answer may
overlap the right one.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from generator.problem.load import load_problem
from generator.render.variants_export import variants_moodle
from generator.solve.expression_variants import make_expression_variants
from generator.solve.variants import make_variants

ROOT = Path(__file__).resolve().parents[1]
FORMATS = {"moodle_auto_format", "html", "plain_text", "wiki_like", "markdown"}


def _export(stem: str) -> str:
    p = load_problem(ROOT / "problems" / f"{stem}.yml", ROOT)
    make = make_expression_variants if stem.startswith("002-chain") else make_variants
    return variants_moodle(make(p, 3), p.slug)


def _number(text: str | None) -> float:
    assert text is not None and text.strip() == text and text, repr(text)
    x = float(text)  # Moodle's numerical answer: a plain number
    assert math.isfinite(x), text
    return x


def _text(parent: ET.Element, tag: str) -> ET.Element:
    """The one <tag> child of ``parent`` and its <text>, which must be non-empty."""
    found = parent.findall(tag)
    assert len(found) == 1, f"{parent.tag}: expected one <{tag}>, got {len(found)}"
    texts = found[0].findall("text")
    assert len(texts) == 1 and (texts[0].text or "").strip(), f"<{tag}> without its <text>"
    return found[0]


def check_moodle_numerical(xml: str) -> int:
    """Assert ``xml`` is a Moodle XML quiz of numerical questions; the number of questions."""
    first = xml.split("\n", 1)[0]
    assert first.startswith("<?xml ") and 'encoding="UTF-8"' in first, "the XML declaration must be line 1"
    xml.encode("utf-8")
    root = ET.fromstring(xml.encode("utf-8"))
    assert root.tag == "quiz"
    questions = list(root)
    assert questions and all(q.tag == "question" for q in questions)
    for q in questions:
        assert q.get("type") == "numerical", q.attrib
        name = _text(q, "name").find("text").text
        text = _text(q, "questiontext")
        assert text.get("format") in FORMATS, (name, text.attrib)
        answers = q.findall("answer")
        assert answers, f"{name}: no <answer>"
        ranges = []
        for a in answers:
            fraction = _number(a.get("fraction"))
            assert 0 <= fraction <= 100, (name, fraction)
            value = _number(a.findtext("text"))
            tolerances = a.findall("tolerance")
            assert len(tolerances) == 1, f"{name}: an answer needs one <tolerance>"
            tol = _number(tolerances[0].text)
            assert tol >= 0
            for fb in a.findall("feedback"):
                assert fb.get("format", "html") in FORMATS and (fb.findtext("text") or "").strip(), name
            ranges.append((fraction, value - tol, value + tol))
        right = [r for r in ranges if r[0] == 100]
        assert len(right) == 1, f"{name}: expected one answer worth 100%"
        _, lo, hi = right[0]
        for fraction, a, b in ranges:
            if fraction != 100:
                assert b < lo or a > hi, f"{name}: a wrong answer overlaps the right one"
    return len(questions)


@pytest.mark.parametrize("stem", ["002-neural-networks-are-fun", "003-single-sample", "002-chain-rule-is-all-you-need"])
def test_moodle_export_is_valid_numerical_questions(stem):
    assert check_moodle_numerical(_export(stem)) >= 3


def test_the_check_catches_a_broken_export():
    """The checks bite: each breakage of a valid export is caught."""
    good = _export("002-chain-rule-is-all-you-need")
    check_moodle_numerical(good)
    broken = {
        "no format": good.replace('<questiontext format="html">', "<questiontext>", 1),
        "no name": good.replace("<name>", "<nom>", 1).replace("</name>", "</nom>", 1),
        "no tolerance": good.replace("<tolerance>", "<tol>", 1).replace("</tolerance>", "</tol>", 1),
        "not numerical": good.replace('type="numerical"', 'type="shortanswer"', 1),
        "fraction 1 for 100": good.replace('fraction="100"', 'fraction="1"', 1),
        "a word for a number": good.replace('fraction="100"><text>', 'fraction="100"><text>x', 1),
        "declaration not first": "\n" + good,
        "not well formed": good.replace("</quiz>", "", 1),
    }
    for what, xml in broken.items():
        with pytest.raises((AssertionError, ET.ParseError, ValueError)):
            check_moodle_numerical(xml)
            pytest.fail(f"not caught: {what}")
